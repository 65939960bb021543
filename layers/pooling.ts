/** Pooling layers: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d over [N, C, H, W]. */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  type Pool2dGeometry,
  pool2dGeometry,
} from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  geometry,
  inputShapeError,
  integerAtLeast,
  type IntPair,
  noForwardError,
  pair,
  pyBool,
  pyInts,
} from "./_common.ts";
import { checkArgumentCount } from "../tensor/options.ts";

/** Options of {@linkcode MaxPool2d}. */
export interface MaxPool2dOptions {
  /** Window step, int or [h, w]; null means kernelSize too (PyTorch's None). @default kernelSize */
  stride?: IntPair | null;
  /** Implicit −∞ padding on each side, int or [h, w], at most half the kernel. @default 0 */
  padding?: IntPair;
  /** Spacing between window taps, int or [h, w]. @default 1 */
  dilation?: IntPair;
  /** Round the output size up (a last window must still start inside the input or left padding). @default false */
  ceilMode?: boolean;
}

/** Options of {@linkcode AvgPool2d}. */
export interface AvgPool2dOptions {
  /** Window step, int or [h, w]; null means kernelSize too (PyTorch's None). @default kernelSize */
  stride?: IntPair | null;
  /** Implicit zero padding on each side, int or [h, w], at most half the kernel. @default 0 */
  padding?: IntPair;
  /** Round the output size up. @default false */
  ceilMode?: boolean;
  /** Count padded zeros in the divisor. @default true */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead. @default null */
  divisorOverride?: number | null;
}

/** Shape checks and geometry shared by MaxPool2d and AvgPool2d. */
abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;
  protected cache: {
    input: Tensor;
    g: Pool2dGeometry;
    outputShape: readonly number[];
    argmax: Int32Array;
  } | null = null;
  /** Outputs, gradients and argmax, reused across training steps. */
  protected readonly buffers = new BufferCache();

  constructor(
    layer: string,
    kernelSize: IntPair,
    stride: IntPair | null | undefined,
    padding: IntPair,
    dilation: IntPair,
    ceilMode: boolean,
  ) {
    super();
    const where = `Cannot create ${layer}`;
    this.kernelSize = pair(kernelSize, "kernelSize", where, 1);
    // null is PyTorch's stride=None: the kernel size.
    this.stride = pair(stride ?? kernelSize, "stride", where, 1);
    this.padding = pair(padding, "padding", where, 0);
    this.dilation = pair(dilation, "dilation", where, 1);
    this.ceilMode = boolean(ceilMode, "ceilMode", where);
    if (2 * this.padding[0] > this.kernelSize[0] || 2 * this.padding[1] > this.kernelSize[1]) {
      throw new RangeError(
        `${where}: padding ${pyInts(this.padding)} must be at most half of kernelSize ${
          pyInts(this.kernelSize)
        }`,
      );
    }
  }

  /** Checks [N, C, H, W] (or [C, H, W]) and derives the geometry; returns it with the output shape. */
  protected prepare(layer: string, input: Tensor): [Pool2dGeometry, number[]] {
    const rank = input.ndim;
    if (rank !== 4 && rank !== 3) throw inputShapeError(layer, "[N, C, H, W] or [C, H, W]", input);
    const [n, c, h, w] = rank === 4 ? input.shape : [1, ...input.shape];
    const g = geometry(layer, () =>
      pool2dGeometry({
        n,
        c,
        h,
        w,
        kh: this.kernelSize[0],
        kw: this.kernelSize[1],
        strideH: this.stride[0],
        strideW: this.stride[1],
        padH: this.padding[0],
        padW: this.padding[1],
        dilationH: this.dilation[0],
        dilationW: this.dilation[1],
        ceilMode: this.ceilMode,
      }));
    return [g, rank === 4 ? [n, c, g.hOut, g.wOut] : [c, g.hOut, g.wOut]];
  }
}

/**
 * Max over sliding windows, per channel (torch.nn.MaxPool2d):
 * y[n, c, i, j] = max_{p, q} x[n, c, i·stride_h − pad_h + p·dilation_h, j·stride_w − pad_w + q·dilation_w].
 *
 * Shape: [N, C, H, W] → [N, C, H_out, W_out] (or unbatched [C, H, W]), with
 * H_out = floor_or_ceil((H + 2·pad_h − dilation_h·(kh − 1) − 1) / stride_h) + 1.
 *
 * Backward: each output's gradient goes to its window's maximum; ties go to the FIRST
 * maximum (row-major), as PyTorch; no parameters.
 *
 * @example
 * ```ts
 * import { MaxPool2d } from "./pooling.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const y = new MaxPool2d(2).forward(Tensor.fromArray([[[[1, 2], [3, 4]]]]));
 * console.log(y.toArray()); // [[[[4]]]]
 * ```
 */
export class MaxPool2d extends Pool2d {
  readonly #args: { kernelSize: IntPair; stride: IntPair; padding: IntPair; dilation: IntPair };

  /** @param kernelSize window size, int or [kh, kw] */
  constructor(kernelSize: IntPair, options: MaxPool2dOptions = {}) {
    const { stride, padding = 0, dilation = 1, ceilMode = false } = checkCall(
      "Cannot create MaxPool2d",
      arguments.length,
      2,
      options,
      { stride: true, padding: true, dilation: true, ceilMode: true },
    );
    super("MaxPool2d", kernelSize, stride, padding, dilation, ceilMode);
    this.#args = { kernelSize, stride: stride ?? kernelSize, padding, dilation };
  }

  /** Window maxima; caches the winners' positions. */
  forward(input: Tensor): Tensor {
    const [g, outputShape] = this.prepare("MaxPool2d", input);
    const y = this.buffers.tensor("output", outputShape, this.training, input.data);
    const argmax = this.buffers.ints("argmax", y.size, this.training);
    maxPool2dForward(g, input.data, y.data, argmax);
    this.cache = { input, g, outputShape, argmax };
    return y;
  }

  /** Routes each gradient to its window's maximum; returns dL/dx. */
  backward(gradOutput: Tensor): Tensor {
    if (this.cache === null) throw noForwardError("MaxPool2d");
    const { input, g, outputShape, argmax } = this.cache;
    checkGradOutput("MaxPool2d", gradOutput, outputShape);
    const gx = this.buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    maxPool2dBackward(g, gradOutput.data, argmax, gx.data);
    return gx;
  }

  /** `MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)`. */
  override toString(): string {
    const a = this.#args;
    return `MaxPool2d(kernel_size=${pyInts(a.kernelSize)}, stride=${pyInts(a.stride)}, padding=${
      pyInts(a.padding)
    }, ` +
      `dilation=${pyInts(a.dilation)}, ceil_mode=${pyBool(this.ceilMode)})`;
  }
}

/**
 * Mean over sliding windows, per channel (torch.nn.AvgPool2d):
 * y[n, c, i, j] = Σ_window x / divisor, where divisor = divisorOverride, else the window's
 * cell count including padded zeros (`countIncludePad`, default) or excluding them.
 * Cells that ceil_mode adds beyond the padded input never count, as PyTorch.
 *
 * Shape: [N, C, H, W] → [N, C, H_out, W_out] (or unbatched [C, H, W]),
 * H_out = floor_or_ceil((H + 2·pad_h − kh) / stride_h) + 1.
 *
 * Backward: each output's gradient is spread over its window / divisor; no parameters.
 *
 * @example
 * ```ts
 * import { AvgPool2d } from "./pooling.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const y = new AvgPool2d(2).forward(Tensor.fromArray([[[[1, 2], [3, 4]]]]));
 * console.log(y.toArray()); // [[[[2.5]]]]
 * ```
 */
export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  readonly #args: { kernelSize: IntPair; stride: IntPair; padding: IntPair };

  /** @param kernelSize window size, int or [kh, kw] */
  constructor(kernelSize: IntPair, options: AvgPool2dOptions = {}) {
    const where = "Cannot create AvgPool2d";
    const {
      stride,
      padding = 0,
      ceilMode = false,
      countIncludePad = true,
      divisorOverride = null,
    } = checkCall(where, arguments.length, 2, options, {
      stride: true,
      padding: true,
      ceilMode: true,
      countIncludePad: true,
      divisorOverride: true,
    });
    super("AvgPool2d", kernelSize, stride, padding, 1, ceilMode);
    this.countIncludePad = boolean(countIncludePad, "countIncludePad", where);
    this.divisorOverride = divisorOverride === null
      ? null
      : integerAtLeast(divisorOverride, "divisorOverride", "Cannot create AvgPool2d", 1);
    this.#args = { kernelSize, stride: stride ?? kernelSize, padding };
  }

  /** Window means. */
  forward(input: Tensor): Tensor {
    const [g, outputShape] = this.prepare("AvgPool2d", input);
    const y = this.buffers.tensor("output", outputShape, this.training, input.data);
    avgPool2dForward(g, input.data, y.data, this.countIncludePad, this.divisorOverride);
    this.cache = { input, g, outputShape, argmax: new Int32Array(0) };
    return y;
  }

  /** Spreads each gradient over its window; returns dL/dx. */
  backward(gradOutput: Tensor): Tensor {
    if (this.cache === null) throw noForwardError("AvgPool2d");
    const { input, g, outputShape } = this.cache;
    checkGradOutput("AvgPool2d", gradOutput, outputShape);
    const gx = this.buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    avgPool2dBackward(g, gradOutput.data, gx.data, this.countIncludePad, this.divisorOverride);
    return gx;
  }

  /** `AvgPool2d(kernel_size=2, stride=2, padding=0)`, as PyTorch prints it. */
  override toString(): string {
    const a = this.#args;
    return `AvgPool2d(kernel_size=${pyInts(a.kernelSize)}, stride=${pyInts(a.stride)}, padding=${
      pyInts(a.padding)
    })`;
  }
}

/**
 * Average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d): output cell (i, j)
 * averages rows floor(i·H/H_out) … ceil((i+1)·H/H_out) − 1 and the matching columns, so
 * `outputSize` 1 is a global average and sizes that divide the input are plain average
 * pooling; other sizes give PyTorch's overlapping windows.
 *
 * Shape: [N, C, H, W] → [N, C, H_out, W_out] (or unbatched [C, H, W]); a `null` entry
 * of `outputSize` keeps that input size.
 *
 * Backward: each output's gradient is spread evenly over its window; no parameters.
 *
 * @example
 * ```ts
 * import { AdaptiveAvgPool2d } from "./pooling.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const y = new AdaptiveAvgPool2d(1).forward(Tensor.ones([2, 8, 7, 7]));
 * console.log(y.shape); // [2, 8, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** The requested [H_out, W_out]; null keeps the input's size. */
  readonly outputSize: [number | null, number | null];
  readonly #arg: number | readonly [number | null, number | null];
  #cache: { input: Tensor; planes: number; outputShape: readonly number[] } | null = null;
  readonly #buffers = new BufferCache();

  /** @param outputSize int, or [H_out, W_out] with null for "same as input" (each ≥ 1) */
  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    const where = "Cannot create AdaptiveAvgPool2d";
    checkArgumentCount(where, arguments.length, 1);
    const p = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
    if (!Array.isArray(p) || p.length !== 2) {
      throw new TypeError(
        `${where}: expected outputSize to be an integer or an [h, w] pair, got ${
          String(outputSize)
        }`,
      );
    }
    this.outputSize = [
      p[0] === null ? null : integerAtLeast(p[0], "outputSize", where, 1),
      p[1] === null ? null : integerAtLeast(p[1], "outputSize", where, 1),
    ];
    this.#arg = outputSize;
  }

  /** Window means to the output size. */
  forward(input: Tensor): Tensor {
    const rank = input.ndim;
    const [h, w] = input.shape.slice(-2);
    if ((rank !== 4 && rank !== 3) || h < 1 || w < 1) {
      throw inputShapeError("AdaptiveAvgPool2d", "[N, C, H, W] or [C, H, W] with H, W ≥ 1", input);
    }
    const hOut = this.outputSize[0] ?? h, wOut = this.outputSize[1] ?? w;
    const planes = input.size / (h * w);
    const outputShape = [...input.shape.slice(0, -2), hOut, wOut];
    const y = this.#buffers.tensor("output", outputShape, this.training, input.data);
    adaptiveAvgPool2dForward(input.data, planes, h, w, y.data, hOut, wOut, 0, planes);
    this.#cache = { input, planes, outputShape };
    return y;
  }

  /** Spreads each gradient over its window; returns dL/dx. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError("AdaptiveAvgPool2d");
    const { input, planes, outputShape } = this.#cache;
    checkGradOutput("AdaptiveAvgPool2d", gradOutput, outputShape);
    const [h, w] = input.shape.slice(-2);
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gradOutput.data);
    const [hOut, wOut] = outputShape.slice(-2);
    adaptiveAvgPool2dBackward(gradOutput.data, planes, hOut, wOut, gx.data, h, w, 0, planes);
    return gx;
  }

  /** `AdaptiveAvgPool2d(output_size=1)`, as PyTorch prints it. */
  override toString(): string {
    const a = this.#arg;
    const s = typeof a === "number"
      ? String(a)
      : `(${a.map((v) => (v === null ? "None" : v)).join(", ")})`;
    return `AdaptiveAvgPool2d(output_size=${s})`;
  }
}
