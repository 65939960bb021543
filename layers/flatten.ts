/** Flatten: merges a range of dimensions into one (a view, no copy). */

import { Module } from "./module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { normalizeDim, sizeOf } from "../tensor/shape.ts";
import { checkCall, checkGradOutput, noForwardError } from "./_common.ts";
import { describeValue } from "../tensor/options.ts";

/** Options of {@linkcode Flatten}. */
export interface FlattenOptions {
  /** First dimension to merge (negative counts from the end). @default 1 */
  startDim?: number;
  /** Last dimension to merge, inclusive (negative counts from the end). @default -1 */
  endDim?: number;
}

/**
 * Merges dimensions startDim..endDim into one (torch.nn.Flatten), e.g. [N, C, H, W] →
 * [N, C·H·W] with the defaults. The output shares the input's data.
 *
 * Shape: [d0, …, d_start, …, d_end, …] → [d0, …, d_start·…·d_end, …]. No parameters.
 *
 * Backward: dL/dx is dL/dy reshaped to the input's shape.
 *
 * @example
 * ```ts
 * import { Flatten } from "./flatten.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * console.log(new Flatten().forward(Tensor.zeros([8, 1, 28, 28])).shape); // [8, 784]
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  #cache: { inputShape: readonly number[]; outputShape: readonly number[] } | null = null;

  constructor(options: FlattenOptions = {}) {
    super();
    const where = "Cannot create Flatten";
    const { startDim = 1, endDim = -1 } = checkCall(where, arguments.length, 1, options, {
      startDim: true,
      endDim: true,
    });
    for (const [name, v] of [["startDim", startDim], ["endDim", endDim]] as const) {
      if (!Number.isInteger(v)) {
        throw new RangeError(
          `${where}: expected ${name} to be an integer, got ${describeValue(v)}`,
        );
      }
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** A view of `input` with dimensions startDim..endDim merged. */
  forward(input: Tensor): Tensor {
    const where = "Cannot run Flatten.forward";
    // A scalar flattens like a one-element vector, as PyTorch.
    const shape = input.ndim === 0 ? [1] : input.shape;
    const start = normalizeDim(this.startDim, shape.length, where);
    const end = normalizeDim(this.endDim, shape.length, where);
    if (start > end) {
      throw new RangeError(
        `${where}: startDim ${this.startDim} comes after endDim ${this.endDim} for rank ${shape.length}`,
      );
    }
    const outputShape = [
      ...shape.slice(0, start),
      sizeOf(shape.slice(start, end + 1)),
      ...shape.slice(end + 1),
    ];
    this.#cache = { inputShape: input.shape, outputShape };
    return input.reshape(outputShape);
  }

  /** dL/dy reshaped to the input's shape. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#cache === null) throw noForwardError("Flatten");
    checkGradOutput("Flatten", gradOutput, this.#cache.outputShape);
    return gradOutput.reshape(this.#cache.inputShape);
  }

  /** `Flatten(start_dim=1, end_dim=-1)`, as PyTorch prints it. */
  override toString(): string {
    return `Flatten(start_dim=${this.startDim}, end_dim=${this.endDim})`;
  }
}
