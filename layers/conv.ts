/** Conv2d: 2-D convolution over [N, C_in, H, W] with stride, zero padding, dilation and groups. */

import { Module } from "./module.ts";
import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { calculateFanInAndFanOut, kaimingUniform, uniform } from "../tensor/init.ts";
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  type Conv2dGeometry,
  conv2dGeometry,
  conv2dWorkspaceSize,
  pad2dBackward,
  pad2dForward,
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
  rngOption,
} from "./_common.ts";

/** Options of {@linkcode Conv2d}. */
export interface Conv2dOptions {
  /** Step of the sliding window, int or [h, w]. @default 1 */
  stride?: IntPair;
  /**
   * Zeros added on each side, int or [h, w]; or "valid" (no padding) or "same" (output
   * size = input size; stride must be 1; an odd total padding puts the extra row/column
   * at the bottom/right, as PyTorch). @default 0
   */
  padding?: IntPair | "same" | "valid";
  /** Spacing between kernel taps, int or [h, w]. @default 1 */
  dilation?: IntPair;
  /** Split channels into this many independent groups (both channel counts must divide). @default 1 */
  groups?: number;
  /** Learn a per-output-channel bias. @default true */
  bias?: boolean;
  /** Generator for the initial weights. @default defaultRng() */
  rng?: Rng;
}

/**
 * 2-D cross-correlation, as torch.nn.Conv2d:
 * y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] · x[n, g·C_in/groups + c,
 * i·stride_h − pad_h + p·dilation_h, j·stride_w − pad_w + q·dilation_w], where g is the
 * group of output channel o and x is zero outside the input.
 *
 * Shape: input [N, C_in, H, W] or unbatched [C_in, H, W]; output [N, C_out, H_out, W_out] with
 * H_out = floor((H + 2·pad_h − dilation_h·(kh − 1) − 1) / stride_h) + 1 (same for W).
 *
 * Parameters: `weight` [C_out, C_in/groups, kh, kw] and `bias` [C_out], both initialized
 * U(−1/√fan_in, 1/√fan_in) with fan_in = C_in/groups·kh·kw, as PyTorch.
 *
 * Backward: accumulates into weight.grad and bias.grad, returns dL/dx (via the
 * conv2dBackward* kernels).
 *
 * @example
 * ```ts
 * import { Conv2d } from "./conv.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const conv = new Conv2d(1, 4, 3, { padding: 1 });
 * const y = conv.forward(Tensor.ones([2, 1, 5, 5]));
 * console.log(y.shape); // [2, 4, 5, 5]
 * ```
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  /** Padding [h, w] on both sides; "same" with an odd total adds one more row/column at the bottom/right. */
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  /** weight [C_out, C_in/groups, kh, kw]. */
  readonly weight: Parameter;
  /** bias [C_out], or null with `{ bias: false }`. */
  readonly bias: Parameter | null;
  // "same" with an odd total padding: one extra zero row/column at the bottom/right.
  readonly #extra: [number, number];
  // The padding exactly as given ("same", "valid" or numbers), for toString.
  readonly #paddingArg: IntPair | "same" | "valid";
  #workspace = new Float32Array(0);
  readonly #buffers = new BufferCache();
  #cache:
    | { input: Tensor; g: Conv2dGeometry; padded: Float32Array; outputShape: readonly number[] }
    | null = null;

  /**
   * @param inChannels channels of the input C_in (≥ 1)
   * @param outChannels channels of the output C_out (≥ 1)
   * @param kernelSize int or [kh, kw] (≥ 1)
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    options: Conv2dOptions = {},
  ) {
    super();
    const where = "Cannot create Conv2d";
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, rng } = checkCall(
      where,
      arguments.length,
      4,
      options,
      { stride: true, padding: true, dilation: true, groups: true, bias: true, rng: true },
    );
    boolean(bias, "bias", where);
    rngOption(rng, where);
    this.inChannels = integerAtLeast(inChannels, "inChannels", where, 1);
    this.outChannels = integerAtLeast(outChannels, "outChannels", where, 1);
    this.kernelSize = pair(kernelSize, "kernelSize", where, 1);
    this.stride = pair(stride, "stride", where, 1);
    this.dilation = pair(dilation, "dilation", where, 1);
    this.groups = integerAtLeast(groups, "groups", where, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(
        `${where}: groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    this.#paddingArg = padding;
    this.#extra = [0, 0];
    if (padding === "valid") {
      this.padding = [0, 0];
    } else if (padding === "same") {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) {
        throw new RangeError(
          `${where}: padding "same" needs stride 1 (as PyTorch), got stride ${pyInts(this.stride)}`,
        );
      }
      const totalH = this.dilation[0] * (this.kernelSize[0] - 1);
      const totalW = this.dilation[1] * (this.kernelSize[1] - 1);
      this.padding = [Math.floor(totalH / 2), Math.floor(totalW / 2)];
      this.#extra = [totalH % 2, totalW % 2];
    } else if (typeof padding === "string") {
      throw new RangeError(
        `${where}: expected padding to be an integer, an [h, w] pair, "same" or "valid", got ${
          JSON.stringify(padding)
        }`,
      );
    } else {
      this.padding = pair(padding, "padding", where, 0);
    }
    const [kh, kw] = this.kernelSize;
    this.weight = new Parameter(Tensor.zeros([outChannels, inChannels / groups, kh, kw]));
    this.bias = bias ? new Parameter(Tensor.zeros([outChannels])) : null;
    this.resetParameters(rng);
  }

  /** Re-draws weight and bias from PyTorch's default U(−1/√fan_in, 1/√fan_in). */
  resetParameters(rng?: Rng): void {
    kaimingUniform(this.weight.data, { a: Math.sqrt(5), rng });
    if (this.bias !== null) {
      const bound = 1 / Math.sqrt(calculateFanInAndFanOut(this.weight.shape)[0]);
      uniform(this.bias.data, -bound, bound, { rng });
    }
  }

  /** The convolution of `input` [N, C_in, H, W] (or [C_in, H, W]); caches the input for backward. */
  forward(input: Tensor): Tensor {
    const c = this.inChannels;
    const rank = input.ndim;
    if ((rank !== 4 && rank !== 3) || input.shape[rank - 3] !== c) {
      throw inputShapeError("Conv2d", `[N, ${c}, H, W] or [${c}, H, W]`, input);
    }
    const n = rank === 4 ? input.shape[0] : 1;
    const [h0, w0] = [input.shape[rank - 2], input.shape[rank - 1]];
    const [eh, ew] = this.#extra;
    const h = h0 + eh, w = w0 + ew;
    let padded = input.data;
    if (eh + ew > 0) {
      padded = this.#buffers.floats("paddedInput", n * c * h * w, this.training);
      pad2dForward(input.data, n * c, h0, w0, 0, 0, padded, h, w);
    }
    const g = geometry("Conv2d", () =>
      conv2dGeometry({
        n,
        cIn: c,
        h,
        w,
        cOut: this.outChannels,
        kh: this.kernelSize[0],
        kw: this.kernelSize[1],
        strideH: this.stride[0],
        strideW: this.stride[1],
        padH: this.padding[0],
        padW: this.padding[1],
        dilationH: this.dilation[0],
        dilationW: this.dilation[1],
        groups: this.groups,
      }));
    const outputShape = rank === 4 ? [n, g.cOut, g.hOut, g.wOut] : [g.cOut, g.hOut, g.wOut];
    const y = this.#buffers.tensor("output", outputShape, this.training, input.data);
    const [weight, bias] = [this.weight.data.data, this.bias?.data.data ?? null];
    conv2dForward(g, padded, weight, bias, y.data, this.#scratch(g));
    this.#cache = { input, g, padded, outputShape };
    return y;
  }

  /** Accumulates dL/dweight and dL/dbias; returns dL/dx. */
  backward(gradOutput: Tensor): Tensor {
    const { input, g, padded } = this.#parameterGradients(gradOutput);
    const workspace = this.#scratch(g);
    const gy = gradOutput.data;
    const gx = this.#buffers.tensor("gradInput", input.shape, this.training, gy);
    if (padded === input.data) {
      conv2dBackwardInput(g, gy, this.weight.data.data, gx.data, workspace);
    } else {
      // "same" with an odd total padding: differentiate w.r.t. the padded input, then crop.
      const gPadded = this.#buffers.floats("gradPaddedInput", padded.length, this.training);
      conv2dBackwardInput(g, gy, this.weight.data.data, gPadded, workspace);
      const [h, w] = [g.h - this.#extra[0], g.w - this.#extra[1]];
      pad2dBackward(gPadded, g.n * g.cIn, g.h, g.w, 0, 0, gx.data, h, w);
    }
    return gx;
  }

  /** Accumulates dL/dweight and dL/dbias only. */
  override backwardParameters(gradOutput: Tensor): void {
    this.#parameterGradients(gradOutput);
  }

  // Accumulates dL/dweight and dL/dbias; returns the forward's cache.
  #parameterGradients(
    gradOutput: Tensor,
  ): { input: Tensor; g: Conv2dGeometry; padded: Float32Array } {
    if (this.#cache === null) throw noForwardError("Conv2d");
    const { input, g, padded, outputShape } = this.#cache;
    checkGradOutput("Conv2d", gradOutput, outputShape);
    const [gw, gb] = [this.weight.grad.data, this.bias?.grad.data ?? null];
    conv2dBackwardWeight(g, padded, gradOutput.data, gw, gb, this.#scratch(g));
    return { input, g, padded };
  }

  /** `weight`, then `bias`. */
  override ownParameters(): [string, Parameter][] {
    return this.bias === null
      ? [["weight", this.weight]]
      : [["weight", this.weight], ["bias", this.bias]];
  }

  /** `Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))`, as PyTorch prints it. */
  override toString(): string {
    const kernel = `kernel_size=${pyInts(this.kernelSize)}, stride=${pyInts(this.stride)}`;
    let s = `Conv2d(${this.inChannels}, ${this.outChannels}, ${kernel}`;
    if (typeof this.#paddingArg === "string") s += `, padding=${this.#paddingArg}`;
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) {
      s += `, padding=${pyInts(this.padding)}`;
    }
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) {
      s += `, dilation=${pyInts(this.dilation)}`;
    }
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += `, bias=${pyBool(false)}`;
    return s + ")";
  }

  // One workspace per layer, grown on demand (not shared: parallel/ runs layers concurrently).
  #scratch(g: Conv2dGeometry): Float32Array {
    const need = conv2dWorkspaceSize(g);
    if (this.#workspace.length < need) this.#workspace = new Float32Array(need);
    return this.#workspace;
  }
}
