/**
 * conv2d on WebAssembly SIMD: the three functions of conv2d.ts with the im2col matrix, the
 * weights and one sample's activations kept in wasm memory, so every GEMM runs on kernels.wat
 * with no copy of the (largest) im2col matrix.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { bestInstance, type WasmInstance, WORK, WORK_END } from "./_instance.ts";

/** True when the convolution is a plain matrix product over pixels (1×1, stride 1, no padding). */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 &&
    g.padW === 0;
}

/** Sizes (floats) shared by the three passes. */
function dims(g: Conv2dGeometry) {
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  const hw = g.hOut * g.wOut, hwIn = g.h * g.w;
  return { cInG, cOutG, hw, hwIn, rows: cInG * g.kh * g.kw, direct: isPointwise(g) };
}

/** Float indices of consecutive regions of the given float sizes, starting after gemm's buffers. */
function regions(instance: WasmInstance, ...sizes: number[]): { heap: Float32Array; at: number[] } {
  const at: number[] = [];
  let byte = WORK_END;
  for (const size of sizes) {
    at.push(byte >> 2);
    byte += Math.ceil(size / 4) * 16;
  }
  return { heap: instance.reserve(byte), at };
}

function wasm(fn: string): WasmInstance {
  if (bestInstance === null) {
    throw new TypeError(
      `Cannot run ${fn}: this runtime has no WebAssembly SIMD (wasmSimdSupported() is false); use conv2d.ts`,
    );
  }
  return bestInstance;
}

/** kernels.wat's gemm with alpha = 1 on operands at float indices a, b, c (beta = 0 overwrites C). */
function gemm(
  instance: WasmInstance,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  beta: 0 | 1,
  c: number,
  ldc: number,
): void {
  instance.exports.gemm(
    +transA,
    +transB,
    m,
    n,
    k,
    a * 4,
    lda,
    b * 4,
    ldb,
    c * 4,
    ldc,
    1,
    beta,
    +(beta === 0),
    WORK,
  );
}

/** kernels.wat's im2col (add = 0) or col2im (add = 1) between float indices x and cols. */
function unfold(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: number,
  c: number,
  cols: number,
  add: number,
) {
  instance.exports.im2col(
    x * 4,
    c,
    g.h,
    g.w,
    g.kh,
    g.kw,
    g.strideH,
    g.strideW,
    g.padH,
    g.padW,
    g.dilationH,
    g.dilationW,
    g.hOut,
    g.wOut,
    cols * 4,
    add,
  );
}

/**
 * y = conv2d(x, weight) + bias, exactly as {@linkcode conv2dForward} in conv2d.ts:
 * y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] ·
 *   x[n, g·C_in/groups + c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW].
 *
 * Shapes: x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], bias [C_out] or null,
 * y [N, C_out, hOut, wOut] (overwritten). `workspace` is not used (the scratch lives in wasm
 * memory); it is accepted so the signature matches conv2d.ts.
 */
export function conv2dForwardWasm(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  _workspace?: Float32Array,
): void {
  const instance = wasm("conv2dForwardWasm");
  const { cInG, cOutG, hw, hwIn, rows, direct } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [weight | one sample of x | its im2col matrix (none for 1×1) | one sample of y]
  const { heap, at: [wAt, xAt, colsAt, yAt] } = regions(
    instance,
    cOut * rows,
    cIn * hwIn,
    direct ? 0 : rows * hw,
    cOut * hw,
  );
  heap.set(weight.subarray(0, cOut * rows), wAt);
  for (let s = 0; s < n; s++) {
    heap.set(x.subarray(s * cIn * hwIn, (s + 1) * cIn * hwIn), xAt);
    if (bias !== null) {
      for (let o = 0; o < cOut; o++) heap.fill(bias[o], yAt + o * hw, yAt + (o + 1) * hw);
    }
    for (let gi = 0; gi < groups; gi++) {
      const xg = xAt + gi * cInG * hwIn;
      if (!direct) unfold(instance, g, xg, cInG, colsAt, 0);
      // y[group] = weight[group]·cols (+ the bias already in y)
      gemm(
        instance,
        false,
        false,
        cOutG,
        hw,
        rows,
        wAt + gi * cOutG * rows,
        rows,
        direct ? xg : colsAt,
        hw,
        bias === null ? 0 : 1,
        yAt + gi * cOutG * hw,
        hw,
      );
    }
    y.set(heap.subarray(yAt, yAt + cOut * hw), s * cOut * hw);
  }
}

/**
 * gx = dL/dx of {@linkcode conv2dForwardWasm} given gy = dL/dy, as conv2dBackwardInput in
 * conv2d.ts: per (sample, group) cols = weightᵀ·gy in wasm, then col2im sums cols into gx.
 *
 * Shapes: gy [N, C_out, hOut, wOut], weight [C_out, C_in/groups, kh, kw],
 * gx [N, C_in, H, W] (OVERWRITTEN). `workspace` is not used.
 */
export function conv2dBackwardInputWasm(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  _workspace?: Float32Array,
): void {
  const instance = wasm("conv2dBackwardInputWasm");
  const { cInG, cOutG, hw, hwIn, rows, direct } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [weight | one sample of gy | its cols = weightᵀ·gy (none for 1×1) | one sample of gx]
  const { heap, at: [wAt, gyAt, colsAt, gxAt] } = regions(
    instance,
    cOut * rows,
    cOut * hw,
    direct ? 0 : rows * hw,
    cIn * hwIn,
  );
  heap.set(weight.subarray(0, cOut * rows), wAt);
  for (let s = 0; s < n; s++) {
    heap.set(gy.subarray(s * cOut * hw, (s + 1) * cOut * hw), gyAt);
    if (!direct) heap.fill(0, gxAt, gxAt + cIn * hwIn);
    for (let gi = 0; gi < groups; gi++) {
      const gxg = gxAt + gi * cInG * hwIn;
      const w = wAt + gi * cOutG * rows, gyg = gyAt + gi * cOutG * hw;
      gemm(instance, true, false, rows, hw, cOutG, w, rows, gyg, hw, 0, direct ? gxg : colsAt, hw);
      if (!direct) unfold(instance, g, gxg, cInG, colsAt, 1);
    }
    gx.set(heap.subarray(gxAt, gxAt + cIn * hwIn), s * cIn * hwIn);
  }
}

/**
 * Weight and bias gradients of {@linkcode conv2dForwardWasm}, ACCUMULATED (+=) into gw and gb,
 * as conv2dBackwardWeight in conv2d.ts: gw[group] += gy[group]·colsᵀ in wasm, summed over
 * samples; gb[o] += Σ_{n, i, j} gy[n, o, i, j].
 *
 * Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, kh, kw],
 * gb [C_out] or null. `workspace` is not used.
 */
export function conv2dBackwardWeightWasm(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  _workspace?: Float32Array,
): void {
  const instance = wasm("conv2dBackwardWeightWasm");
  const { cInG, cOutG, hw, hwIn, rows, direct } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [gw | one sample of gy | one sample of x | its im2col matrix (none for 1×1)]
  const { heap, at: [gwAt, gyAt, xAt, colsAt] } = regions(
    instance,
    cOut * rows,
    cOut * hw,
    cIn * hwIn,
    direct ? 0 : rows * hw,
  );
  heap.set(gw.subarray(0, cOut * rows), gwAt);
  for (let s = 0; s < n; s++) {
    heap.set(gy.subarray(s * cOut * hw, (s + 1) * cOut * hw), gyAt);
    heap.set(x.subarray(s * cIn * hwIn, (s + 1) * cIn * hwIn), xAt);
    for (let gi = 0; gi < groups; gi++) {
      const xg = xAt + gi * cInG * hwIn;
      if (!direct) unfold(instance, g, xg, cInG, colsAt, 0);
      // gw[group] += gy[group]·colsᵀ
      const gyg = gyAt + gi * cOutG * hw, gwg = gwAt + gi * cOutG * rows;
      gemm(instance, false, true, cOutG, rows, hw, gyg, hw, direct ? xg : colsAt, hw, 1, gwg, rows);
    }
  }
  gw.set(heap.subarray(gwAt, gwAt + cOut * rows));
  if (gb !== null) {
    for (let o = 0; o < cOut; o++) {
      let sum = 0;
      for (let s = 0; s < n; s++) {
        const start = (s * cOut + o) * hw;
        for (let i = start; i < start + hw; i++) sum += gy[i];
      }
      gb[o] += sum;
    }
  }
}
