/** MSELoss: mean squared error between a prediction and a target tensor. */

import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { mseBackward, mseForward } from "../tensor/kernels/pointwise_loss.ts";
import {
  backwardBeforeForward,
  checkLossCall,
  checkReduction,
  checkTensor,
  type Reduction,
  upstreamGradient,
} from "./_reduction.ts";

export type { Reduction } from "./_reduction.ts";

/** Options of `MSELoss` (torch.nn.MSELoss). */
export interface MSELossOptions {
  /** @default "mean" */
  reduction?: Reduction;
}

/**
 * Squared error, as torch.nn.MSELoss: ℓ_k = (x_k − y_k)² for every element.
 * - `"mean"`: Σ_k ℓ_k / numel (NaN for an empty input); `"sum"`: Σ_k ℓ_k;
 * - `"none"`: `forward` returns Σ_k ℓ_k (a number, where PyTorch returns the tensor) and
 *   stores ℓ in `lastLosses` (the input's shape); `backward(gradOutput)` then takes
 *   dL/d(lastLosses) (default all ones).
 *
 * Shape: input and target any shape, the SAME shape (no broadcasting: PyTorch only warns).
 *
 * Backward: returns dL/dinput = 2(x − y) · g, where g = 1 / numel for `"mean"` (the 1/N is
 * included), 1 for `"sum"`, gradOutput for `"none"`.
 *
 * @example
 * ```ts
 * import { MSELoss } from "./mse.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const loss = new MSELoss();
 * console.log(loss.forward(Tensor.fromArray([1, 2]), Tensor.fromArray([0, 0]))); // 2.5
 * console.log(loss.backward().toArray()); // [1, 2]
 * ```
 */
export class MSELoss {
  readonly reduction: Reduction;
  /** Per-element losses of the last forward (the input's shape) when reduction is `"none"`, else null. */
  lastLosses: Tensor | null = null;
  // dL/dx, reused by the next backward of the same shape.
  readonly #buffers = new BufferCache();
  #cache: { input: Tensor; target: Tensor } | null = null;

  constructor(options: MSELossOptions = {}) {
    const where = "Cannot create MSELoss";
    const { reduction = "mean" } = checkLossCall(where, arguments.length, options, {
      reduction: true,
    });
    this.reduction = checkReduction(reduction, where);
  }

  /** The reduced loss; `input` and `target` must have the same shape (TypeError otherwise). */
  forward(input: Tensor, target: Tensor): number {
    const where = "Cannot run MSELoss.forward";
    checkTensor(input, "input", where);
    checkTensor(target, "target", where);
    if (!sameShape(input.shape, target.shape)) {
      throw new TypeError(
        `${where}: expected target ${formatShape(input.shape)} (the input's shape), got ${
          formatShape(target.shape)
        }`,
      );
    }
    const losses = this.reduction === "none" ? Tensor.zeros(input.shape) : null;
    const total = mseForward(input.data, target.data, losses?.data ?? null, 0, input.data.length);
    this.lastLosses = losses;
    this.#cache = { input, target };
    return this.reduction === "mean" ? total / input.size : total;
  }

  /**
   * dL/dinput of the last forward (the input's shape); for `"mean"` it includes the 1 / numel.
   * `gradOutput`: for `"none"` dL/d(lastLosses) (default ones), otherwise an optional
   * one-element upstream gradient (default 1).
   */
  backward(gradOutput?: Tensor): Tensor {
    if (this.#cache === null) throw backwardBeforeForward("MSELoss");
    const { input, target } = this.#cache;
    const where = "Cannot run MSELoss.backward";
    const { scale, perElement } = upstreamGradient(
      this.reduction,
      gradOutput,
      input.shape,
      input.size,
      where,
    );
    const gx = this.#buffers.tensor("gradInput", input.shape, true, input.data);
    mseBackward(input.data, target.data, perElement, scale, gx.data, 0, input.data.length);
    return gx;
  }
}
