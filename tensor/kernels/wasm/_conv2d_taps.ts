/**
 * Layout helpers of conv2d_wasm.ts's tap path (kernels.wat's convTaps, convTapsWeight): the
 * zero-padded planes samples are copied into, the blocks of samples per kernel call, which
 * outputs the kernels compute per plane, and the tap offsets and packed weights they read.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import type { WasmInstance } from "./_instance.ts";

/**
 * Copies samples s0 … s0 + count − 1 of x [N, C_in, H, W] to float index xAt and from there into
 * the interiors of the padded planes at xpAt (their borders stay as zeroed before the first block).
 */
export function padSamples(
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
export function blockSamples(n: number, perSample: number): number {
  return Math.max(1, Math.min(n, Math.floor(BLOCK_BYTES / (4 * perSample))));
}

/**
 * Geometry of zero-padded planes for the tap kernels: an [h, w] image with pad rows above and
 * below and pad columns each side is a [h + 2·padH, w + 2·padW] plane. The last tap of the last
 * plane reads up to 31 + (kw − 1)·dilationW floats past it (for junk outputs), hence `slack`.
 */
export function padded(
  h: number,
  w: number,
  padH: number,
  padW: number,
  kw: number,
  dilationW: number,
) {
  const width = w + 2 * padW;
  return { w: width, plane: (h + 2 * padH) * width, slack: 32 + (kw - 1) * dilationW };
}

/**
 * Outputs the tap kernels compute for an [hOut, wOut] output of planes `width` floats wide,
 * `chunk` at a time per row: the real rows (outRows = hOut rows of outW = wOut, read ldx = width
 * apart), or where that computes more (a narrow output in wide rows repeats the rounding up per
 * row), hOut·width flat outputs in one row (outRows = 1, ldx = 0), whose width − wOut columns past
 * each real row are junk. `row` is the stride of the real rows in that layout and `computed`
 * = outRows·(outW↑chunk) the outputs computed per plane.
 */
export function outputLayout(hOut: number, wOut: number, width: number, chunk: number) {
  const flat = hOut * width, rows = hOut * roundUp(wOut, chunk);
  return rows < roundUp(flat, chunk)
    ? { outRows: hOut, outW: wOut, ldx: width, row: wOut, computed: rows }
    : { outRows: 1, outW: flat, ldx: 0, row: width, computed: roundUp(flat, chunk) };
}

/**
 * Byte offsets of the taps (c, p, q), c-major as weight's rows, in planes of `plane` floats with
 * rows `rowStep` = dilationH·width and columns `colStep` = dilationW floats apart, padded with a
 * 0 to an even count (convTaps takes taps two at a time).
 */
export function tapOffsets(
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
export function packedSize(m: number, taps: number): number {
  return Math.ceil(m / 4) * 4 * (1 + taps);
}

/**
 * Writes convTaps' weight blocks at float index `at`: per 4 outputs o, bias[bias0 + o] (0 without
 * bias) then weightAt(o, r) for each tap r, 4 outputs side by side; 0 for o ≥ m.
 */
export function packTaps(
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

/** value rounded up to a multiple of `multiple`: ⌈value / multiple⌉·multiple. */
export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
