/** maxPool2dForwardWasm: pool2d.ts's max pooling in WebAssembly, SIMD for 2×2 windows of stride 2. */

import type { Pool2dGeometry } from "../pool2d.ts";
import { requireInstance, windowArgs, WORK_END } from "./_instance.ts";

/** Floats of x, y and argmax per chunk of planes, so a chunk stays in L2 while it is copied. */
const CHUNK_FLOATS = 1 << 18;

/**
 * Max pooling with the exact semantics of maxPool2dForward in pool2d.ts:
 * y[n, c, i, j] = max over the window's input cells, argmax[n, c, i, j] = the flat index
 * h·W + w of that cell inside its (n, c) plane; ties go to the FIRST max (PyTorch), a NaN wins
 * (so it propagates), padding never wins, and a window with no input cell gives −∞ and −1.
 *
 * Shapes: x [N, C, H, W], y [N, C, hOut, wOut], argmax Int32Array [N, C, hOut, wOut] (both
 * overwritten). Planes are copied into wasm memory in chunks; 2×2 windows with stride 2 and no
 * padding or dilation (the usual MaxPool2d(2)) take a four-outputs-at-a-time SIMD path.
 * maxPool2dBackward of pool2d.ts is the backward pass (it only scatters, so it stays in TS).
 *
 * @example
 * ```ts
 * import { pool2dGeometry } from "../pool2d.ts";
 * import { maxPool2dForwardWasm } from "./pool2d_wasm.ts";
 * import { wasmSimdSupported } from "./gemm_wasm.ts";
 * const g = pool2dGeometry({
 *   n: 1, c: 1, h: 2, w: 2, kh: 2, kw: 2, strideH: 2, strideW: 2,
 *   padH: 0, padW: 0, dilationH: 1, dilationW: 1, ceilMode: false,
 * });
 * const y = new Float32Array(1), argmax = new Int32Array(1);
 * if (wasmSimdSupported()) maxPool2dForwardWasm(g, new Float32Array([3, 7, 7, 1]), y, argmax);
 * console.log(y[0], argmax[0]); // 7 1 (the first of the two 7s)
 * ```
 */
export function maxPool2dForwardWasm(
  g: Pool2dGeometry,
  x: Float32Array,
  y: Float32Array,
  argmax: Int32Array,
): void {
  const instance = requireInstance("maxPool2dForwardWasm", "pool2d.ts");
  const { exports } = instance;
  const { n, c, h, w, hOut, wOut } = g;
  const planes = n * c, hwIn = h * w, hw = hOut * wOut;
  const chunk = Math.max(1, Math.min(planes, Math.floor(CHUNK_FLOATS / (hwIn + 2 * hw))));
  // [x chunk | y chunk | argmax chunk], 16-byte aligned
  const xAt = WORK_END >> 2;
  const yAt = xAt + Math.ceil((chunk * hwIn) / 4) * 4;
  const argAt = yAt + Math.ceil((chunk * hw) / 4) * 4;
  const heap = instance.reserve((argAt + chunk * hw) * 4);
  const ints = new Int32Array(heap.buffer, 0, heap.length);
  for (let p0 = 0; p0 < planes; p0 += chunk) {
    const count = Math.min(chunk, planes - p0);
    heap.set(x.subarray(p0 * hwIn, (p0 + count) * hwIn), xAt);
    exports.maxPool(
      xAt * 4,
      count,
      h,
      w,
      ...windowArgs(g),
      hOut,
      wOut,
      yAt * 4,
      argAt * 4,
    );
    y.set(heap.subarray(yAt, yAt + count * hw), p0 * hw);
    argmax.set(ints.subarray(argAt, argAt + count * hw), p0 * hw);
  }
}
