/** Naive 2-D convolution: direct loops over every output and kernel cell, the oracle for conv2d.ts. */

import type { Conv2dGeometry } from "./conv2d.ts";

/**
 * Direct-loop {@linkcode conv2dForward}:
 * y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] ·
 *   x[n, g·C_in/groups + c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW]
 *
 * Shapes: x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], bias [C_out] or null,
 * y [N, C_out, hOut, wOut] (overwritten). `_workspace` is unused (same signature as conv2dForward).
 */
export function conv2dForwardNaive(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  _workspace?: Float32Array,
): void {
  const { n, cIn, h, w, cOut, kh, kw, hOut, wOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cOut; o++) {
      const c0 = Math.floor(o / cOutG) * cInG;
      for (let i = 0; i < hOut; i++) {
        for (let j = 0; j < wOut; j++) {
          let sum = bias === null ? 0 : bias[o];
          for (let c = 0; c < cInG; c++) {
            for (let p = 0; p < kh; p++) {
              const ih = i * g.strideH - g.padH + p * g.dilationH;
              if (ih < 0 || ih >= h) continue;
              for (let q = 0; q < kw; q++) {
                const iw = j * g.strideW - g.padW + q * g.dilationW;
                if (iw < 0 || iw >= w) continue;
                sum += weight[((o * cInG + c) * kh + p) * kw + q] *
                  x[((s * cIn + c0 + c) * h + ih) * w + iw];
              }
            }
          }
          y[((s * cOut + o) * hOut + i) * wOut + j] = sum;
        }
      }
    }
  }
}

/**
 * Direct-loop {@linkcode conv2dBackwardInput}: gx (OVERWRITTEN) receives
 * gy[n, o, i, j] · weight[o, c, p, q] at every input cell the forward pass read it from.
 *
 * Shapes: gy [N, C_out, hOut, wOut], weight [C_out, C_in/groups, kh, kw], gx [N, C_in, H, W].
 */
export function conv2dBackwardInputNaive(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  _workspace?: Float32Array,
): void {
  const { n, cIn, h, w, cOut, kh, kw, hOut, wOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  gx.fill(0, 0, n * cIn * h * w);
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < cOut; o++) {
      const c0 = Math.floor(o / cOutG) * cInG;
      for (let i = 0; i < hOut; i++) {
        for (let j = 0; j < wOut; j++) {
          const d = gy[((s * cOut + o) * hOut + i) * wOut + j];
          for (let c = 0; c < cInG; c++) {
            for (let p = 0; p < kh; p++) {
              const ih = i * g.strideH - g.padH + p * g.dilationH;
              if (ih < 0 || ih >= h) continue;
              for (let q = 0; q < kw; q++) {
                const iw = j * g.strideW - g.padW + q * g.dilationW;
                if (iw < 0 || iw >= w) continue;
                gx[((s * cIn + c0 + c) * h + ih) * w + iw] += d *
                  weight[((o * cInG + c) * kh + p) * kw + q];
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Direct-loop {@linkcode conv2dBackwardWeight}, ACCUMULATING (+=):
 * gw[o, c, p, q] += Σ_{n, i, j} gy[n, o, i, j] · x[n, g·C_in/groups + c, ih, iw], gb[o] += Σ_{n, i, j} gy[n, o, i, j].
 *
 * Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, kh, kw], gb [C_out] or null.
 */
export function conv2dBackwardWeightNaive(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  _workspace?: Float32Array,
): void {
  const { n, cIn, h, w, cOut, kh, kw, hOut, wOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  for (let o = 0; o < cOut; o++) {
    const c0 = Math.floor(o / cOutG) * cInG;
    for (let c = 0; c < cInG; c++) {
      for (let p = 0; p < kh; p++) {
        for (let q = 0; q < kw; q++) {
          let sum = 0;
          for (let s = 0; s < n; s++) {
            for (let i = 0; i < hOut; i++) {
              const ih = i * g.strideH - g.padH + p * g.dilationH;
              if (ih < 0 || ih >= h) continue;
              for (let j = 0; j < wOut; j++) {
                const iw = j * g.strideW - g.padW + q * g.dilationW;
                if (iw < 0 || iw >= w) continue;
                sum += gy[((s * cOut + o) * hOut + i) * wOut + j] *
                  x[((s * cIn + c0 + c) * h + ih) * w + iw];
              }
            }
          }
          gw[((o * cInG + c) * kh + p) * kw + q] += sum;
        }
      }
    }
    if (gb !== null) {
      let sum = 0;
      for (let s = 0; s < n; s++) {
        const start = (s * cOut + o) * hOut * wOut;
        for (let i = start; i < start + hOut * wOut; i++) sum += gy[i];
      }
      gb[o] += sum;
    }
  }
}
