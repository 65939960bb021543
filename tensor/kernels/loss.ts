/**
 * Class-index loss kernels (cross-entropy, NLL): per-sample losses and their gradients.
 *
 * They see their input as `[N, C, inner]` (PyTorch's class dimension 1;
 * `inner` is the product of the spatial sizes d1·d2·…, 1 for `[N, C]`) and their target
 * as `[N, inner]`: sample `(n, j)` has target `t[n·inner + j]` and class scores at
 * `(n·C + c)·inner + j`. Pointwise losses (MSE, BCE) are in `pointwise_loss.ts`.
 *
 * Forward kernels return Σ of the per-sample losses in float64 and, when `losses` is
 * not null, store each one there. Backward kernels OVERWRITE `gx` with
 * `g_s · dℓ_s/dx`, where `g_s = scale · gradOut[s]` (or `scale` when `gradOut` is null):
 * pass `scale = 1 / Σ weights` (or 1 / N) for a mean, 1 for a sum. `lo`/`hi` select
 * samples n so `parallel/` can run slices. No kernel checks its
 * inputs: the loss classes in `losses/` do, once per call.
 */

import { logSumExp } from "./reduce.ts";
import { expNonPositive } from "./_fast_exp.ts";
import { checkRowRange } from "./_range.ts";

/** Class targets: indices as Int32Array, or Uint8Array straight from a dataset. */
export type ClassTargets = Int32Array | Uint8Array;

/**
 * The first index k with a target outside [0, c) that is not `ignoreIndex`, or −1.
 *
 * @param target class indices [count]
 */
export function findInvalidTarget(target: ClassTargets, c: number, ignoreIndex: number): number {
  for (let k = 0; k < target.length; k++) {
    const t = target[k];
    if ((t < 0 || t >= c) && t !== ignoreIndex) return k;
  }
  return -1;
}

/**
 * Σ_s w[t_s] over targets t_s ≠ ignoreIndex (w ≡ 1 when `weight` is null): the
 * denominator of PyTorch's mean for NLLLoss / CrossEntropyLoss.
 *
 * @param target class indices [count]
 * @param weight class weights [C] or null
 */
export function targetWeightSum(
  target: ClassTargets,
  weight: Float32Array | null,
  ignoreIndex: number,
  lo: number,
  hi: number,
): number {
  let s = 0;
  for (let k = lo; k < hi; k++) {
    const t = target[k];
    if (t !== ignoreIndex) s += weight === null ? 1 : weight[t];
  }
  return s;
}

/**
 * Negative log-likelihood: ℓ_s = −w[t_s] · x[n, t_s, j] for s = (n, j); ℓ_s = 0 when
 * t_s = ignoreIndex. Returns Σ_s ℓ_s over samples n in [lo, hi).
 *
 * @param logp log-probabilities x [N, C, inner]
 * @param target class indices [N, inner]
 * @param weight class weights [C] or null (all ones)
 * @param losses ℓ [N, inner] or null
 */
export function nllForward(
  logp: Float32Array,
  target: ClassTargets,
  weight: Float32Array | null,
  ignoreIndex: number,
  losses: Float32Array | null,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): number {
  checkRowRange("nllForward", lo, hi, n);
  let total = 0;
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const s = o * inner + j;
      const t = target[s];
      let l = 0;
      if (t !== ignoreIndex) l = -(weight === null ? 1 : weight[t]) * logp[(o * c + t) * inner + j];
      if (losses !== null) losses[s] = l;
      total += l;
    }
  }
  return total;
}

/**
 * Gradient of NLL: gx[n, c, j] = −g_s · w[t_s] · [c = t_s]; zero for ignored samples.
 *
 * @param gradOut upstream gradient per sample [N, inner] or null (all ones)
 * @param gx dL/dx [N, C, inner], OVERWRITTEN
 */
export function nllBackward(
  target: ClassTargets,
  weight: Float32Array | null,
  ignoreIndex: number,
  gradOut: Float32Array | null,
  scale: number,
  gx: Float32Array,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("nllBackward", lo, hi, n);
  gx.fill(0, lo * c * inner, hi * c * inner);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const s = o * inner + j;
      const t = target[s];
      if (t === ignoreIndex) continue;
      const g = gradOut === null ? scale : scale * gradOut[s];
      gx[(o * c + t) * inner + j] = -g * (weight === null ? 1 : weight[t]);
    }
  }
}

/**
 * Cross-entropy with class indices and label smoothing ε (PyTorch), fused with the
 * log-softmax: logp[c] = x[c] − log Σ_k exp(x[k]) (stable, float64), then
 * ℓ_s = (1 − ε) · w[t_s] · (−logp[t_s]) + (ε / C) · Σ_c w[c] · (−logp[c]),
 * ℓ_s = 0 when t_s = ignoreIndex. Returns Σ_s ℓ_s over samples n in [lo, hi).
 *
 * @param logits x [N, C, inner]
 * @param logp log-softmax of x [N, C, inner], overwritten (backward needs it)
 * @param target class indices [N, inner]
 * @param weight class weights [C] or null (all ones)
 * @param losses ℓ [N, inner] or null
 */
export function crossEntropyForward(
  logits: Float32Array,
  logp: Float32Array,
  target: ClassTargets,
  weight: Float32Array | null,
  ignoreIndex: number,
  labelSmoothing: number,
  losses: Float32Array | null,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): number {
  checkRowRange("crossEntropyForward", lo, hi, n);
  const eps = labelSmoothing;
  let total = 0;
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const s = o * inner + j;
      const base = o * c * inner + j;
      const lse = logSumExp(logits, base, c, inner);
      for (let k = base, end = base + c * inner; k < end; k += inner) logp[k] = logits[k] - lse;
      const t = target[s];
      let l = 0;
      if (t !== ignoreIndex) {
        // The loss itself uses the float64 lse, not the rounded logp.
        l = (1 - eps) * (weight === null ? 1 : weight[t]) * (lse - logits[base + t * inner]);
        if (eps !== 0) {
          let smooth = 0;
          for (let k = 0; k < c; k++) {
            smooth += (weight === null ? 1 : weight[k]) * (lse - logits[base + k * inner]);
          }
          l += (eps / c) * smooth;
        }
      }
      if (losses !== null) losses[s] = l;
      total += l;
    }
  }
  return total;
}

/**
 * Gradient of `crossEntropyForward` with respect to the logits, with p = exp(logp):
 * gx[n, k, j] = g_s · ((1 − ε)·w[t_s]·(p_k − [k = t_s]) + (ε / C)·(W·p_k − w[k])), W = Σ_c w[c];
 * zero for ignored samples.
 *
 * @param gradOut upstream gradient per sample [N, inner] or null (all ones)
 * @param gx dL/dlogits [N, C, inner], OVERWRITTEN
 */
export function crossEntropyBackward(
  logp: Float32Array,
  target: ClassTargets,
  weight: Float32Array | null,
  ignoreIndex: number,
  labelSmoothing: number,
  gradOut: Float32Array | null,
  scale: number,
  gx: Float32Array,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("crossEntropyBackward", lo, hi, n);
  const b = labelSmoothing / c;
  let wTotal = c;
  if (weight !== null) {
    wTotal = 0;
    for (let k = 0; k < c; k++) wTotal += weight[k];
  }
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const s = o * inner + j;
      const t = target[s];
      const base = o * c * inner + j;
      const end = base + c * inner;
      if (t === ignoreIndex) {
        for (let k = base; k < end; k += inner) gx[k] = 0;
        continue;
      }
      const g = gradOut === null ? scale : scale * gradOut[s];
      const a = (1 - labelSmoothing) * (weight === null ? 1 : weight[t]);
      const pCoef = g * (a + b * wTotal);
      for (let k = 0; k < c; k++) {
        const idx = base + k * inner;
        gx[idx] = pCoef * expNonPositive(logp[idx]) - g * b * (weight === null ? 1 : weight[k]);
      }
      gx[base + t * inner] -= g * a;
    }
  }
}

/**
 * Cross-entropy with class-probability targets q (PyTorch), fused with the log-softmax
 * (as `crossEntropyForward`) and smoothed as q'_c = (1 − ε)·q_c + ε / C:
 * ℓ_s = −Σ_c w[c] · q'_c · logp[c]. Nothing is ignored. Returns Σ_s ℓ_s over samples n in [lo, hi).
 *
 * @param logits x [N, C, inner]
 * @param logp log-softmax of x [N, C, inner], overwritten (backward needs it)
 * @param target probabilities q [N, C, inner]
 * @param weight class weights [C] or null (all ones)
 * @param losses ℓ [N, inner] or null
 */
export function crossEntropyProbForward(
  logits: Float32Array,
  logp: Float32Array,
  target: Float32Array,
  weight: Float32Array | null,
  labelSmoothing: number,
  losses: Float32Array | null,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): number {
  checkRowRange("crossEntropyProbForward", lo, hi, n);
  const keep = 1 - labelSmoothing;
  const add = labelSmoothing / c;
  let total = 0;
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * c * inner + j;
      const lse = logSumExp(logits, base, c, inner);
      let l = 0;
      for (let k = 0; k < c; k++) {
        const idx = base + k * inner;
        const lp = logits[idx] - lse;
        logp[idx] = lp;
        l -= (weight === null ? 1 : weight[k]) * (keep * target[idx] + add) * lp;
      }
      if (losses !== null) losses[o * inner + j] = l;
      total += l;
    }
  }
  return total;
}

/**
 * Gradient of `crossEntropyProbForward`: with u_c = w[c]·q'_c and p = exp(logp),
 * gx[n, k, j] = g_s · (p_k · Σ_c u_c − u_k).
 *
 * @param gradOut upstream gradient per sample [N, inner] or null (all ones)
 * @param gx dL/dlogits [N, C, inner], OVERWRITTEN
 */
export function crossEntropyProbBackward(
  logp: Float32Array,
  target: Float32Array,
  weight: Float32Array | null,
  labelSmoothing: number,
  gradOut: Float32Array | null,
  scale: number,
  gx: Float32Array,
  n: number,
  c: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("crossEntropyProbBackward", lo, hi, n);
  const keep = 1 - labelSmoothing;
  const add = labelSmoothing / c;
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const s = o * inner + j;
      const base = o * c * inner + j;
      const end = base + c * inner;
      const g = gradOut === null ? scale : scale * gradOut[s];
      let uTotal = 0;
      for (let k = 0; k < c; k++) {
        const idx = base + k * inner;
        uTotal += (weight === null ? 1 : weight[k]) * (keep * target[idx] + add);
      }
      for (let k = 0, idx = base; idx < end; k++, idx += inner) {
        const u = (weight === null ? 1 : weight[k]) * (keep * target[idx] + add);
        gx[idx] = g * (expNonPositive(logp[idx]) * uTotal - u);
      }
    }
  }
}
