/**
 * Finiteness checks of the trainers' divergence guard: the first non-finite element of a
 * range, alone or fused into the data-parallel gradient reduce (which reads every summed
 * element once anyway, so the check costs one compare per element).
 *
 * `v - v !== 0` is true exactly for NaN and ±Infinity (NaN − NaN and ∞ − ∞ are NaN),
 * without a call per element.
 */

/**
 * The first index `j` in `[lo, hi)` with a non-finite `a[j]` (NaN or ±Infinity), or -1.
 *
 * @example
 * ```ts
 * import { firstNonFinite } from "./finite.ts";
 * console.log(firstNonFinite(new Float32Array([1, NaN, Infinity]))); // 1
 * ```
 */
export function firstNonFinite(a: Float32Array, lo = 0, hi = a.length): number {
  for (let j = lo; j < hi; j++) {
    const v = a[j];
    if (v - v !== 0) return j;
  }
  return -1;
}

/**
 * `sum[j] += Σ_k addends[k][j]` for `j` in `[lo, hi)` (the reduce-scatter of per-worker
 * gradient slots into slot 0), returning the first `j` whose total is non-finite, or -1.
 * A NaN or ±Infinity in any addend (or an overflow of the sum) makes the total
 * non-finite, so checking the totals checks every slot. With no addends it only checks `sum`.
 */
export function sumIntoFinite(
  sum: Float32Array,
  addends: readonly Float32Array[],
  lo = 0,
  hi = sum.length,
): number {
  if (addends.length === 0) return firstNonFinite(sum, lo, hi);
  for (let k = 0; k < addends.length - 1; k++) {
    const a = addends[k];
    for (let j = lo; j < hi; j++) sum[j] += a[j];
  }
  const last = addends[addends.length - 1];
  let bad = -1;
  for (let j = lo; j < hi; j++) {
    // Rounded to float32 first: a float64 sum that fits would still overflow on store.
    const v = Math.fround(sum[j] + last[j]);
    sum[j] = v;
    if (v - v !== 0 && bad < 0) bad = j;
  }
  return bad;
}
