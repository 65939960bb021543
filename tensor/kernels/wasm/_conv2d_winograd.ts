/**
 * Winograd minimal filtering F(2×2, 3×3) (Lavin & Gray 2015, "Fast Algorithms for Convolutional
 * Neural Networks") for conv2d_wasm.ts: the 3×3, stride-1, dilation-1 layers whose channel counts
 * make the direct tap kernels compute-bound. Each 2×2 output tile of a plane is
 *   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A   with d its 4×4 input tile (rows and columns 2·t … 2·t + 3),
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1],
 * so summed over input channels the 16 elementwise products ξ become 16 independent GEMMs
 * M[ξ] = U[ξ]·V[ξ], [C_out, C_in]·[C_in, tiles], with U = G g Gᵀ: 16 multiplies per 4 outputs
 * where the direct convolution takes 36, at the price of the two transforms (adds only, in
 * kernels.wat's winogradInput / winogradOutput) and a slightly larger rounding error. The weight
 * gradient (_conv2d_winograd_weight.ts) shares the tiling and winogradInput.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { type WasmInstance, WORK } from "./_instance.ts";
import { dims, regions } from "./_conv2d_im2col.ts";
import { outputLayout, roundUp } from "./_conv2d_taps.ts";

/**
 * Bytes of transformed tiles (V and M, or V and dM) per block of samples. Blocks of 0.5 to 2 MiB measured
 * the same within noise on CIFAR conv2; the gemm wants wide V[ξ] (many tiles per call), the
 * transforms want V and M to stay in cache between them.
 */
const BLOCK_BYTES = 1024 * 1024;

/**
 * The stride-1 3×3 convolution y = conv2d(x, g) + bias of geometry g (kh = kw = 3, dilation 1)
 * by Winograd F(2×2, 3×3), with filterAt(gi, o, c, p, q) the kernel tap (p, q) from input channel
 * c to output channel o of group gi (both counted within the group). conv2dBackwardInputWasm
 * runs it on gy with the kernel flipped and its channel axes swapped.
 *
 * Shapes: x [N, C_in, H, W], bias [C_out] or null, y [N, C_out, hOut, wOut] (overwritten).
 */
export function winogradForward(
  instance: WasmInstance,
  g: Conv2dGeometry,
  x: Float32Array,
  y: Float32Array,
  bias: Float32Array | null,
  filterAt: (gi: number, o: number, c: number, p: number, q: number) => number,
): void {
  const { n, cIn, cOut, groups } = g;
  const { cInG, cOutG, hw } = dims(g);
  const t = tileLayout(g), { tilesH, tilesW, tiles, s } = t;
  // [U | bias | x block | padded x block | V | M | tile outputs (unless exact) | y block]
  const { heap, at: [uAt, biasAt, xAt, xpAt, vAt, mAt, oAt, yAt] } = regions(
    instance,
    ...leadingRegions(g, t),
    16 * spread(s * cOut * tiles),
    t.exact ? 0 : s * cOut * t.outPlane,
    s * cOut * hw,
  );
  transformFilters(heap, uAt, g, filterAt);
  if (bias === null) heap.fill(0, biasAt, biasAt + cOut);
  else heap.set(bias.subarray(0, cOut), biasAt);
  heap.fill(0, xpAt, xpAt + s * cIn * t.padPlane);
  const e = instance.exports;
  for (let s0 = 0; s0 < n; s0 += s) {
    const count = Math.min(s, n - s0), ld = count * tiles;
    const vs = inputTiles(instance, heap, g, t, x, s0, count, xAt, xpAt, vAt);
    const ms = spread(cOut * ld);
    for (let xi = 0; xi < 16; xi++) {
      for (let gi = 0; gi < groups; gi++) {
        const u = uAt + (xi * cOut + gi * cOutG) * cInG;
        const v = vAt + xi * vs + gi * cInG * ld, m = mAt + xi * ms + gi * cOutG * ld;
        e.gemm(0, 0, cOutG, ld, cInG, u * 4, cInG, v * 4, ld, m * 4, ld, 1, 0, 1, WORK);
      }
    }
    // into the y block, or into tile-sized planes cropped into it
    const [outAt, plane, row] = t.exact ? [yAt, hw, g.wOut] : [oAt, t.outPlane, 2 * tilesW];
    const m = mAt * 4, b = biasAt * 4;
    e.winogradOutput(m, count, cOut, tilesH, tilesW, ld, ms, b, outAt * 4, plane, row);
    if (!t.exact) {
      e.copyRows(oAt * 4, yAt * 4, count * cOut, g.hOut, g.wOut, row, plane, g.wOut, hw);
    }
    y.set(heap.subarray(yAt, yAt + count * cOut * hw), s0 * cOut * hw);
  }
}

/**
 * The tiling of geometry g that winogradForward and winogradBackwardWeight share: tilesH × tilesW
 * tiles per plane (winogradTiles), zero-padded input planes of padPlane floats (rows padW apart)
 * covering every tile's 4×4 input, tile-sized output planes of outPlane floats, whether the
 * outputs fill the tiles exactly (then the output planes are the real ones), and s samples per
 * block.
 */
export function tileLayout(g: Conv2dGeometry) {
  const tilesH = Math.ceil(g.hOut / 2), tilesW = roundUp(Math.ceil(g.wOut / 2), 4);
  const tiles = tilesH * tilesW, padW = 2 * tilesW + 2;
  const s = Math.max(1, Math.min(g.n, Math.floor(BLOCK_BYTES / (64 * (g.cIn + g.cOut) * tiles))));
  return {
    tilesH,
    tilesW,
    tiles,
    padW,
    padPlane: (2 * tilesH + 2) * padW,
    outPlane: 4 * tiles,
    exact: g.hOut === 2 * tilesH && g.wOut === 2 * tilesW,
    s,
  };
}

/**
 * Float sizes of the regions both passes' layouts start with: 16 [C_out, C_in/groups] matrices
 * (U, or dU), C_out floats (the bias, or its gradient), the x block, its zero-padded planes and V.
 */
export function leadingRegions(g: Conv2dGeometry, t: ReturnType<typeof tileLayout>): number[] {
  const { cInG, hwIn } = dims(g), { cIn } = g;
  return [
    16 * g.cOut * cInG,
    g.cOut,
    t.s * cIn * hwIn,
    t.s * cIn * t.padPlane,
    16 * spread(t.s * cIn * t.tiles),
  ];
}

/**
 * Copies samples s0 … s0 + count − 1 of x into the interiors of the zero-padded planes at xpAt
 * (through the x block at xAt) and transforms them into V at vAt; returns the floats between
 * consecutive V[ξ].
 */
export function inputTiles(
  instance: WasmInstance,
  heap: Float32Array,
  g: Conv2dGeometry,
  t: ReturnType<typeof tileLayout>,
  x: Float32Array,
  s0: number,
  count: number,
  xAt: number,
  xpAt: number,
  vAt: number,
): number {
  const { cIn } = g, hwIn = g.h * g.w, ld = count * t.tiles, vs = spread(cIn * ld);
  heap.set(x.subarray(s0 * cIn * hwIn, (s0 + count) * cIn * hwIn), xAt);
  const e = instance.exports, interior = xpAt + g.padH * t.padW + g.padW;
  e.copyRows(xAt * 4, interior * 4, count * cIn, g.h, g.w, g.w, hwIn, t.padW, t.padPlane);
  e.winogradInput(xpAt * 4, count, cIn, t.padPlane, t.padW, t.tilesH, t.tilesW, vAt * 4, ld, vs);
  return vs;
}

/**
 * 2×2 tiles winogradForward computes per [hOut, wOut] output plane: ⌈hOut/2⌉ rows of ⌈wOut/2⌉
 * rounded up to a multiple of 4, as winogradInput takes tiles 4 at a time (the extra ones read
 * zeros and their outputs are dropped).
 */
export function winogradTiles(hOut: number, wOut: number): number {
  return Math.ceil(hOut / 2) * roundUp(Math.ceil(wOut / 2), 4);
}

/**
 * Multiply-adds of Winograd over the tap kernels' per output, counting the outputs each computes
 * past the edge: 16·tiles (winogradTiles) / (9·taps' computed outputs, outputLayout); Infinity
 * for geometries Winograd F(2×2, 3×3) cannot run (not 3×3, stride 1, dilation 1).
 */
export function winogradWaste(g: Conv2dGeometry): number {
  if (g.kh !== 3 || g.kw !== 3 || g.strideH !== 1 || g.strideW !== 1) return Infinity;
  if (g.dilationH !== 1 || g.dilationW !== 1) return Infinity;
  const taps = outputLayout(g.hOut, g.wOut, g.w + 2 * g.padW, 8).computed;
  return 16 * winogradTiles(g.hOut, g.wOut) / (9 * taps);
}

/**
 * Floats between consecutive V[ξ] (or M[ξ]) of `floats` floats each: rounded up to whole 4 KiB
 * pages plus one 64-byte cache line, so the 16 streams winogradInput writes (winogradOutput
 * reads) fall in 16 different L1 sets rather than all in one.
 */
export function spread(floats: number): number {
  return roundUp(floats, 1024) + 16;
}

/**
 * Writes U = G g Gᵀ of every 3×3 kernel g = filterAt(gi, o, c, ·, ·) at float index `at` as 16
 * matrices U[ξ] [C_out, C_in/groups] (ξ = 4·i + j the tile position), computed in float64 and
 * rounded once, so the filter transform adds no float32 error of its own.
 */
function transformFilters(
  heap: Float32Array,
  at: number,
  g: Conv2dGeometry,
  filterAt: (gi: number, o: number, c: number, p: number, q: number) => number,
): void {
  const { cInG, cOutG } = dims(g);
  const gg = new Float64Array(12); // G·g, [4, 3]
  for (let gi = 0; gi < g.groups; gi++) {
    for (let o = 0; o < cOutG; o++) {
      for (let c = 0; c < cInG; c++) {
        for (let q = 0; q < 3; q++) {
          const a = filterAt(gi, o, c, 0, q), b = filterAt(gi, o, c, 1, q);
          const d = filterAt(gi, o, c, 2, q);
          gg[q] = a, gg[3 + q] = (a + b + d) / 2, gg[6 + q] = (a - b + d) / 2, gg[9 + q] = d;
        }
        const cell = at + (gi * cOutG + o) * cInG + c, stride = g.cOut * cInG;
        for (let i = 0; i < 4; i++) {
          const a = gg[3 * i], b = gg[3 * i + 1], d = gg[3 * i + 2];
          const row = cell + 4 * i * stride;
          heap[row] = a;
          heap[row + stride] = (a + b + d) / 2;
          heap[row + 2 * stride] = (a - b + d) / 2;
          heap[row + 3 * stride] = d;
        }
      }
    }
  }
}
