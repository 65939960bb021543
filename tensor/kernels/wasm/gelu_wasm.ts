/**
 * GELU's forward x·Φ(x) and its backward gy·(Φ(x) + x·φ(x)) in WebAssembly f64x2: the same
 * float64 piecewise polynomials as _erf.ts (kernels.wat's `eighths` repeats eighthsPolynomial's
 * order of operations), so every output is bit-for-bit the TypeScript loop's, two at a time.
 * The scalar code computes the inputs the tables do not cover (|x| ≳ 6, NaN) and odd ends.
 */

import { geluGrad, normalCdf } from "../_erf.ts";
import { GELU_GRAD_EIGHTHS, PHI_EIGHTHS } from "../_erf_tables.ts";
import { checkRowRange } from "../_range.ts";
import { requireInstance, WORK_END } from "./_instance.ts";

/** Floats per copy-in/compute/copy-out round, so a chunk's operands stay in L2. */
const CHUNK = 1 << 14;

/** y[i] = x[i]·Φ(x[i]) for lo ≤ i < hi (`y` may be `x`), as ACTIVATIONS.gelu's loop. */
export function geluForwardWasm(x: Float32Array, y: Float32Array, lo: number, hi: number): void {
  eighths("geluForwardWasm", PHI_EIGHTHS, x, null, y, lo, hi);
}

/** gx[i] = gy[i]·(Φ(x[i]) + x[i]·φ(x[i])) for lo ≤ i < hi (`gx` may be `gy`). */
export function geluBackwardWasm(
  x: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  lo: number,
  hi: number,
): void {
  eighths("geluBackwardWasm", GELU_GRAD_EIGHTHS, x, gy, gx, lo, hi);
}

/**
 * y[i] = x[i]·Φ(x[i]) and d[i] = Φ(x[i]) + x[i]·φ(x[i]) (GELU's derivative, float64) for
 * lo ≤ i < hi in one pass: what the forward and `geluBackwardWasm` compute, bit for bit, with
 * the piece of each input found once (`y` may be `x`).
 */
export function geluForwardWithGradWasm(
  x: Float32Array,
  y: Float32Array,
  d: Float64Array,
  lo: number,
  hi: number,
): void {
  const instance = requireInstance("geluForwardWithGradWasm", "ACTIVATIONS.gelu of elementwise.ts");
  checkRowRange("geluForwardWithGradWasm", lo, hi, Math.min(x.length, y.length, d.length));
  // [Φ table | Φ + xφ table | x chunk | y chunk | d chunk (float64)], byte addresses 16-aligned
  const phiAt = WORK_END;
  const gradAt = phiAt + PHI_EIGHTHS.length * 8;
  const xAt = gradAt + GELU_GRAD_EIGHTHS.length * 8;
  const yAt = xAt + CHUNK * 4;
  const dAt = yAt + CHUNK * 4;
  const heap = instance.reserve(dAt + CHUNK * 8);
  new Float64Array(heap.buffer, phiAt, PHI_EIGHTHS.length).set(PHI_EIGHTHS);
  new Float64Array(heap.buffer, gradAt, GELU_GRAD_EIGHTHS.length).set(GELU_GRAD_EIGHTHS);
  const heapD = new Float64Array(heap.buffer, dAt, CHUNK);
  for (let start = lo; start < hi; start += CHUNK) {
    const count = Math.min(CHUNK, hi - start);
    const pairs = count >> 1;
    const paired = start + 2 * pairs;
    heap.set(x.subarray(start, paired), xAt >> 2);
    const bad = instance.exports.eighthsBoth(xAt, yAt, dAt, pairs, phiAt, gradAt);
    y.set(heap.subarray(yAt >> 2, (yAt >> 2) + 2 * pairs), start);
    d.set(heapD.subarray(0, 2 * pairs), start);
    redoUncovered(bad, x, heap, xAt, start, count, (i, v) => {
      y[i] = v * normalCdf(v);
      d[i] = geluGrad(v);
    });
  }
}

// out = [g·] [x·] P(x) over [lo, hi) in chunks: forward with g null (x·Φ), backward with g.
function eighths(
  name: string,
  table: Float64Array,
  x: Float32Array,
  g: Float32Array | null,
  out: Float32Array,
  lo: number,
  hi: number,
): void {
  const instance = requireInstance(name, "ACTIVATIONS.gelu of elementwise.ts");
  checkRowRange(name, lo, hi, Math.min(x.length, out.length, g?.length ?? Infinity));
  // [table | x chunk | g chunk | out chunk], byte addresses 16-aligned
  const tableAt = WORK_END;
  const xAt = tableAt + table.length * 8;
  const gAt = xAt + CHUNK * 4;
  const outAt = gAt + CHUNK * 4;
  const heap = instance.reserve(outAt + CHUNK * 4);
  new Float64Array(heap.buffer, tableAt, table.length).set(table);
  const forward = g === null;
  for (let start = lo; start < hi; start += CHUNK) {
    const count = Math.min(CHUNK, hi - start);
    const pairs = count >> 1;
    heap.set(x.subarray(start, start + 2 * pairs), xAt >> 2);
    if (!forward) heap.set(g.subarray(start, start + 2 * pairs), gAt >> 2);
    const bad = instance.exports.eighths(
      xAt,
      forward ? 0 : gAt,
      outAt,
      pairs,
      tableAt,
      forward ? 1 : 0,
    );
    out.set(heap.subarray(outAt >> 2, (outAt >> 2) + 2 * pairs), start);
    redoUncovered(bad, x, heap, xAt, start, count, (i, v, inHeap) => {
      out[i] = forward
        ? v * normalCdf(v)
        : (inHeap ? heap[(gAt >> 2) + i - start] : g[i]) * geluGrad(v);
    });
  }
}

/**
 * After a chunk of `count` inputs from `start` went through the tables (`bad` of its pairs' lanes
 * uncovered): calls `redo(i, x[i], inHeap)` for each input outside (−6.0625, 5.9375) or NaN (the
 * tables' range, as _erf.ts's) and for an odd last one, to compute in scalar float64. Paired inputs
 * are read from their copy in wasm memory at `xAt` (`inHeap`), since an output may be `x` itself.
 */
function redoUncovered(
  bad: number,
  x: Float32Array,
  heap: Float32Array,
  xAt: number,
  start: number,
  count: number,
  redo: (i: number, v: number, inHeap: boolean) => void,
): void {
  const paired = start + ((count >> 1) << 1);
  for (let i = bad === 0 ? paired : start; i < start + count; i++) {
    const inHeap = i < paired;
    const v = inHeap ? heap[(xAt >> 2) + i - start] : x[i];
    if (inHeap && v > -6.0625 && v < 5.9375) continue;
    redo(i, v, inHeap);
  }
}
