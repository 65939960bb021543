/**
 * conv2d on WebAssembly SIMD: the three functions of conv2d.ts computed in kernels.wat.
 *
 * 3×3 stride-1 convolutions with enough channels (winogradPays, winogradWeightPays) run on
 * Winograd F(2×2, 3×3): 16 GEMMs over transformed 4×4 tiles take 16 multiplies per 2×2 outputs
 * where the direct convolution takes 36 (_conv2d_winograd.ts). Other stride-1 convolutions (and
 * the 3×3 ones with few channels, where the transforms dominate) run on the tap kernels: a block
 * of samples is copied into zero-padded planes whose rows all share one stride, so tap (c, p, q)
 * of the kernel is a constant shift of the flattened plane and the convolution is a sum of
 * shifted rows (convTaps, convTapsWeight) with no im2col matrix and no GEMM packing, which
 * dominate the small per-sample GEMMs of those layers; the kernels compute either the real output
 * rows or, where fewer, flat outputs over the padded rows (_conv2d_taps.ts lays both out). Other
 * strides, and backward-input shapes whose taps would mostly multiply gy's zero padding, fall back
 * to im2col + gemm per sample (_conv2d_im2col.ts).
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
import {
  blockSamples,
  outputLayout,
  packedSize,
  packTaps,
  padded,
  padSamples,
  roundUp,
  tapOffsets,
} from "./_conv2d_taps.ts";
import { winogradForward, winogradWaste } from "./_conv2d_winograd.ts";
import { winogradBackwardWeight, winogradWeightPays } from "./_conv2d_winograd_weight.ts";

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
  if (winogradPays(g)) {
    winogradForward(instance, g, x, y, bias, (gi, o, c, p, q) => {
      return weight[(gi * cOutG + o) * rows + (c * 3 + p) * 3 + q];
    });
    return;
  }
  tapsForward(instance, g, x, y, bias, (gi, o, r) => weight[(gi * cOutG + o) * rows + r]);
}

/**
 * gx = dL/dx of {@linkcode conv2dForwardWasm} given gy = dL/dy, as conv2dBackwardInput in
 * conv2d.ts: gx[n, g·C_in/groups + c, Y, X] =
 *   Σ_{o, p, q} weight[g·C_out/groups + o, c, p, q] · gy[n, o, Y + padH − p·dh, X + padW − q·dw]
 * (stride 1; terms outside gy are 0). That is a stride-1 forward convolution of gy zero-padded by
 * (k − 1)·d − pad with the kernel flipped and its two channel axes swapped, so it runs on
 * Winograd or convTaps too; other strides (or pad > (k − 1)·d) use weightᵀ·gy then col2im per
 * sample.
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
  // gy, padded by (k − 1)·d − pad, is the input of the flipped convolution and gx its output.
  const flipped = {
    ...g,
    cIn: g.cOut,
    cOut: g.cIn,
    h: g.hOut,
    w: g.wOut,
    hOut: g.h,
    wOut: g.w,
    padH,
    padW,
  };
  const { cOutG, rows } = dims(g);
  if (padH >= 0 && padW >= 0 && winogradPays(flipped)) {
    // tap (p, q) from gy channel o to gx channel c: weight[o, c, 2 − p, 2 − q]
    winogradForward(instance, flipped, gy, gx, null, (gi, c, o, p, q) => {
      return weight[(gi * cOutG + o) * rows + (c * 3 + 2 - p) * 3 + 2 - q];
    });
    return;
  }
  // With C_in/groups not a multiple of 4 (a network's RGB or grayscale input layer) the taps
  // pass wastes tile rows or re-reads gy per channel, and where gy is small against the kernel
  // (8×8 under a 5×5 kernel) most taps multiply its zero padding: im2col + gemm measured as fast
  // or faster once the taps compute over twice the hOut·wOut outputs per plane of the real work.
  const computed = outputLayout(g.h, g.w, g.wOut + 2 * padW, 8).computed;
  const tapsPay = (g.cIn / g.groups) % 4 === 0 && computed <= 2 * g.hOut * g.wOut;
  if (g.strideH !== 1 || g.strideW !== 1 || padH < 0 || padW < 0 || !tapsPay) {
    backwardInputIm2col(instance, g, gy, weight, gx);
    return;
  }
  const khw = g.kh * g.kw;
  // tap r = (o·kh + p')·kw + q' of input channel c: weight[o, c, kh − 1 − p', kw − 1 − q']
  tapsForward(instance, flipped, gy, gx, null, (gi, c, r) => {
    const o = Math.floor(r / khw), flip = khw - 1 - (r - o * khw);
    return weight[(gi * cOutG + o) * rows + c * khw + flip];
  });
}

/**
 * Weight and bias gradients of {@linkcode conv2dForwardWasm}, ACCUMULATED (+=) into gw and gb,
 * as conv2dBackwardWeight in conv2d.ts:
 * gw[g·C_out/groups + o, c, p, q] += Σ_{n, i, j} gy[n, g·C_out/groups + o, i, j] ·
 *   x[n, g·C_in/groups + c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW],
 * gb[o] += Σ_{n, i, j} gy[n, o, i, j]. Stride 1 runs on Winograd where winogradWeightPays, else
 * on convTapsWeight and planeSums over blocks of samples; other strides on gy·colsᵀ per sample.
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
  if (winogradWeightPays(g)) {
    winogradBackwardWeight(instance, g, x, gy, gw, gb);
    return;
  }
  const { n, cIn, cOut, groups } = g;
  const { cInG, cOutG, hw, hwIn, rows } = dims(g);
  const pad = padded(g.h, g.w, g.padH, g.padW, g.kw, g.dilationW);
  // gy planes in the layout's rows, zero past wOut and up to a multiple of 4 floats
  const out = outputLayout(g.hOut, roundUp(g.wOut, 4), pad.w, 4);
  const outW = roundUp(out.outW, 4), ldg = out.outRows * outW;
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
    e.copyRows(gyAt * 4, gpAt * 4, count * cOut, g.hOut, g.wOut, g.wOut, hw, out.row, ldg);
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
        out.outRows,
        outW,
        out.ldx,
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
 * Whether the stride-1 forward convolution of geometry g runs on Winograd F(2×2, 3×3)
 * (_conv2d_winograd.ts) rather than on the tap kernels: it must be 3×3 with dilation 1, and its
 * cost relative to the taps, estimated as
 *   waste = 16·tiles / (9·taps' computed outputs)   (multiply-adds per tile and per tap output)
 *   + 2·(1/C_in + 1/C_out per group)               (the transforms, per channel)
 * must be under 0.9. The second term is fitted to measurements (within ~10% of the measured ratio
 * from 8 to 64 channels and 3×3 to 64×64 images); `waste` charges each layout for the outputs it
 * computes past the edge (winogradWaste). So CIFAR conv2 (32 → 64, 16×16: 0.54) runs on Winograd, its RGB conv1
 * (1.2) and MNIST's 8 → 16 on 10×10 outputs (0.97) on the taps.
 */
function winogradPays(g: Conv2dGeometry): boolean {
  return winogradWaste(g) + 2 * g.groups * (1 / g.cIn + 1 / g.cOut) < 0.9;
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
  const out = outputLayout(g.hOut, g.wOut, pad.w, 8);
  const ldy = roundUp((out.outRows - 1) * out.outW + roundUp(out.outW, 32), 4);
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
        out.outRows,
        out.outW,
        out.ldx,
      );
    }
    e.copyRows(yfAt * 4, yAt * 4, count * cOut, g.hOut, g.wOut, out.row, ldy, g.wOut, hw);
    y.set(heap.subarray(yAt, yAt + count * cOut * hw), s0 * cOut * hw);
  }
}
