/**
 * The im2col + gemm path of conv2d_wasm.ts, for strides other than 1 (and the backward-input
 * shapes its tap kernels do not pay for): one sample at a time, each group a gemm against that
 * sample's im2col matrix, all in wasm memory. Also the sizes and scratch layout both of
 * conv2d_wasm.ts's paths use.
 */

import { biasAddBackward } from "../elementwise.ts";
import type { Conv2dGeometry } from "../conv2d.ts";
import { type WasmInstance, windowArgs, WORK, WORK_END } from "./_instance.ts";

/** conv2dForwardWasm per sample and group: y[group] = weight[group]·im2col(x[group]) (+ bias). */
export function forwardIm2col(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [weight | one sample of x | its im2col matrix | one sample of y]
  const { heap, at: [wAt, xAt, colsAt, yAt] } = regions(
    instance,
    cOut * rows,
    cIn * hwIn,
    rows * hw,
    cOut * hw,
  );
  heap.set(weight.subarray(0, cOut * rows), wAt);
  const beta = bias === null ? 0 : 1; // the gemm adds onto the bias already in y
  for (let s = 0; s < n; s++) {
    heap.set(x.subarray(s * cIn * hwIn, (s + 1) * cIn * hwIn), xAt);
    if (bias !== null) {
      for (let o = 0; o < cOut; o++) heap.fill(bias[o], yAt + o * hw, yAt + (o + 1) * hw);
    }
    for (let gi = 0; gi < groups; gi++) {
      unfold(instance, g, xAt + gi * cInG * hwIn, cInG, colsAt, 0);
      const w = wAt + gi * cOutG * rows, yg = yAt + gi * cOutG * hw;
      gemm(instance, false, false, cOutG, hw, rows, w, colsAt, beta, yg);
    }
    y.set(heap.subarray(yAt, yAt + cOut * hw), s * cOut * hw);
  }
}

/** conv2dBackwardInputWasm per sample and group: cols = weight[group]ᵀ·gy, then col2im into gx. */
export function backwardInputIm2col(
  instance: WasmInstance,
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
): void {
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [weight | one sample of gy | its cols = weightᵀ·gy | one sample of gx]
  const { heap, at: [wAt, gyAt, colsAt, gxAt] } = regions(
    instance,
    cOut * rows,
    cOut * hw,
    rows * hw,
    cIn * hwIn,
  );
  heap.set(weight.subarray(0, cOut * rows), wAt);
  for (let s = 0; s < n; s++) {
    heap.set(gy.subarray(s * cOut * hw, (s + 1) * cOut * hw), gyAt);
    heap.fill(0, gxAt, gxAt + cIn * hwIn);
    for (let gi = 0; gi < groups; gi++) {
      const w = wAt + gi * cOutG * rows, gyg = gyAt + gi * cOutG * hw;
      gemm(instance, true, false, rows, hw, cOutG, w, gyg, 0, colsAt);
      unfold(instance, g, gxAt + gi * cInG * hwIn, cInG, colsAt, 1);
    }
    gx.set(heap.subarray(gxAt, gxAt + cIn * hwIn), s * cIn * hwIn);
  }
}

/** conv2dBackwardWeightWasm per sample and group: gw[group] += gy[group]·im2col(x[group])ᵀ. */
export function backwardWeightIm2col(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
): void {
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const { n, cIn, cOut, groups } = g;
  // [gw | one sample of gy | one sample of x | its im2col matrix]
  const { heap, at: [gwAt, gyAt, xAt, colsAt] } = regions(
    instance,
    cOut * rows,
    cOut * hw,
    cIn * hwIn,
    rows * hw,
  );
  heap.set(gw.subarray(0, cOut * rows), gwAt);
  for (let s = 0; s < n; s++) {
    heap.set(gy.subarray(s * cOut * hw, (s + 1) * cOut * hw), gyAt);
    heap.set(x.subarray(s * cIn * hwIn, (s + 1) * cIn * hwIn), xAt);
    for (let gi = 0; gi < groups; gi++) {
      unfold(instance, g, xAt + gi * cInG * hwIn, cInG, colsAt, 0);
      const gyg = gyAt + gi * cOutG * hw, gwg = gwAt + gi * cOutG * rows;
      gemm(instance, false, true, cOutG, rows, hw, gyg, colsAt, 1, gwg);
    }
  }
  gw.set(heap.subarray(gwAt, gwAt + cOut * rows));
  if (gb !== null) biasAddBackward(gy, gb, n, cOut, hw);
}

/** Sizes (floats) shared by the conv2d passes. */
export function dims(g: Conv2dGeometry) {
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  return { cInG, cOutG, hw: g.hOut * g.wOut, hwIn: g.h * g.w, rows: cInG * g.kh * g.kw };
}

/** Float indices of consecutive regions of the given float sizes, starting after gemm's buffers. */
export function regions(
  instance: WasmInstance,
  ...sizes: number[]
): { heap: Float32Array; at: number[] } {
  const at: number[] = [];
  let byte = WORK_END;
  for (const size of sizes) {
    at.push(byte >> 2);
    byte += Math.ceil(size / 4) * 16;
  }
  return { heap: instance.reserve(byte), at };
}

/**
 * kernels.wat's gemm with alpha = 1: C = op(A)·op(B), added onto C if beta = 1, on dense operands
 * at float indices a, b, c (op(A) [m, k], op(B) [k, n], C [m, n]; each stored matrix's row stride
 * is its row length, as every matrix of this file is).
 */
function gemm(
  instance: WasmInstance,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: number,
  b: number,
  beta: 0 | 1,
  c: number,
): void {
  const lda = transA ? m : k, ldb = transB ? k : n;
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
    n,
    1,
    beta,
    +(beta === 0),
    WORK,
  );
}

/** kernels.wat's im2col (add = 0) or col2im (add = 1) between float indices x and cols. */
export function unfold(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: number,
  c: number,
  cols: number,
  add: number,
): void {
  const { h, w, hOut, wOut } = g;
  instance.exports.im2col(x * 4, c, h, w, ...windowArgs(g), hOut, wOut, cols * 4, add);
}
