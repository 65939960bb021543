/** NLLLoss: negative log-likelihood of class indices given log-probabilities. */

import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape } from "../tensor/shape.ts";
import {
  type ClassTargets,
  nllBackward,
  nllForward,
  targetWeightSum,
} from "../tensor/kernels/loss.ts";
import {
  backwardBeforeForward,
  checkLossCall,
  checkReduction,
  checkTensor,
  type Reduction,
  toWeightTensor,
  upstreamGradient,
} from "./_reduction.ts";
import {
  checkClassTargets,
  checkClassWeight,
  checkIgnoreIndex,
  type ClassLayout,
  classLayout,
} from "./_class_target.ts";

export type { Reduction } from "./_reduction.ts";

/** Options of `NLLLoss` (torch.nn.NLLLoss, camelCased). */
export interface NLLLossOptions {
  /** Rescaling weight per class, [C]. @default null (all ones) */
  weight?: Tensor | Float32Array | readonly number[] | null;
  /** Targets equal to this add nothing to the loss, the gradient or the mean's denominator. @default -100 */
  ignoreIndex?: number;
  /** @default "mean" */
  reduction?: Reduction;
}

/**
 * Negative log-likelihood, as torch.nn.NLLLoss: the input holds log-probabilities
 * (e.g. from LogSoftmax) and the target class indices.
 *
 * ℓ_s = −w[t_s] · x[n, t_s, d…] for each sample s = (n, d…), 0 when t_s = ignoreIndex.
 * - `"mean"`: Σ_s ℓ_s / Σ_s w[t_s] over non-ignored samples (NaN when all are ignored);
 * - `"sum"`: Σ_s ℓ_s;
 * - `"none"`: `forward` returns Σ_s ℓ_s (a number, where PyTorch returns the tensor) and
 *   stores ℓ in `lastLosses` [N, d1, ...]; `backward(gradOutput)` then takes dL/d(lastLosses)
 *   (default all ones).
 *
 * Shape: input [N, C], [N, C, d1, ...] or unbatched [C]; target [N], [N, d1, ...] or
 * one index, as an Int32Array (or Uint8Array) of N·d1·… class indices in [0, C).
 *
 * Backward: returns dL/dinput (same shape as the input); for `"mean"` it already
 * includes the 1 / Σ w[t_s].
 *
 * @example
 * ```ts
 * import { NLLLoss } from "./nll.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const loss = new NLLLoss();
 * const logp = Tensor.fromArray([[Math.log(0.5), Math.log(0.5)], [Math.log(0.9), Math.log(0.1)]]);
 * console.log(loss.forward(logp, new Int32Array([0, 0]))); // (ln 2 + ln(1/0.9)) / 2 ≈ 0.399
 * const grad = loss.backward(); // [[-0.5, 0], [-0.5, 0]]
 * ```
 */
export class NLLLoss {
  /** Class weights [C], or null. */
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  /** Per-sample losses of the last forward [N, d1, ...] when reduction is `"none"`, else null. */
  lastLosses: Tensor | null = null;
  // dL/dx, reused by the next backward of the same shape.
  readonly #buffers = new BufferCache();
  #cache: { input: Tensor; target: ClassTargets; layout: ClassLayout; weightSum: number } | null =
    null;

  constructor(options: NLLLossOptions = {}) {
    const where = "Cannot create NLLLoss";
    const { weight, ignoreIndex = -100, reduction = "mean" } = checkLossCall(
      where,
      arguments.length,
      options,
      {
        weight: true,
        ignoreIndex: true,
        reduction: true,
      },
    );
    this.weight = toWeightTensor(weight, "weight", where);
    if (this.weight !== null && this.weight.ndim !== 1) {
      throw new TypeError(`${where}: expected weight [C], got ${formatShape(this.weight.shape)}`);
    }
    this.ignoreIndex = checkIgnoreIndex(ignoreIndex, where);
    this.reduction = checkReduction(reduction, where);
  }

  /**
   * The reduced loss for log-probabilities `input` [N, C, d1, ...] and class indices `target`.
   * Throws a TypeError on shape mismatch, a RangeError for a target outside [0, C).
   */
  forward(input: Tensor, target: ClassTargets): number {
    const where = "Cannot run NLLLoss.forward";
    checkTensor(input, "input", where);
    const layout = classLayout(input, where);
    checkClassTargets(target, input, layout, this.ignoreIndex, where);
    const weight = checkClassWeight(this.weight, input, layout.c, where);
    const { n, c, inner } = layout;
    const losses = this.reduction === "none" ? Tensor.zeros(layout.targetShape) : null;
    const total = nllForward(
      input.data,
      target,
      weight,
      this.ignoreIndex,
      losses?.data ?? null,
      n,
      c,
      inner,
      0,
      n,
    );
    this.lastLosses = losses;
    const weightSum = this.reduction === "mean"
      ? targetWeightSum(target, weight, this.ignoreIndex, 0, target.length)
      : 1;
    this.#cache = { input, target, layout, weightSum };
    return this.reduction === "mean" ? total / weightSum : total;
  }

  /**
   * dL/dinput of the last forward, shape of the input. For `"mean"` it includes the
   * 1 / Σ w[t_s]. `gradOutput`: for `"none"` dL/d(lastLosses) (default ones), otherwise an
   * optional one-element upstream gradient (default 1).
   */
  backward(gradOutput?: Tensor): Tensor {
    if (this.#cache === null) throw backwardBeforeForward("NLLLoss");
    const { input, target, layout, weightSum } = this.#cache;
    const { n, c, inner, targetShape } = layout;
    const where = "Cannot run NLLLoss.backward";
    const { scale, perElement } = upstreamGradient(
      this.reduction,
      gradOutput,
      targetShape,
      weightSum,
      where,
    );
    const gx = this.#buffers.tensor("gradInput", input.shape, true, input.data);
    const weight = this.weight?.data ?? null;
    nllBackward(target, weight, this.ignoreIndex, perElement, scale, gx.data, n, c, inner, 0, n);
    return gx;
  }
}
