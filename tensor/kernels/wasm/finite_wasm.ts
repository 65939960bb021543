/**
 * finite.ts's firstNonFinite in WebAssembly f32x4: sixteen floats a step instead of eight
 * float64 additions, for the checks of every gradient and parameter after each step
 * (DataParallel's workers; in place on their shared memory, see shared_memory.ts). Same result:
 * the first non-finite index in the range, or -1.
 */

import { checkRowRange } from "../_range.ts";
import { requireInstance, WORK_END } from "./_instance.ts";
import { inPlaceKernels } from "./shared_memory.ts";

/** Floats per copy-in/check round. */
const CHUNK = 1 << 14;

/**
 * The first index `j` in `[lo, hi)` with a non-finite `a[j]` (NaN or ±Infinity), or -1.
 *
 * @example
 * ```ts
 * import { firstNonFiniteWasm } from "./finite_wasm.ts";
 * import { wasmSimdSupported } from "./gemm_wasm.ts";
 * if (wasmSimdSupported()) console.log(firstNonFiniteWasm(new Float32Array([1, NaN, Infinity]), 0, 3)); // 1
 * ```
 */
export function firstNonFiniteWasm(a: Float32Array, lo: number, hi: number): number {
  const instance = requireInstance("firstNonFiniteWasm", "firstNonFinite of finite.ts");
  checkRowRange("firstNonFiniteWasm", lo, hi, a.length);
  const inPlace = inPlaceKernels([a]);
  if (inPlace !== null) {
    const found = inPlace.firstNonFinite(a.byteOffset + 4 * lo, hi - lo);
    return found >= 0 ? lo + found : -1;
  }
  const at = WORK_END;
  const heap = instance.reserve(at + CHUNK * 4);
  for (let start = lo; start < hi; start += CHUNK) {
    const count = Math.min(CHUNK, hi - start);
    heap.set(a.subarray(start, start + count), at >> 2);
    const found = instance.exports.firstNonFinite(at, count);
    if (found >= 0) return start + found;
  }
  return -1;
}
