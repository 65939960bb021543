/** CrossEntropyLoss: log-softmax + negative log-likelihood on logits, with label smoothing. */

import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import {
  type ClassTargets,
  crossEntropyBackward,
  crossEntropyForward,
  crossEntropyProbBackward,
  crossEntropyProbForward,
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

/** Options of `CrossEntropyLoss` (torch.nn.CrossEntropyLoss, camelCased). */
export interface CrossEntropyLossOptions {
  /** Rescaling weight per class, [C]. @default null (all ones) */
  weight?: Tensor | Float32Array | readonly number[] | null;
  /**
   * Class-index targets equal to this add nothing to the loss, the gradient or the
   * mean's denominator. Must be negative with class-probability targets. @default -100
   */
  ignoreIndex?: number;
  /** @default "mean" */
  reduction?: Reduction;
  /** ε in [0, 1]: the target mixes (1 − ε) of the true class with ε spread uniformly over C classes. @default 0 */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits, as torch.nn.CrossEntropyLoss (log-softmax over dimension 1
 * and NLL in one stable step: the row maximum is subtracted, so logits of ±1000 are fine).
 *
 * Class-index targets t (an Int32Array or Uint8Array), with p = softmax(x) over classes,
 * weights w (default ones) and label smoothing ε:
 *   ℓ_s = (1 − ε) · w[t_s] · (−log p[t_s]) + (ε / C) · Σ_c w[c] · (−log p[c]),
 *   ℓ_s = 0 when t_s = ignoreIndex;
 *   `"mean"` = Σ_s ℓ_s / Σ_s w[t_s] over non-ignored samples (PyTorch divides both terms by
 *   the same weight sum; NaN when every target is ignored), `"sum"` = Σ_s ℓ_s.
 *
 * Class-probability targets q (a Tensor with the logits' shape):
 *   ℓ_s = −Σ_c w[c] · ((1 − ε)·q_c + ε / C) · log p[c]; `"mean"` divides by the number of
 *   samples N·d1·… (not by the weights, as PyTorch).
 *
 * `"none"`: `forward` returns Σ_s ℓ_s (a number, where PyTorch returns the tensor) and stores
 * ℓ in `lastLosses` [N, d1, ...]; `backward(gradOutput)` then takes dL/d(lastLosses)
 * (default all ones).
 *
 * Shape: logits [N, C], [N, C, d1, ...] or unbatched [C]; class targets [N], [N, d1, ...]
 * (N·d1·… indices in [0, C)) or one index; probability targets as the logits.
 *
 * Backward: returns dL/dlogits (same shape as the logits); for `"mean"` it already includes
 * the 1 / Σ w[t_s] (or 1 / N). Without weights or smoothing it is (softmax(x) − onehot(t)) / N.
 *
 * @example
 * ```ts
 * import { CrossEntropyLoss } from "./cross_entropy.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const loss = new CrossEntropyLoss();
 * console.log(loss.forward(Tensor.fromArray([[1, 2, 3]]), new Int32Array([0]))); // ≈ 2.4076059644
 * const grad = loss.backward(); // softmax([1, 2, 3]) − [1, 0, 0]
 * ```
 */
export class CrossEntropyLoss {
  /** Class weights [C], or null. */
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
  /** Per-sample losses of the last forward [N, d1, ...] when reduction is `"none"`, else null. */
  lastLosses: Tensor | null = null;
  #logp: Float32Array = new Float32Array(0);
  // dL/dx, reused by the next backward of the same shape.
  readonly #buffers = new BufferCache();
  #cache: {
    input: Tensor;
    target: ClassTargets | Tensor;
    layout: ClassLayout;
    denominator: number;
  } | null = null;

  constructor(options: CrossEntropyLossOptions = {}) {
    const where = "Cannot create CrossEntropyLoss";
    const { weight, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 } = checkLossCall(
      where,
      arguments.length,
      options,
      {
        weight: true,
        ignoreIndex: true,
        reduction: true,
        labelSmoothing: true,
      },
    );
    this.weight = toWeightTensor(weight, "weight", where);
    if (this.weight !== null && this.weight.ndim !== 1) {
      throw new TypeError(`${where}: expected weight [C], got ${formatShape(this.weight.shape)}`);
    }
    this.ignoreIndex = checkIgnoreIndex(ignoreIndex, where);
    this.reduction = checkReduction(reduction, where);
    const eps = labelSmoothing;
    if (typeof eps !== "number" || !(eps >= 0 && eps <= 1)) {
      throw new RangeError(`${where}: labelSmoothing must be between 0.0 and 1.0, got ${eps}`);
    }
    this.labelSmoothing = eps;
  }

  /**
   * The reduced loss for `logits` [N, C, d1, ...] and class indices (Int32Array/Uint8Array)
   * or class probabilities (a Tensor shaped like the logits). Throws a TypeError on shape
   * mismatch, a RangeError for a class index outside [0, C).
   */
  forward(logits: Tensor, target: ClassTargets | Tensor): number {
    const where = "Cannot run CrossEntropyLoss.forward";
    checkTensor(logits, "logits", where);
    const layout = classLayout(logits, where);
    const { n, c, inner } = layout;
    const weight = checkClassWeight(this.weight, logits, c, where);
    const probabilities = target instanceof Tensor;
    if (probabilities) {
      if (!sameShape(target.shape, logits.shape)) {
        throw new TypeError(
          `${where}: expected class-probability target ${
            formatShape(logits.shape)
          } (the logits' shape), got ${formatShape(target.shape)}`,
        );
      }
      if (this.ignoreIndex >= 0) {
        throw new TypeError(
          `${where}: ignoreIndex ${this.ignoreIndex} is not supported with class-probability targets; ` +
            `pass class indices as an Int32Array or use a negative ignoreIndex`,
        );
      }
    } else {
      checkClassTargets(target, logits, layout, this.ignoreIndex, where);
    }

    if (this.#logp.length !== logits.size) this.#logp = new Float32Array(logits.size);
    const logp = this.#logp;
    const losses = this.reduction === "none" ? Tensor.zeros(layout.targetShape) : null;
    const out = losses?.data ?? null;
    const total = probabilities
      ? crossEntropyProbForward(
        logits.data,
        logp,
        target.data,
        weight,
        this.labelSmoothing,
        out,
        n,
        c,
        inner,
        0,
        n,
      )
      : crossEntropyForward(
        logits.data,
        logp,
        target,
        weight,
        this.ignoreIndex,
        this.labelSmoothing,
        out,
        n,
        c,
        inner,
        0,
        n,
      );
    this.lastLosses = losses;
    let denominator = 1;
    if (this.reduction === "mean") {
      denominator = probabilities
        ? n * inner
        : targetWeightSum(target, weight, this.ignoreIndex, 0, target.length);
    }
    this.#cache = { input: logits, target, layout, denominator };
    // 0 / 0 gives PyTorch's NaN for an empty batch or all-ignored targets.
    return this.reduction === "mean" ? total / denominator : total;
  }

  /**
   * dL/dlogits of the last forward, shape of the logits. For `"mean"` it includes the
   * 1 / Σ w[t_s] (1 / N for probability targets). `gradOutput`: for `"none"` dL/d(lastLosses)
   * (default ones), otherwise an optional one-element upstream gradient (default 1).
   */
  backward(gradOutput?: Tensor): Tensor {
    if (this.#cache === null) throw backwardBeforeForward("CrossEntropyLoss");
    const { input, target, layout, denominator } = this.#cache;
    const { n, c, inner, targetShape } = layout;
    const where = "Cannot run CrossEntropyLoss.backward";
    const { scale, perElement } = upstreamGradient(
      this.reduction,
      gradOutput,
      targetShape,
      denominator,
      where,
    );
    const gx = this.#buffers.tensor("gradInput", input.shape, true, input.data);
    const weight = this.weight?.data ?? null;
    const eps = this.labelSmoothing;
    if (target instanceof Tensor) {
      crossEntropyProbBackward(
        this.#logp,
        target.data,
        weight,
        eps,
        perElement,
        scale,
        gx.data,
        n,
        c,
        inner,
        0,
        n,
      );
    } else {
      crossEntropyBackward(
        this.#logp,
        target,
        weight,
        this.ignoreIndex,
        eps,
        perElement,
        scale,
        gx.data,
        n,
        c,
        inner,
        0,
        n,
      );
    }
    return gx;
  }
}
