/**
 * Normalization kernels: batch-norm statistics, forward and backward over
 * [N, C, L] (L = 1 for [N, C], H·W for images), and layer-norm over rows [M, K].
 *
 * Sums are accumulated in float64 (JS numbers) — the statistics' sums in four interleaved
 * partial sums, since a single running sum waits on each add before the next — variances
 * by the two-pass formula Σ(x − mean)² / M, and results are rounded to float32 on store.
 */

import { checkRowRange } from "./_range.ts";

/**
 * Per-channel mean and BIASED variance over (n, l) of x viewed as [n, c, l]:
 * mean[ch] = Σ x / M, variance[ch] = Σ (x − mean)² / M with M = n·l.
 *
 * @param mean output [c], overwritten
 * @param variance output [c], overwritten
 */
export function batchNormStats(
  x: Float32Array,
  n: number,
  c: number,
  l: number,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const m = n * l;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += sum(x, (i * c + ch) * l, (i * c + ch + 1) * l);
    const mu = s / m;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      ss += sumSquaredDeviations(x, (i * c + ch) * l, (i * c + ch + 1) * l, mu);
    }
    mean[ch] = mu;
    variance[ch] = ss / m;
  }
}

/**
 * Running-statistics update, as PyTorch: with `unbiased = variance · M / (M − 1)`,
 * runningMean = (1 − f)·runningMean + f·mean and runningVar = (1 − f)·runningVar + f·unbiased,
 * where f is the momentum (or 1 / numBatchesTracked for a cumulative average).
 *
 * @param variance the BIASED batch variance [c] from `batchNormStats`
 * @param count M = N·L, the number of values per channel (≥ 2)
 */
export function batchNormUpdateRunning(
  runningMean: Float32Array,
  runningVar: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  count: number,
  factor: number,
): void {
  const correction = count / (count - 1);
  for (let ch = 0; ch < mean.length; ch++) {
    runningMean[ch] = (1 - factor) * runningMean[ch] + factor * mean[ch];
    runningVar[ch] = (1 - factor) * runningVar[ch] + factor * variance[ch] * correction;
  }
}

/** invStd[ch] = 1 / sqrt(variance[ch] + eps) (`invStd` may be `variance`). */
export function inverseStd(variance: Float32Array, eps: number, invStd: Float32Array): void {
  for (let ch = 0; ch < variance.length; ch++) invStd[ch] = 1 / Math.sqrt(variance[ch] + eps);
}

/**
 * y[i, ch, j] = (x[i, ch, j] − mean[ch]) · invStd[ch] · weight[ch] + bias[ch]
 * (weight 1 and bias 0 when null), for x and y viewed as [n, c, l].
 */
export function batchNormForward(
  x: Float32Array,
  y: Float32Array,
  n: number,
  c: number,
  l: number,
  mean: Float32Array,
  invStd: Float32Array,
  weight: Float32Array | null,
  bias: Float32Array | null,
): void {
  for (let ch = 0; ch < c; ch++) {
    const scale = invStd[ch] * (weight === null ? 1 : weight[ch]);
    const shift = (bias === null ? 0 : bias[ch]) - mean[ch] * scale;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * l;
      for (let j = base; j < base + l; j++) y[j] = x[j] * scale + shift;
    }
  }
}

/**
 * Backward of `batchNormForward` with x̂ = (x − mean)·invStd and M = n·l:
 * - gWeight[ch] += Σ gy·x̂ and gBias[ch] += Σ gy (ACCUMULATE; skipped when null);
 * - with batch statistics (training): gx = weight·invStd·(gy − Σgy/M − x̂·Σ(gy·x̂)/M),
 *   because mean and variance depend on x;
 * - with fixed (running) statistics: gx = weight·invStd·gy.
 *
 * @param gx dL/dx [n, c, l], OVERWRITTEN
 */
export function batchNormBackward(
  x: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  n: number,
  c: number,
  l: number,
  mean: Float32Array,
  invStd: Float32Array,
  weight: Float32Array | null,
  gWeight: Float32Array | null,
  gBias: Float32Array | null,
  batchStats: boolean,
): void {
  const m = n * l;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch];
    const is = invStd[ch];
    let sumGy = 0;
    let sumGyXhat = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * l;
      for (let j = base; j < base + l; j++) {
        sumGy += gy[j];
        sumGyXhat += gy[j] * (x[j] - mu) * is;
      }
    }
    if (gWeight !== null) gWeight[ch] += sumGyXhat;
    if (gBias !== null) gBias[ch] += sumGy;
    const scale = is * (weight === null ? 1 : weight[ch]);
    const meanGy = batchStats ? sumGy / m : 0;
    const meanGyXhat = batchStats ? sumGyXhat / m : 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * l;
      for (let j = base; j < base + l; j++) {
        gx[j] = scale * (gy[j] - meanGy - (x[j] - mu) * is * meanGyXhat);
      }
    }
  }
}

/**
 * Layer norm over each row of x viewed as [rows, size]:
 * y[r, k] = (x[r, k] − mean[r]) · invStd[r] · weight[k] + bias[k], with the row's mean,
 * BIASED variance and invStd = 1 / sqrt(variance + eps) (stored for the backward).
 *
 * @param mean output [rows], overwritten
 * @param invStd output [rows], overwritten
 */
export function layerNormForward(
  x: Float32Array,
  y: Float32Array,
  rows: number,
  size: number,
  eps: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  mean: Float32Array,
  invStd: Float32Array,
  lo: number,
  hi: number,
): void {
  checkRowRange("layerNormForward", lo, hi, rows);
  for (let r = lo; r < hi; r++) {
    const base = r * size;
    const mu = sum(x, base, base + size) / size;
    const is = 1 / Math.sqrt(sumSquaredDeviations(x, base, base + size, mu) / size + eps);
    mean[r] = mu;
    invStd[r] = is;
    if (weight !== null && bias !== null) {
      // The usual affine case on its own: no per-element tests (JavaScriptCore keeps them).
      for (let k = 0; k < size; k++) y[base + k] = (x[base + k] - mu) * is * weight[k] + bias[k];
      continue;
    }
    for (let k = 0; k < size; k++) {
      const xhat = (x[base + k] - mu) * is;
      y[base + k] = xhat * (weight === null ? 1 : weight[k]) + (bias === null ? 0 : bias[k]);
    }
  }
}

/**
 * Backward of `layerNormForward` with x̂ = (x − mean)·invStd and g = gy·weight per row:
 * gx = invStd·(g − mean_k(g) − x̂·mean_k(g·x̂)); gWeight[k] += Σ_r gy·x̂ and
 * gBias[k] += Σ_r gy (ACCUMULATE; skipped when null).
 *
 * @param gx dL/dx [rows, size], OVERWRITTEN
 */
export function layerNormBackward(
  x: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  rows: number,
  size: number,
  mean: Float32Array,
  invStd: Float32Array,
  weight: Float32Array | null,
  gWeight: Float32Array | null,
  gBias: Float32Array | null,
  lo: number,
  hi: number,
): void {
  checkRowRange("layerNormBackward", lo, hi, rows);
  for (let r = lo; r < hi; r++) {
    const base = r * size;
    const mu = mean[r];
    const is = invStd[r];
    let sumG = 0;
    let sumGXhat = 0;
    if (weight !== null && gWeight !== null && gBias !== null) {
      // The usual affine case on its own, as in the forward.
      for (let k = 0; k < size; k++) {
        const xhat = (x[base + k] - mu) * is;
        const gyk = gy[base + k];
        const g = gyk * weight[k];
        sumG += g;
        sumGXhat += g * xhat;
        gWeight[k] += gyk * xhat;
        gBias[k] += gyk;
      }
      const meanG = sumG / size;
      const meanGXhat = sumGXhat / size;
      for (let k = 0; k < size; k++) {
        const xhat = (x[base + k] - mu) * is;
        gx[base + k] = is * (gy[base + k] * weight[k] - meanG - xhat * meanGXhat);
      }
      continue;
    }
    for (let k = 0; k < size; k++) {
      const xhat = (x[base + k] - mu) * is;
      const g = gy[base + k] * (weight === null ? 1 : weight[k]);
      sumG += g;
      sumGXhat += g * xhat;
      if (gWeight !== null) gWeight[k] += gy[base + k] * xhat;
      if (gBias !== null) gBias[k] += gy[base + k];
    }
    const meanG = sumG / size;
    const meanGXhat = sumGXhat / size;
    for (let k = 0; k < size; k++) {
      const xhat = (x[base + k] - mu) * is;
      const g = gy[base + k] * (weight === null ? 1 : weight[k]);
      gx[base + k] = is * (g - meanG - xhat * meanGXhat);
    }
  }
}

/** Σ x[lo:hi] in four interleaved float64 partial sums. */
function sum(x: Float32Array, lo: number, hi: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = lo;
  for (; j + 4 <= hi; j += 4) {
    s0 += x[j];
    s1 += x[j + 1];
    s2 += x[j + 2];
    s3 += x[j + 3];
  }
  for (; j < hi; j++) s0 += x[j];
  return (s0 + s1) + (s2 + s3);
}

/** Σ (x[j] − mu)² over [lo, hi), as `sum`. */
function sumSquaredDeviations(x: Float32Array, lo: number, hi: number, mu: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = lo;
  for (; j + 4 <= hi; j += 4) {
    const d0 = x[j] - mu, d1 = x[j + 1] - mu, d2 = x[j + 2] - mu, d3 = x[j + 3] - mu;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; j < hi; j++) s0 += (x[j] - mu) * (x[j] - mu);
  return (s0 + s1) + (s2 + s3);
}
