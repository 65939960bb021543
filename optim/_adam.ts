/** Internal: the Adam/AdamW update shared by adam.ts and adamw.ts (they differ only in how weight decay enters). */

import type { StateBuffers } from "./optimizer.ts";
import { adamKernel } from "../tensor/kernels/mod.ts";

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
 *
 * The per-step scalars are computed here; the loop is `adamKernel` (tensor/kernels/optimizer.ts).
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
  const beta1 = betas[0];
  const beta2 = betas[1];
  adamKernel(
    param,
    grad,
    state.exp_avg,
    state.exp_avg_sq,
    amsgrad ? state.max_exp_avg_sq : null,
    lo,
    hi,
    beta1,
    beta2,
    lr / (1 - beta1 ** step),
    Math.sqrt(1 - beta2 ** step),
    eps,
    maximize ? -1 : 1,
    decoupled ? 0 : weightDecay,
    decoupled ? 1 - lr * weightDecay : 1,
  );
}
