/**
 * conv2d on WebAssembly SIMD: the three functions of conv2d.ts computed in kernels.wat.
 *
 * Stride-1 convolutions (every CNN layer we benchmark) run on the tap kernels: a block of samples
 * is copied into zero-padded planes whose rows all share one stride, so tap (c, p, q) of the
 * kernel is a constant shift of the flattened plane and the convolution is a sum of shifted rows
 * (convTaps, convTapsWeight) with no im2col matrix and no GEMM packing, which dominate the small
 * per-sample GEMMs of those layers. Other strides fall back to im2col + gemm per sample
 * (_conv2d_im2col.ts).
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { requireInstance, type WasmInstance } from "./_instance.ts";
import {
  backwardInputIm2col,
  backwardWeightIm2col,
  dims,
  forwardIm2col,
  regions,
} from "./_conv2d_im2col.ts";

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
  const instance = requireInstance("conv2dForwardWasm", "conv2d.ts");
  if (g.strideH !== 1 || g.strideW !== 1) {
    forwardIm2col(instance, g, x, weight, bias, y);
    return;
  }
  const { cOutG, rows } = dims(g);
  tapsForward(instance, g, x, y, bias, (gi, o, r) => weight[(gi * cOutG + o) * rows + r]);
}

/**
 * gx = dL/dx of {@linkcode conv2dForwardWasm} given gy = dL/dy, as conv2dBackwardInput in
 * conv2d.ts: gx[n, g·C_in/groups + c, Y, X] =
 *   Σ_{o, p, q} weight[g·C_out/groups + o, c, p, q] · gy[n, o, Y + padH − p·dh, X + padW − q·dw]
 * (stride 1; terms outside gy are 0). That is a stride-1 forward convolution of gy zero-padded by
 * (k − 1)·d − pad with the kernel flipped and its two channel axes swapped, so it runs on
 * convTaps too; other strides (or pad > (k − 1)·d) use weightᵀ·gy then col2im per sample.
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
  const instance = requireInstance("conv2dBackwardInputWasm", "conv2d.ts");
  const padH = (g.kh - 1) * g.dilationH - g.padH, padW = (g.kw - 1) * g.dilationW - g.padW;
  // With C_in/groups not a multiple of 4 (a network's RGB or grayscale input layer) the taps
  // pass wastes tile rows or re-reads gy per channel and im2col + gemm measured as fast or faster.
  const tapsPay = (g.cIn / g.groups) % 4 === 0;
  if (g.strideH !== 1 || g.strideW !== 1 || padH < 0 || padW < 0 || !tapsPay) {
    backwardInputIm2col(instance, g, gy, weight, gx);
    return;
  }
  // gy, padded by (k − 1)·d − pad, is the input of the flipped convolution and gx its output.
  const flipped = { ...g, cIn: g.cOut, cOut: g.cIn, h: g.hOut, w: g.wOut, hOut: g.h, wOut: g.w };
  const { cOutG, rows } = dims(g), khw = g.kh * g.kw;
  // tap r = (o·kh + p')·kw + q' of input channel c: weight[o, c, kh − 1 − p', kw − 1 − q']
  tapsForward(instance, { ...flipped, padH, padW }, gy, gx, null, (gi, c, r) => {
    const o = Math.floor(r / khw), flip = khw - 1 - (r - o * khw);
    return weight[(gi * cOutG + o) * rows + c * khw + flip];
  });
}

/**
 * Weight and bias gradients of {@linkcode conv2dForwardWasm}, ACCUMULATED (+=) into gw and gb,
 * as conv2dBackwardWeight in conv2d.ts:
 * gw[g·C_out/groups + o, c, p, q] += Σ_{n, i, j} gy[n, g·C_out/groups + o, i, j] ·
 *   x[n, g·C_in/groups + c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW],
 * gb[o] += Σ_{n, i, j} gy[n, o, i, j]. Stride 1 runs on convTapsWeight and planeSums over blocks
 * of samples; other strides on gy·colsᵀ per sample.
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
  const instance = requireInstance("conv2dBackwardWeightWasm", "conv2d.ts");
  if (g.strideH !== 1 || g.strideW !== 1) {
    backwardWeightIm2col(instance, g, x, gy, gw, gb);
    return;
  }
  const { n, cIn, cOut, groups } = g;
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const pad = padded(g.h, g.w, g.padH, g.padW, g.kw, g.dilationW);
  // gy planes in the padded row stride, zero past wOut and up to a multiple of 4 floats
  const ldg = roundUp(g.hOut * pad.w, 4);
  const s = blockSamples(n, cIn * (hwIn + pad.plane) + cOut * (hw + ldg));
  const taps = tapOffsets(cInG, g.kh, g.kw, pad.plane, g.dilationH * pad.w, g.dilationW);
  // [tap offsets | gw | gb sums | x block | padded x block | gy block | padded gy block (+3
  //  planes convTapsWeight reads past the last channel)]
  const { heap, at: [offsAt, gwAt, gbAt, xAt, xpAt, gyAt, gpAt] } = regions(
    instance,
    taps.length,
    cOut * rows,
    cOut,
    s * cIn * hwIn,
    s * cIn * pad.plane + pad.slack,
    s * cOut * hw,
    (s * cOut + 3) * ldg,
  );
  new Int32Array(heap.buffer, offsAt * 4, taps.length).set(taps);
  heap.set(gw.subarray(0, cOut * rows), gwAt);
  heap.fill(0, gbAt, gbAt + cOut);
  heap.fill(0, xpAt, xpAt + s * cIn * pad.plane + pad.slack);
  heap.fill(0, gpAt, gpAt + (s * cOut + 3) * ldg);
  const e = instance.exports;
  for (let s0 = 0; s0 < n; s0 += s) {
    const count = Math.min(s, n - s0);
    padSamples(instance, heap, g, pad, x, s0, count, xAt, xpAt);
    heap.set(gy.subarray(s0 * cOut * hw, (s0 + count) * cOut * hw), gyAt);
    e.copyRows(gyAt * 4, gpAt * 4, count * cOut, g.hOut, g.wOut, g.wOut, hw, pad.w, ldg);
    for (let gi = 0; gi < groups; gi++) {
      e.convTapsWeight(
        (gpAt + gi * cOutG * ldg) * 4,
        cOut * ldg,
        ldg,
        cOutG,
        (xpAt + gi * cInG * pad.plane) * 4,
        cIn * pad.plane,
        count,
        offsAt * 4,
        rows,
        ldg,
        (gwAt + gi * cOutG * rows) * 4,
        rows,
      );
    }
    if (gb !== null) e.planeSums(gpAt * 4, cOut * ldg, count, cOut, ldg, ldg, gbAt * 4);
  }
  gw.set(heap.subarray(gwAt, gwAt + cOut * rows));
  if (gb !== null) { for (let o = 0; o < cOut; o++) gb[o] += heap[gbAt + o]; }
}

/**
 * The stride-1 forward convolution y = conv2d(x, weight) + bias of geometry g on convTaps, with
 * weightAt(gi, o, r) the weight of tap r (c-major over the group's input channels, then p, q, as
 * weight's rows) for output channel o of group gi: blocks of samples are copied into zero-padded
 * planes, convolved per group into rows of the padded width, and cropped back to [hOut, wOut].
 * conv2dBackwardInputWasm runs it on gy with the kernel flipped.
 */
function tapsForward(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: Float32Array,
  y: Float32Array,
  bias: Float32Array | null,
  weightAt: (gi: number, o: number, r: number) => number,
): void {
  const { n, cIn, cOut, groups } = g;
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const pad = padded(g.h, g.w, g.padH, g.padW, g.kw, g.dilationW);
  const flat = g.hOut * pad.w, ldy = roundUp(flat, 32);
  const s = blockSamples(n, cIn * (hwIn + pad.plane) + cOut * (ldy + hw));
  const taps = tapOffsets(cInG, g.kh, g.kw, pad.plane, g.dilationH * pad.w, g.dilationW);
  const wBlocks = packedSize(cOutG, taps.length);
  // [tap offsets | packed weights per group | x block | padded x block | flat y block | y block]
  const { heap, at: [offsAt, wAt, xAt, xpAt, yfAt, yAt] } = regions(
    instance,
    taps.length,
    groups * wBlocks,
    s * cIn * hwIn,
    s * cIn * pad.plane + pad.slack,
    s * cOut * ldy,
    s * cOut * hw,
  );
  new Int32Array(heap.buffer, offsAt * 4, taps.length).set(taps);
  for (let gi = 0; gi < groups; gi++) {
    // taps.length may count one padding tap past the rows of weight: its weight is 0
    packTaps(heap, wAt + gi * wBlocks, cOutG, taps.length, bias, gi * cOutG, (o, r) => {
      return r < rows ? weightAt(gi, o, r) : 0;
    });
  }
  heap.fill(0, xpAt, xpAt + s * cIn * pad.plane + pad.slack);
  const e = instance.exports;
  for (let s0 = 0; s0 < n; s0 += s) {
    const count = Math.min(s, n - s0);
    padSamples(instance, heap, g, pad, x, s0, count, xAt, xpAt);
    for (let gi = 0; gi < groups; gi++) {
      e.convTaps(
        (xpAt + gi * cInG * pad.plane) * 4,
        cIn * pad.plane,
        count,
        offsAt * 4,
        taps.length,
        (wAt + gi * wBlocks) * 4,
        cOutG,
        (yfAt + gi * cOutG * ldy) * 4,
        ldy,
        cOut * ldy,
        flat,
      );
    }
    e.copyRows(yfAt * 4, yAt * 4, count * cOut, g.hOut, g.wOut, pad.w, ldy, g.wOut, hw);
    y.set(heap.subarray(yAt, yAt + count * cOut * hw), s0 * cOut * hw);
  }
}

/**
 * Copies samples s0 … s0 + count − 1 of x [N, C_in, H, W] to float index xAt and from there into
 * the interiors of the padded planes at xpAt (their borders stay as zeroed before the first block).
 */
function padSamples(
  instance: WasmInstance,
  heap: Float32Array,
  g: Conv2dGeometry,
  pad: ReturnType<typeof padded>,
  x: Float32Array,
  s0: number,
  count: number,
  xAt: number,
  xpAt: number,
): void {
  const { cIn, h, w } = g, hwIn = h * w;
  heap.set(x.subarray(s0 * cIn * hwIn, (s0 + count) * cIn * hwIn), xAt);
  const interior = xpAt + g.padH * pad.w + g.padW;
  instance.exports.copyRows(xAt * 4, interior * 4, count * cIn, h, w, w, hwIn, pad.w, pad.plane);
}

/** Bytes of wasm memory one block of samples may take in the tap passes (see blockSamples). */
const BLOCK_BYTES = 512 * 1024;

/**
 * Samples per block of the tap kernels: as many as keep a block's buffers (perSample floats each)
 * within BLOCK_BYTES, so they stay in cache between the copy in, the kernel and the copy out and
 * the wasm memory stays small, but at least one. (64 KiB to 2 MiB measured the same within noise
 * on the benchmark layers: what counts is fewer, larger kernel calls than one per sample.)
 */
function blockSamples(n: number, perSample: number): number {
  return Math.max(1, Math.min(n, Math.floor(BLOCK_BYTES / (4 * perSample))));
}

/**
 * Geometry of zero-padded planes for the tap kernels: an [h, w] image with pad rows above and
 * below and pad columns each side is a [h + 2·padH, w + 2·padW] plane. The last tap of the last
 * plane reads up to 31 + (kw − 1)·dilationW floats past it (for junk outputs), hence `slack`.
 */
function padded(h: number, w: number, padH: number, padW: number, kw: number, dilationW: number) {
  const width = w + 2 * padW;
  return { w: width, plane: (h + 2 * padH) * width, slack: 32 + (kw - 1) * dilationW };
}

/**
 * Byte offsets of the taps (c, p, q), c-major as weight's rows, in planes of `plane` floats with
 * rows `rowStep` = dilationH·width and columns `colStep` = dilationW floats apart, padded with a
 * 0 to an even count (convTaps takes taps two at a time).
 */
function tapOffsets(
  channels: number,
  kh: number,
  kw: number,
  plane: number,
  rowStep: number,
  colStep: number,
): Int32Array {
  const count = channels * kh * kw;
  const offs = new Int32Array(roundUp(count, 2));
  let r = 0;
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < kh; p++) {
      for (let q = 0; q < kw; q++) offs[r++] = 4 * (c * plane + p * rowStep + q * colStep);
    }
  }
  return offs;
}

/** Floats of convTaps' packed weights for m outputs and `taps` taps: ⌈m/4⌉ blocks of 4 + 4·taps. */
function packedSize(m: number, taps: number): number {
  return Math.ceil(m / 4) * 4 * (1 + taps);
}

/**
 * Writes convTaps' weight blocks at float index `at`: per 4 outputs o, bias[bias0 + o] (0 without
 * bias) then weightAt(o, r) for each tap r, 4 outputs side by side; 0 for o ≥ m.
 */
function packTaps(
  heap: Float32Array,
  at: number,
  m: number,
  taps: number,
  bias: Float32Array | null,
  bias0: number,
  weightAt: (o: number, r: number) => number,
): void {
  for (let ob = 0; ob < m; ob += 4) {
    for (let i = 0; i < 4; i++) {
      const o = ob + i;
      heap[at + i] = o < m && bias !== null ? bias[bias0 + o] : 0;
      for (let r = 0; r < taps; r++) heap[at + 4 * (1 + r) + i] = o < m ? weightAt(o, r) : 0;
    }
    at += 4 * (1 + taps);
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
