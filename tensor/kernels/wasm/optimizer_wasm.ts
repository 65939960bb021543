/**
 * The optimizer loops of optimizer.ts (SGD, Adam/AdamW, RMSprop, Adagrad, Lion) in WebAssembly
 * f64x2 (kernels.wat's `sgd`, `adam`, `rmsprop`, `adagrad`, `lion`): the same float64 arithmetic
 * in the same order, rounded to float32 at the same points, so every stored value is bit-for-bit
 * the TypeScript loop's, two elements at a time. Each function takes its TypeScript twin's
 * arguments.
 *
 * The operands are copied into wasm memory in chunks and the updated ones copied back, reading and
 * writing only `[lo, hi)` of each array: DataParallel's workers update disjoint ranges of the same
 * shared arrays at once. Arrays that all view one shared WebAssembly.Memory (DataParallel's
 * arenas) are updated where they are, without copies (shared_memory.ts). An odd last element goes
 * to the TypeScript loop.
 *
 * SGD is the exception to "float64": kernels.wat's `sgd` computes in float32 four elements at a
 * time, as sgdKernel (PyTorch's arithmetic), with the last `n mod 4` elements in TypeScript. Its
 * fused multiply-adds are f32x4.relaxed_madd where the module's fusedMadd says that rounds once
 * (V8 with FMA), else rounded through float64 as roundFma does: the same bits either way.
 */

import { adagradKernel, adamKernel, lionKernel, rmspropKernel, sgdKernel } from "../optimizer.ts";
import { checkRowRange } from "../_range.ts";
import {
  requireInstance,
  type WasmInstance,
  type WasmKernelExports,
  WORK_END,
} from "./_instance.ts";
import { inPlaceKernels } from "./shared_memory.ts";

/** Floats per array per copy-in/compute/copy-out round, so a round's operands stay in L2. */
const CHUNK = 1 << 13;
const CHUNK_BYTES = CHUNK * 4;

/** {@linkcode sgdKernel} in WebAssembly. */
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
  const mode = buf === null ? 0 : first ? 1 : 2;
  // The first step overwrites the buffer without reading it. Scalars pass as float32, as PyTorch
  // casts them (the f32 parameters of kernels.wat's `sgd` round exactly as Math.fround).
  chunked(
    "sgdKernelWasm",
    instance,
    [param, grad, buf],
    first ? 2 : -1,
    [2, 0],
    lo,
    hi,
    4,
    (exports, [p, g, b], quads) => {
      exports.sgd(
        p,
        g,
        b,
        quads,
        -lr,
        momentum,
        1 - dampening,
        weightDecay,
        sign,
        mode,
        nesterov ? 1 : 0,
        fusedMadd(exports),
      );
    },
    (from, to) => {
      sgdKernel(
        param,
        grad,
        buf,
        from,
        to,
        lr,
        momentum,
        dampening,
        weightDecay,
        sign,
        first,
        nesterov,
      );
    },
  );
}

/** {@linkcode adamKernel} in WebAssembly. */
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
  chunked(
    "adamKernelWasm",
    instance,
    [param, grad, m, v, vMax],
    -1,
    [2, 3, 4, 0],
    lo,
    hi,
    2,
    (exports, [pAt, gAt, mAt, vAt, xAt], pairs) => {
      const x = vMax === null ? 0 : xAt;
      exports.adam(
        pAt,
        gAt,
        mAt,
        vAt,
        x,
        pairs,
        beta1,
        beta2,
        stepSize,
        bc2Sqrt,
        eps,
        sign,
        l2,
        decay,
      );
    },
    (from, to) => {
      adamKernel(
        param,
        grad,
        m,
        v,
        vMax,
        from,
        to,
        beta1,
        beta2,
        stepSize,
        bc2Sqrt,
        eps,
        sign,
        l2,
        decay,
      );
    },
  );
}

/** {@linkcode rmspropKernel} in WebAssembly. */
export function rmspropKernelWasm(
  param: Float32Array,
  grad: Float32Array,
  sq: Float32Array,
  gAvg: Float32Array | null,
  buf: Float32Array | null,
  lo: number,
  hi: number,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
  sign: number,
): void {
  const instance = requireInstance("rmspropKernelWasm", "rmspropKernel of optimizer.ts");
  chunked(
    "rmspropKernelWasm",
    instance,
    [param, grad, sq, gAvg, buf],
    -1,
    [2, 3, 4, 0],
    lo,
    hi,
    2,
    (exports, [p, g, s, a, b], pairs) => {
      exports.rmsprop(
        p,
        g,
        s,
        gAvg === null ? 0 : a,
        buf === null ? 0 : b,
        pairs,
        lr,
        alpha,
        eps,
        weightDecay,
        momentum,
        sign,
      );
    },
    (from, to) => {
      rmspropKernel(
        param,
        grad,
        sq,
        gAvg,
        buf,
        from,
        to,
        lr,
        alpha,
        eps,
        weightDecay,
        momentum,
        sign,
      );
    },
  );
}

/** {@linkcode adagradKernel} in WebAssembly. */
export function adagradKernelWasm(
  param: Float32Array,
  grad: Float32Array,
  sum: Float32Array,
  lo: number,
  hi: number,
  clr: number,
  eps: number,
  weightDecay: number,
  sign: number,
): void {
  const instance = requireInstance("adagradKernelWasm", "adagradKernel of optimizer.ts");
  chunked(
    "adagradKernelWasm",
    instance,
    [param, grad, sum],
    -1,
    [2, 0],
    lo,
    hi,
    2,
    (exports, at, pairs) => {
      exports.adagrad(at[0], at[1], at[2], pairs, clr, eps, weightDecay, sign);
    },
    (from, to) => adagradKernel(param, grad, sum, from, to, clr, eps, weightDecay, sign),
  );
}

/** {@linkcode lionKernel} in WebAssembly. */
export function lionKernelWasm(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  lo: number,
  hi: number,
  lr: number,
  beta1: number,
  beta2: number,
  decay: number,
): void {
  const instance = requireInstance("lionKernelWasm", "lionKernel of optimizer.ts");
  chunked(
    "lionKernelWasm",
    instance,
    [param, grad, m],
    -1,
    [0, 2],
    lo,
    hi,
    2,
    (exports, at, pairs) => {
      exports.lion(at[0], at[1], at[2], pairs, lr, beta1, beta2, decay);
    },
    (from, to) => lionKernel(param, grad, m, from, to, lr, beta1, beta2, decay),
  );
}

/** Whether each module's relaxed_madd is one rounding (kernels.wat's fusedMadd), asked once. */
const fused = new WeakMap<WasmKernelExports, number>();

function fusedMadd(exports: WasmKernelExports): number {
  let answer = fused.get(exports);
  if (answer === undefined) {
    answer = exports.fusedMadd();
    fused.set(exports, answer);
  }
  return answer;
}

/** Byte address of the chunk of `arrays[k]` in wasm memory: [param | grad | state...]. */
const SLOTS = [0, 1, 2, 3, 4].map((k) => WORK_END + k * CHUNK_BYTES);

/**
 * Runs `run(exports, at, groups)` on [lo, hi) (checked against every array's length, a RangeError
 * naming the kernel `name`), `lanes` floats a group, `at[k]` the byte address of `arrays[k][lo]`
 * in the memory of `exports`. Where every array views one shared memory with kernels on it
 * (shared_memory.ts) that is one call in place. Otherwise chunk by chunk in `instance`: copies
 * each array but null ones and `unread` into its slot, then copies the slots in `stores` back (in
 * the TypeScript loop's store order, which decides the result should two of the arrays be one).
 * The last `(hi − lo) mod lanes` elements (of each chunk) go to `tail`.
 */
function chunked(
  name: string,
  instance: WasmInstance,
  arrays: readonly (Float32Array | null)[],
  unread: number,
  stores: readonly number[],
  lo: number,
  hi: number,
  lanes: 2 | 4,
  run: (exports: WasmKernelExports, at: readonly number[], groups: number) => void,
  tail: (from: number, to: number) => void,
): void {
  const lengths = arrays.map((array) => array?.length ?? Infinity);
  checkRowRange(name, lo, hi, Math.min(...lengths));
  const inPlace = inPlaceKernels(arrays);
  if (inPlace !== null) {
    const grouped = hi - ((hi - lo) % lanes);
    run(
      inPlace,
      arrays.map((array) => array === null ? 0 : array.byteOffset + 4 * lo),
      (grouped - lo) / lanes,
    );
    if (grouped < hi) tail(grouped, hi);
    return;
  }
  const heap = instance.reserve(SLOTS[arrays.length - 1] + CHUNK_BYTES);
  for (let start = lo; start < hi; start += CHUNK) {
    const end = Math.min(hi, start + CHUNK);
    const grouped = end - ((end - start) % lanes);
    const count = grouped - start;
    for (let k = 0; k < arrays.length; k++) {
      const array = arrays[k];
      if (array !== null && k !== unread) heap.set(array.subarray(start, grouped), SLOTS[k] >> 2);
    }
    run(instance.exports, SLOTS, count / lanes);
    for (const k of stores) {
      const array = arrays[k];
      if (array !== null) array.set(heap.subarray(SLOTS[k] >> 2, (SLOTS[k] >> 2) + count), start);
    }
    if (grouped < end) tail(grouped, end);
  }
}
