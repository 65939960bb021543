/**
 * The weight gradient of Winograd F(2×2, 3×3) for conv2d_wasm.ts, the adjoint of
 * _conv2d_winograd.ts's forward Y = Aᵀ [U ⊙ V] A with U = G g Gᵀ: per tile dU = (A dY Aᵀ) ⊙ V,
 * so summed over tiles and samples the kernel gradient is Gᵀ dU G of 16 GEMMs
 * dU[ξ] = Σ dM[ξ]·V[ξ]ᵀ between kernels.wat's winogradInput (V = Bᵀ d B, as the forward) and
 * winogradOutputGrad (dM = A dY Aᵀ): 16 multiplies per 2×2 outputs where the taps take 36.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { type WasmInstance, WORK } from "./_instance.ts";
import { dims, regions } from "./_conv2d_im2col.ts";
import {
  inputTiles,
  leadingRegions,
  spread,
  tileLayout,
  winogradWaste,
} from "./_conv2d_winograd.ts";

/**
 * Weight and bias gradients of the stride-1 3×3 convolution of geometry g (kh = kw = 3,
 * dilation 1) by Winograd F(2×2, 3×3), ACCUMULATED (+=) into gw and gb as
 * conv2dBackwardWeightWasm: per block of samples and group the 16 GEMMs
 *   dU[ξ] += dM[ξ]·V[ξ]ᵀ   ([C_out/groups, tiles]·[tiles, C_in/groups]),
 * then gw[o, c] += Gᵀ dU[o, c] G in float64, rounded once; gb[o] += Σ gy (planeSums).
 *
 * Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, 3, 3],
 * gb [C_out] or null.
 */
export function winogradBackwardWeight(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
): void {
  const { n, cIn, cOut, groups } = g;
  const { cInG, cOutG, hw } = dims(g);
  const t = tileLayout(g), { tilesH, tilesW, tiles, s } = t;
  // [dU | gb sums | x block | padded x block | V | gy block | gy in tile planes (unless exact) | dM]
  const { heap, at: [duAt, gbAt, xAt, xpAt, vAt, gyAt, gpAt, mAt] } = regions(
    instance,
    ...leadingRegions(g, t),
    s * cOut * hw,
    t.exact ? 0 : s * cOut * t.outPlane,
    16 * spread(s * cOut * tiles),
  );
  heap.fill(0, duAt, duAt + 16 * cOut * cInG + cOut);
  heap.fill(0, xpAt, xpAt + s * cIn * t.padPlane);
  // gy is zero past the output edge: tiles overhanging it add nothing to dU
  heap.fill(0, gpAt, gpAt + (t.exact ? 0 : s * cOut * t.outPlane));
  const [planesAt, plane, row] = t.exact ? [gyAt, hw, g.wOut] : [gpAt, t.outPlane, 2 * tilesW];
  const e = instance.exports;
  for (let s0 = 0; s0 < n; s0 += s) {
    const count = Math.min(s, n - s0), ld = count * tiles;
    const vs = inputTiles(instance, heap, g, t, x, s0, count, xAt, xpAt, vAt);
    const ms = spread(cOut * ld);
    heap.set(gy.subarray(s0 * cOut * hw, (s0 + count) * cOut * hw), gyAt);
    if (!t.exact) {
      e.copyRows(gyAt * 4, gpAt * 4, count * cOut, g.hOut, g.wOut, g.wOut, hw, row, plane);
    }
    e.winogradOutputGrad(planesAt * 4, count, cOut, plane, row, tilesH, tilesW, mAt * 4, ld, ms);
    for (let xi = 0; xi < 16; xi++) {
      for (let gi = 0; gi < groups; gi++) {
        const du = duAt + (xi * cOut + gi * cOutG) * cInG;
        const v = vAt + xi * vs + gi * cInG * ld, m = mAt + xi * ms + gi * cOutG * ld;
        e.gemm(0, 1, cOutG, cInG, ld, m * 4, ld, v * 4, ld, du * 4, cInG, 1, 1, 0, WORK);
      }
    }
    if (gb !== null) e.planeSums(planesAt * 4, cOut * plane, count, cOut, plane, plane, gbAt * 4);
  }
  transformGradients(heap, duAt, g, gw);
  if (gb !== null) { for (let o = 0; o < cOut; o++) gb[o] += heap[gbAt + o]; }
}

/**
 * Whether conv2dBackwardWeightWasm runs on winogradBackwardWeight: its time over the taps' under
 * Deno, 1.72·waste + 2.26/(C_in per group) + 2.58/(C_out per group) − 0.33 with waste =
 * winogradWaste (fitted to 180 shapes, 8 to 64 channels, 6×6 to 28×28: within ~0.07 of the
 * measured ratio), must be under 0.7, as Bun measured ~0.2 higher ratios (every shape under 0.7
 * still ≤ 0.93 there), and C_in per group a multiple of 8: the gemm packs dU[ξ]'s columns 8 at a
 * time and a partial sliver scalar (12 input channels measured up to 2× slower than the taps).
 * Both operands of its GEMMs are packed (the forward's packs one), so it needs more channels than
 * the forward's rule: CIFAR conv2 (32 → 64, 16×16: 0.54) runs on Winograd, 16 → 16 on 16×16
 * (0.74) on the taps.
 */
export function winogradWeightPays(g: Conv2dGeometry): boolean {
  if ((g.cIn / g.groups) % 8 !== 0) return false;
  return 1.72 * winogradWaste(g) + g.groups * (2.26 / g.cIn + 2.58 / g.cOut) - 0.33 < 0.7;
}

/**
 * gw[o, c] += Gᵀ dU[o, c] G for every output channel o and input channel c of its group, with
 * dU[o, c][i, j] = heap[at + (4·i + j)·C_out·C_in/groups + o·C_in/groups + c] (the 16 matrices
 * dU[ξ] [C_out, C_in/groups] winogradBackwardWeight accumulates): the adjoint of
 * transformFilters, in float64 and rounded once into gw.
 */
function transformGradients(heap: Float32Array, at: number, g: Conv2dGeometry, gw: Float32Array) {
  const { cInG } = dims(g), stride = g.cOut * cInG;
  const t = new Float64Array(12); // Gᵀ·dU, [3, 4]
  for (let oc = 0; oc < stride; oc++) {
    for (let j = 0; j < 4; j++) {
      const a = heap[at + oc + j * stride], b = heap[at + oc + (4 + j) * stride];
      const c = heap[at + oc + (8 + j) * stride], d = heap[at + oc + (12 + j) * stride];
      t[j] = a + (b + c) / 2, t[4 + j] = (b - c) / 2, t[8 + j] = (b + c) / 2 + d;
    }
    const cell = 9 * oc; // gw[o, c] is [3, 3] at 9·(o·C_in/groups + c)
    for (let p = 0; p < 3; p++) {
      const a = t[4 * p], b = t[4 * p + 1], c = t[4 * p + 2], d = t[4 * p + 3];
      gw[cell + 3 * p] += a + (b + c) / 2;
      gw[cell + 3 * p + 1] += (b - c) / 2;
      gw[cell + 3 * p + 2] += (b + c) / 2 + d;
    }
  }
}
