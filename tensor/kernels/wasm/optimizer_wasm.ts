/**
 * sgdKernel and adamKernel of optimizer.ts in WebAssembly f64x2 (kernels.wat's `sgd` and `adam`):
 * the same float64 arithmetic in the same order, rounded to float32 at the same points, so every
 * stored value is bit-for-bit the TypeScript loop's, two elements at a time.
 *
 * The operands are copied into wasm memory in chunks and the updated ones copied back, reading and
 * writing only `[lo, hi)` of each array: DataParallel's workers update disjoint ranges of the same
 * SharedArrayBuffer-backed arrays at once. An odd last element goes to the TypeScript loop.
 */

import { adamKernel, sgdKernel } from "../optimizer.ts";
import { requireInstance, WORK_END } from "./_instance.ts";

/** Floats per array per copy-in/compute/copy-out round, so a round's operands stay in L2. */
const CHUNK = 1 << 13;
const CHUNK_BYTES = CHUNK * 4;

/** {@linkcode sgdKernel} (same arguments, same results) in WebAssembly. */
export function sgdKernelWasm(
  param: Float32Array,
  grad: Float32Array,
  buf: Float32Array | null,
  lo: number,
  hi: number,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  sign: number,
  first: boolean,
  nesterov: boolean,
): void {
  const instance = requireInstance("sgdKernelWasm", "sgdKernel of optimizer.ts");
  // [param chunk | grad chunk | buf chunk]
  const pAt = WORK_END, gAt = pAt + CHUNK_BYTES, bAt = gAt + CHUNK_BYTES;
  const heap = instance.reserve(bAt + CHUNK_BYTES);
  const mode = buf === null ? 0 : first ? 1 : 2;
  const keep = 1 - dampening;
  for (let start = lo; start < hi; start += CHUNK) {
    const end = Math.min(hi, start + CHUNK);
    const paired = end - ((end - start) & 1);
    const count = paired - start;
    heap.set(param.subarray(start, paired), pAt >> 2);
    heap.set(grad.subarray(start, paired), gAt >> 2);
    if (mode === 2) heap.set(buf!.subarray(start, paired), bAt >> 2);
    instance.exports.sgd(
      pAt,
      gAt,
      bAt,
      count >> 1,
      lr,
      momentum,
      keep,
      weightDecay,
      sign,
      mode,
      nesterov ? 1 : 0,
    );
    // Written back in the TypeScript loop's store order (buffer, then parameter).
    if (buf !== null) buf.set(heap.subarray(bAt >> 2, (bAt >> 2) + count), start);
    param.set(heap.subarray(pAt >> 2, (pAt >> 2) + count), start);
    if (paired < end) {
      sgdKernel(
        param,
        grad,
        buf,
        paired,
        end,
        lr,
        momentum,
        dampening,
        weightDecay,
        sign,
        first,
        nesterov,
      );
    }
  }
}

/** {@linkcode adamKernel} (same arguments, same results) in WebAssembly. */
export function adamKernelWasm(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vMax: Float32Array | null,
  lo: number,
  hi: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
  sign: number,
  l2: number,
  decay: number,
): void {
  const instance = requireInstance("adamKernelWasm", "adamKernel of optimizer.ts");
  // [param chunk | grad chunk | m chunk | v chunk | vMax chunk]
  const pAt = WORK_END, gAt = pAt + CHUNK_BYTES, mAt = gAt + CHUNK_BYTES;
  const vAt = mAt + CHUNK_BYTES, xAt = vAt + CHUNK_BYTES;
  const heap = instance.reserve(xAt + CHUNK_BYTES);
  for (let start = lo; start < hi; start += CHUNK) {
    const end = Math.min(hi, start + CHUNK);
    const paired = end - ((end - start) & 1);
    const count = paired - start;
    heap.set(param.subarray(start, paired), pAt >> 2);
    heap.set(grad.subarray(start, paired), gAt >> 2);
    heap.set(m.subarray(start, paired), mAt >> 2);
    heap.set(v.subarray(start, paired), vAt >> 2);
    if (vMax !== null) heap.set(vMax.subarray(start, paired), xAt >> 2);
    instance.exports.adam(
      pAt,
      gAt,
      mAt,
      vAt,
      vMax === null ? 0 : xAt,
      count >> 1,
      beta1,
      beta2,
      stepSize,
      bc2Sqrt,
      eps,
      sign,
      l2,
      decay,
    );
    // Written back in the TypeScript loop's store order (m, v, v̂, then the parameter).
    m.set(heap.subarray(mAt >> 2, (mAt >> 2) + count), start);
    v.set(heap.subarray(vAt >> 2, (vAt >> 2) + count), start);
    if (vMax !== null) vMax.set(heap.subarray(xAt >> 2, (xAt >> 2) + count), start);
    param.set(heap.subarray(pAt >> 2, (pAt >> 2) + count), start);
    if (paired < end) {
      adamKernel(
        param,
        grad,
        m,
        v,
        vMax,
        paired,
        end,
        beta1,
        beta2,
        stepSize,
        bc2Sqrt,
        eps,
        sign,
        l2,
        decay,
      );
    }
  }
}
