/**
 * elementwise.ts's relu forward loop in WebAssembly f32x4: `f32x4.max(x, 0)` is torch.relu's
 * value for every input (NaN stays NaN, −∞ gives 0, −0 gives +0), where the TypeScript loop
 * needs a clamp of −∞ before its branch-free (x + |x|)·0.5.
 */

import { checkRowRange } from "../_range.ts";
import { requireInstance, WORK_END } from "./_instance.ts";

/** Floats per copy-in/relu/copy-out round (64 kB: stays in the core's cache). */
const CHUNK = 1 << 14;

/**
 * y[i] = max(x[i], 0) for i in `[lo, hi)` (`y` may be `x`).
 *
 * @example
 * ```ts
 * import { reluForwardWasm } from "./relu_wasm.ts";
 * import { wasmSimdSupported } from "./gemm_wasm.ts";
 * const x = new Float32Array([-Infinity, -1, 2, NaN]);
 * if (wasmSimdSupported()) reluForwardWasm(x, x, 0, 4);
 * console.log(x); // Float32Array [0, 0, 2, NaN] with WebAssembly SIMD
 * ```
 */
export function reluForwardWasm(x: Float32Array, y: Float32Array, lo: number, hi: number): void {
  const instance = requireInstance("reluForwardWasm", "relu's forwardLoop of elementwise.ts");
  checkRowRange("reluForwardWasm", lo, hi, Math.min(x.length, y.length));
  const at = WORK_END;
  const heap = instance.reserve(at + CHUNK * 4);
  for (let start = lo; start < hi; start += CHUNK) {
    const count = Math.min(CHUNK, hi - start);
    heap.set(x.subarray(start, start + count), at >> 2);
    instance.exports.reluInPlace(at, count);
    y.set(heap.subarray(at >> 2, (at >> 2) + count), start);
  }
}
