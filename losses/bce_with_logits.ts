/** BCEWithLogitsLoss: sigmoid + binary cross-entropy in one numerically stable step. */

import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape, sameShape, sizeOf } from "../tensor/shape.ts";
import {
  bceWithLogitsBackward,
  bceWithLogitsForward,
  broadcastInto,
} from "../tensor/kernels/pointwise_loss.ts";
import {
  backwardBeforeForward,
  checkLossCall,
  checkReduction,
  checkTensor,
  type Reduction,
  toWeightTensor,
  upstreamGradient,
} from "./_reduction.ts";

export type { Reduction } from "./_reduction.ts";

/** Options of `BCEWithLogitsLoss` (torch.nn.BCEWithLogitsLoss, camelCased). */
export interface BCEWithLogitsLossOptions {
  /** Rescaling weight of each element's loss, broadcastable to the input (e.g. [N, 1] or [C]). @default null */
  weight?: Tensor | Float32Array | readonly number[] | null;
  /** @default "mean" */
  reduction?: Reduction;
  /**
   * Weight of positive examples, broadcastable to the input; usually [C] for the last
   * (class) dimension, e.g. #negatives / #positives per class. @default null
   */
  posWeight?: Tensor | Float32Array | readonly number[] | null;
}

/**
 * Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss, with σ the sigmoid:
 *   ℓ_k = −w_k · (pw_k · y_k · log σ(x_k) + (1 − y_k) · log(1 − σ(x_k))),
 * evaluated as w·((1 − y)·x + (1 + (pw − 1)·y) · softplus(−x)) so large |x| stays finite.
 * Weights w and pw broadcast to the input (NumPy rules, shapes aligned on the right).
 * - `"mean"`: Σ_k ℓ_k / numel (not divided by the weights); `"sum"`: Σ_k ℓ_k;
 * - `"none"`: `forward` returns Σ_k ℓ_k (a number, where PyTorch returns the tensor) and
 *   stores ℓ in `lastLosses` (the input's shape); `backward(gradOutput)` then takes
 *   dL/d(lastLosses) (default all ones).
 *
 * Shape: input (logits) and target (probabilities in [0, 1]) of the same shape.
 *
 * Backward: returns dL/dinput = w · ((1 − y) − (1 + (pw − 1)·y) · σ(−x)) · g
 * (w · (σ(x) − y) · g without posWeight); g = 1 / numel for `"mean"` (the 1/N is included).
 *
 * @example
 * ```ts
 * import { BCEWithLogitsLoss } from "./bce_with_logits.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const loss = new BCEWithLogitsLoss();
 * console.log(loss.forward(Tensor.fromArray([0, 0]), Tensor.fromArray([1, 0]))); // ln 2 ≈ 0.6931
 * console.log(loss.backward().toArray()); // [-0.25, 0.25]
 * ```
 */
export class BCEWithLogitsLoss {
  /** Element weights (broadcast to the input), or null. */
  readonly weight: Tensor | null;
  /** Positive-example weights (broadcast to the input), or null. */
  readonly posWeight: Tensor | null;
  readonly reduction: Reduction;
  /** Per-element losses of the last forward (the input's shape) when reduction is `"none"`, else null. */
  lastLosses: Tensor | null = null;
  // dL/dx, reused by the next backward of the same shape.
  readonly #buffers = new BufferCache();
  #cache: {
    input: Tensor;
    target: Tensor;
    weight: Float32Array | null;
    posWeight: Float32Array | null;
  } | null = null;

  constructor(options: BCEWithLogitsLossOptions = {}) {
    const where = "Cannot create BCEWithLogitsLoss";
    const { weight, reduction = "mean", posWeight } = checkLossCall(
      where,
      arguments.length,
      options,
      {
        weight: true,
        reduction: true,
        posWeight: true,
      },
    );
    this.weight = toWeightTensor(weight, "weight", where);
    this.posWeight = toWeightTensor(posWeight, "posWeight", where);
    this.reduction = checkReduction(reduction, where);
  }

  /** The reduced loss; `input` and `target` must have the same shape (TypeError otherwise). */
  forward(input: Tensor, target: Tensor): number {
    const where = "Cannot run BCEWithLogitsLoss.forward";
    checkTensor(input, "input", where);
    checkTensor(target, "target", where);
    if (!sameShape(input.shape, target.shape)) {
      throw new TypeError(
        `${where}: expected target ${formatShape(input.shape)} (the input's shape), got ${
          formatShape(target.shape)
        }`,
      );
    }
    const weight = this.#expand("weight", this.weight, input.shape, where);
    const posWeight = this.#expand("posWeight", this.posWeight, input.shape, where);
    const losses = this.reduction === "none" ? Tensor.zeros(input.shape) : null;
    const total = bceWithLogitsForward(
      input.data,
      target.data,
      weight,
      posWeight,
      losses?.data ?? null,
      0,
      input.data.length,
    );
    this.lastLosses = losses;
    this.#cache = { input, target, weight, posWeight };
    return this.reduction === "mean" ? total / input.size : total;
  }

  /**
   * dL/dinput of the last forward (the input's shape); for `"mean"` it includes the 1 / numel.
   * `gradOutput`: for `"none"` dL/d(lastLosses) (default ones), otherwise an optional
   * one-element upstream gradient (default 1).
   */
  backward(gradOutput?: Tensor): Tensor {
    if (this.#cache === null) throw backwardBeforeForward("BCEWithLogitsLoss");
    const { input, target, weight, posWeight } = this.#cache;
    const where = "Cannot run BCEWithLogitsLoss.backward";
    const { scale, perElement } = upstreamGradient(
      this.reduction,
      gradOutput,
      input.shape,
      input.size,
      where,
    );
    const gx = this.#buffers.tensor("gradInput", input.shape, true, input.data);
    bceWithLogitsBackward(
      input.data,
      target.data,
      weight,
      posWeight,
      perElement,
      scale,
      gx.data,
      0,
      input.data.length,
    );
    return gx;
  }

  /** `w` itself when it has the input's shape, else a fresh copy broadcast to `shape` (TypeError if it cannot be). */
  #expand(
    name: string,
    w: Tensor | null,
    shape: readonly number[],
    where: string,
  ): Float32Array | null {
    if (w === null) return null;
    if (sameShape(w.shape, shape)) return w.data;
    const offset = shape.length - w.ndim;
    const fits = offset >= 0 && w.shape.every((d, i) => d === 1 || d === shape[offset + i]);
    if (!fits) {
      throw new TypeError(
        `${where}: ${name} ${formatShape(w.shape)} does not broadcast to input ${
          formatShape(shape)
        }`,
      );
    }
    const out = new Float32Array(sizeOf(shape));
    broadcastInto(w.data, w.shape, out, shape);
    return out;
  }
}
