/** Internal: the Adam/AdamW update shared by adam.ts and adamw.ts (they differ only in how weight decay enters). */

import type { StateBuffers } from "./optimizer.ts";

/** Hyperparameters of Adam and AdamW. */
export interface AdamFamilyHyperparameters {
  lr: number;
  betas: readonly [number, number] | readonly number[];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * One Adam step on `param[lo..hi)`, PyTorch's algorithm and operation order:
 *
 * ```text
 * g ← maximize ? −grad : grad
 * decoupled (AdamW): p ← p·(1 − γλ)      else (Adam): g ← g + λp
 * m ← β1·m + (1 − β1)·g                   (exp_avg)
 * v ← β2·v + (1 − β2)·g²                  (exp_avg_sq)
 * amsgrad: v̂ ← max(v̂, v) and use v̂ below (max_exp_avg_sq)
 * p ← p − (γ / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * ```
 */
export function adamFamilyUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  step: number,
  hp: Readonly<AdamFamilyHyperparameters>,
  lo: number,
  hi: number,
  decoupled: boolean,
): void {
  const { lr, betas, eps, weightDecay, amsgrad, maximize } = hp;
  const [beta1, beta2] = betas;
  const sign = maximize ? -1 : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const m = state.exp_avg;
  const v = state.exp_avg_sq;
  const vMax = amsgrad ? state.max_exp_avg_sq : v;
  for (let i = lo; i < hi; i++) {
    if (decoupled) param[i] *= decay;
    const g = sign * grad[i] + l2 * param[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    if (amsgrad && v[i] > vMax[i]) vMax[i] = v[i];
    param[i] -= (stepSize * m[i]) / (Math.sqrt(vMax[i]) / bc2Sqrt + eps);
  }
}
