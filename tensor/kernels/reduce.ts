/**
 * Reductions along one axis: softmax, log-softmax, log-sum-exp and sums.
 *
 * Every function sees its data as `[outer, size, inner]` (row-major): element
 * `(o, i, j)` sits at `(o * size + i) * inner + j`, and the reduction runs over
 * `i`. Use `splitAtDim(shape, dim)` from `../shape.ts` to get the three sizes.
 * A row (the `size` elements of one `(o, j)`) is made stable by subtracting its
 * maximum before `exp`, so inputs of ±1000 stay finite; sums are accumulated in
 * JS numbers (float64) and rounded to float32 once, on store.
 *
 * The optional `lo`/`hi` arguments restrict the work to outer indices
 * `lo ≤ o < hi` so that `parallel/` can run a kernel on slices. Outputs may alias
 * inputs (`y === x`, `gx === gy`): each row is read completely before it is written.
 */

import { expNonPositive } from "./_fast_exp.ts";
import { checkRowRange } from "./_range.ts";

/**
 * Softmax along the middle axis: y[o,i,j] = exp(x[o,i,j] − m) / Σ_k exp(x[o,k,j] − m),
 * with m = max_k x[o,k,j].
 *
 * @param x input [outer, size, inner]
 * @param y output [outer, size, inner], overwritten
 */
export function softmaxForward(
  x: Float32Array,
  y: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("softmaxForward", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      const end = base + size * inner;
      let max = -Infinity;
      for (let k = base; k < end; k += inner) if (x[k] > max) max = x[k];
      // A row without a finite max (all −Infinity, or a +Infinity) comes out NaN, as in PyTorch.
      if (max === -Infinity || max === Infinity) max = 0;
      let sum = 0;
      for (let k = base; k < end; k += inner) {
        const e = Math.exp(x[k] - max);
        y[k] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let k = base; k < end; k += inner) y[k] *= inv;
    }
  }
}

/**
 * Backward of softmax: gx[o,i,j] = y[o,i,j] · (gy[o,i,j] − Σ_k gy[o,k,j] · y[o,k,j]).
 *
 * @param y the softmax output [outer, size, inner]
 * @param gy dL/dy [outer, size, inner]
 * @param gx dL/dx [outer, size, inner], OVERWRITTEN
 */
export function softmaxBackward(
  y: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("softmaxBackward", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      const end = base + size * inner;
      let dot = 0;
      for (let k = base; k < end; k += inner) dot += gy[k] * y[k];
      for (let k = base; k < end; k += inner) gx[k] = y[k] * (gy[k] - dot);
    }
  }
}

/**
 * Log-softmax along the middle axis:
 * y[o,i,j] = x[o,i,j] − m − log Σ_k exp(x[o,k,j] − m), with m = max_k x[o,k,j].
 *
 * @param x input [outer, size, inner]
 * @param y output [outer, size, inner], overwritten
 */
export function logSoftmaxForward(
  x: Float32Array,
  y: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("logSoftmaxForward", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      const shift = logSumExp(x, base, size, inner);
      const end = base + size * inner;
      for (let k = base; k < end; k += inner) y[k] = x[k] - shift;
    }
  }
}

/**
 * Backward of log-softmax: gx[o,i,j] = gy[o,i,j] − exp(y[o,i,j]) · Σ_k gy[o,k,j].
 *
 * @param y the log-softmax output [outer, size, inner]
 * @param gy dL/dy [outer, size, inner]
 * @param gx dL/dx [outer, size, inner], OVERWRITTEN
 */
export function logSoftmaxBackward(
  y: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("logSoftmaxBackward", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      const end = base + size * inner;
      let sum = 0;
      for (let k = base; k < end; k += inner) sum += gy[k];
      for (let k = base; k < end; k += inner) gx[k] = gy[k] - Math.exp(y[k]) * sum;
    }
  }
}

/**
 * Stable log Σ_i exp(x[offset + i·stride]) for i < count, as a float64 number:
 * m + log Σ_i exp(x_i − m) with m = max_i x_i. Returns −Infinity for count 0 or an
 * all −Infinity row, +Infinity if any element is +Infinity, NaN if any is NaN.
 *
 * @param x the values
 * @param offset index of the first element
 * @param count number of elements
 * @param stride distance between consecutive elements @default 1
 */
export function logSumExp(x: Float32Array, offset: number, count: number, stride: number): number {
  const end = offset + count * stride;
  let max = -Infinity;
  for (let k = offset; k < end; k += stride) {
    const v = x[k];
    if (v > max) max = v;
    else if (v !== v) return NaN;
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  // x[k] − max ≤ 0 here: the inlined exponential (Math.exp is a libm call, ~10 ns an element).
  for (let k = offset; k < end; k += stride) sum += expNonPositive(x[k] - max);
  return max + Math.log(sum);
}

/**
 * Log-sum-exp of every row: out[o·inner + j] = log Σ_i exp(x[o,i,j]) (stable, see `logSumExp`).
 *
 * @param x input [outer, size, inner]
 * @param out output [outer, inner], overwritten
 */
export function logSumExpForward(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("logSumExpForward", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      out[o * inner + j] = logSumExp(x, o * size * inner + j, size, inner);
    }
  }
}

/**
 * Σ_k x[k] for lo ≤ k < hi, accumulated in float64.
 *
 * @param x the values
 * @param lo first index @default 0
 * @param hi one past the last index @default x.length
 */
export function sumRange(x: ArrayLike<number>, lo: number, hi: number): number {
  let s = 0;
  for (let k = lo; k < hi; k++) s += x[k];
  return s;
}

/**
 * Sums along the middle axis: out[o·inner + j] = Σ_i x[o,i,j] (float64 accumulation).
 * With `outer = 1` and `inner = C` this is the column sum of an [N, C] matrix (bias gradients).
 *
 * @param x input [outer, size, inner]
 * @param out output [outer, inner], overwritten
 */
export function sumAxis(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("sumAxis", lo, hi, outer);
  for (let o = lo; o < hi; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * size * inner + j;
      const end = base + size * inner;
      let s = 0;
      for (let k = base; k < end; k += inner) s += x[k];
      out[o * inner + j] = s;
    }
  }
}

/**
 * Means along the middle axis: out[o·inner + j] = (1/size) Σ_i x[o,i,j]; NaN when size is 0 (PyTorch).
 *
 * @param x input [outer, size, inner]
 * @param out output [outer, inner], overwritten
 */
export function meanAxis(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  size: number,
  inner: number,
  lo: number,
  hi: number,
): void {
  sumAxis(x, out, outer, size, inner, lo, hi);
  const scale = 1 / size;
  for (let k = lo * inner; k < hi * inner; k++) out[k] = size === 0 ? NaN : out[k] * scale;
}
