/**
 * conv2d of the blas version: per shape and pass, im2col + the library's sgemm or the
 * WebAssembly kernels (Winograd, taps, im2col + wasm GEMM), whichever measured faster; the
 * choice is {@linkcode blasConvPays} (one table, set by bench/conv2d_blas_bench.ts).
 *
 * The im2col versions are conv2d.ts's algorithm with gemmBlas: per (sample, group), cols =
 * im2col(x) then y = weight·cols (forward), cols = weightᵀ·gy then col2im (dL/dx), and
 * gw += gy·colsᵀ (dL/dweight); 1×1 stride-1 unpadded convolutions multiply x directly.
 * im2col and col2im run in kernels.wat where WebAssembly SIMD does (see unfold), the GEMMs
 * reading and writing the im2col matrix in wasm memory where it is.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { conv2dWorkspaceSize } from "../conv2d.ts";
import { biasAddBackward } from "../elementwise.ts";
import { col2im, im2col } from "../im2col.ts";
import { bestInstance, WORK_END } from "../wasm/_instance.ts";
import { unfold as wasmIm2col } from "../wasm/_conv2d_im2col.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../wasm/conv2d_wasm.ts";
import { gemmBlas } from "./gemm_blas.ts";
import { blasConvPays } from "./_conv2d_choice.ts";

export { blasConvPays, type ConvPass } from "./_conv2d_choice.ts";

/** conv2dForward of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dForwardBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "forward")) conv2dForwardIm2colBlas(g, x, weight, bias, y, workspace);
  else conv2dForwardWasm(g, x, weight, bias, y, workspace);
}

/** conv2dBackwardInput of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dBackwardInputBlas(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "backwardInput")) conv2dBackwardInputIm2colBlas(g, gy, weight, gx, workspace);
  else conv2dBackwardInputWasm(g, gy, weight, gx, workspace);
}

/** conv2dBackwardWeight of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dBackwardWeightBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "backwardWeight")) {
    conv2dBackwardWeightIm2colBlas(g, x, gy, gw, gb, workspace);
  } else conv2dBackwardWeightWasm(g, x, gy, gw, gb, workspace);
}

/**
 * y = conv2d(x, weight) + bias as conv2dForward in conv2d.ts, always by im2col + gemmBlas.
 * Shapes: x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], bias [C_out] or null,
 * y [N, C_out, hOut, wOut] (overwritten), workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dForwardIm2colBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dForwardIm2colBlas");
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      // A pointwise stride-1 convolution reads x as its own im2col matrix.
      const [cols, colsOff] = d.direct ? [x, xOff] : unfold(g, x, xOff, d.cInG, workspace);
      const ldCols = d.direct ? d.hwIn : d.hw;
      gemmBlas(
        false,
        false,
        d.cOutG,
        d.hw,
        d.rows,
        1,
        weight,
        wOff,
        d.rows,
        cols,
        colsOff,
        ldCols,
        0,
        y,
        yOff,
        d.hw,
      );
    }
    if (bias !== null) {
      for (let o = 0; o < g.cOut; o++) {
        const b = bias[o], start = (s * g.cOut + o) * d.hw;
        for (let i = start; i < start + d.hw; i++) y[i] += b;
      }
    }
  }
}

/**
 * gx = dL/dx as conv2dBackwardInput in conv2d.ts, always by gemmBlas + col2im.
 * Shapes: gy [N, C_out, hOut, wOut], weight [C_out, C_in/groups, kh, kw], gx [N, C_in, H, W]
 * (OVERWRITTEN), workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dBackwardInputIm2colBlas(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dBackwardInputIm2colBlas");
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      // Pointwise stride 1: the column matrix is dL/dx itself; otherwise col2im scatters it.
      const [cols, colsOff, ldCols] = d.direct
        ? [gx, xOff, d.hwIn]
        : [...foldScratch(d.rows * d.hw, d.cInG * d.hwIn, workspace), d.hw] as const;
      gemmBlas(
        true,
        false,
        d.rows,
        d.hw,
        d.cOutG,
        1,
        weight,
        wOff,
        d.rows,
        gy,
        yOff,
        d.hw,
        0,
        cols,
        colsOff,
        ldCols,
      );
      if (!d.direct) fold(g, cols, colsOff, d.cInG, gx, xOff);
    }
  }
}

/**
 * gw += dL/dweight and gb += dL/dbias as conv2dBackwardWeight in conv2d.ts, always by im2col +
 * gemmBlas. Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, kh, kw],
 * gb [C_out] or null, workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dBackwardWeightIm2colBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dBackwardWeightIm2colBlas");
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      const [cols, colsOff] = d.direct ? [x, xOff] : unfold(g, x, xOff, d.cInG, workspace);
      const ldCols = d.direct ? d.hwIn : d.hw;
      gemmBlas(
        false,
        true,
        d.cOutG,
        d.rows,
        d.hw,
        1,
        gy,
        yOff,
        d.hw,
        cols,
        colsOff,
        ldCols,
        1,
        gw,
        wOff,
        d.rows,
      );
    }
  }
  if (gb !== null) biasAddBackward(gy, gb, g.n, g.cOut, d.hw);
}

/** Sizes shared by the three passes, after checking the workspace (as conv2d.ts does). */
function dims(g: Conv2dGeometry, workspace: Float32Array, fn: string) {
  const need = conv2dWorkspaceSize(g);
  if (workspace.length < need) {
    throw new RangeError(
      `Cannot run ${fn}: workspace has ${workspace.length} floats, need ${need} (conv2dWorkspaceSize)`,
    );
  }
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  const hw = g.hOut * g.wOut, hwIn = g.h * g.w;
  const rows = cInG * g.kh * g.kw;
  return {
    cInG,
    cOutG,
    hw,
    hwIn,
    rows,
    // conv2d.ts's pointwise case: its workspace size is 0, so x is multiplied in place.
    direct: need === 0,
    offsets: (s: number, gi: number) => ({
      xOff: (s * g.cIn + gi * cInG) * hwIn,
      yOff: (s * g.cOut + gi * cOutG) * hw,
      wOff: gi * cOutG * rows,
    }),
  };
}

/**
 * im2col of x[xOff..] ([c, h, w]) into a [c·kh·kw, hOut·wOut] matrix; returns the array and
 * offset it is at: wasm memory (valid until the next kernel call of this thread), or without
 * WebAssembly SIMD `scratch` at 0. kernels.wat's im2col (values equal to im2col.ts's) is
 * 2.2–2.8× faster than the TypeScript loop: mnist-cnn conv2's 64 samples 1.61 → 0.57 ms under
 * Deno, 1.37 → 0.62 under Bun; fast enough that keeping a forward's matrices for dL/dweight (as
 * this file did) no longer paid: unfolding again in cache beat reading the batch's back.
 */
function unfold(
  g: Conv2dGeometry,
  x: Float32Array,
  xOff: number,
  c: number,
  scratch: Float32Array,
): [Float32Array, number] {
  if (bestInstance === null) {
    im2col(x, xOff, c, g.h, g.w, g, scratch, 0);
    return [scratch, 0];
  }
  const hwIn = g.h * g.w;
  const xAt = WORK_END >> 2, colsAt = xAt + align4(c * hwIn);
  const heap = bestInstance.reserve(4 * (colsAt + c * g.kh * g.kw * g.hOut * g.wOut));
  heap.set(x.subarray(xOff, xOff + c * hwIn), xAt);
  wasmIm2col(bestInstance, g, xAt, c, colsAt, 0);
  return [heap, colsAt];
}

/**
 * Where a GEMM writes the `floats`-long im2col matrix that {@linkcode fold} then folds into
 * `gxFloats` of dL/dx: wasm memory (room for both reserved now), or `scratch` at 0 without
 * WebAssembly SIMD.
 */
function foldScratch(
  floats: number,
  gxFloats: number,
  scratch: Float32Array,
): [Float32Array, number] {
  if (bestInstance === null) return [scratch, 0];
  const at = WORK_END >> 2;
  return [bestInstance.reserve(4 * (at + align4(floats) + gxFloats)), at];
}

/**
 * col2im into a zeroed block: gx[gxOff..] ([c, h, w], OVERWRITTEN) = the sum of the
 * [c·kh·kw, hOut·wOut] matrix at cols[colsOff..] (from foldScratch) over overlapping windows, by
 * kernels.wat where {@linkcode unfold} uses it (same sums, same order as col2im.ts). Each
 * (sample, group) block of dL/dx is folded once, so nothing is added onto earlier values.
 */
function fold(
  g: Conv2dGeometry,
  cols: Float32Array,
  colsOff: number,
  c: number,
  gx: Float32Array,
  gxOff: number,
): void {
  const hwIn = g.h * g.w;
  if (bestInstance === null) {
    gx.fill(0, gxOff, gxOff + c * hwIn);
    col2im(cols, colsOff, c, g.h, g.w, g, gx, gxOff);
    return;
  }
  const gxAt = colsOff + align4(c * g.kh * g.kw * g.hOut * g.wOut);
  const heap = bestInstance.reserve(4 * (gxAt + c * hwIn));
  heap.fill(0, gxAt, gxAt + c * hwIn);
  wasmIm2col(bestInstance, g, gxAt, c, colsOff, 1);
  gx.set(heap.subarray(gxAt, gxAt + c * hwIn), gxOff);
}

/** `floats` rounded up to whole 16-byte vectors. */
function align4(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}
