/** Naive 2-D pooling: every kernel cell visited with an explicit bounds check, the oracle for pool2d.ts. */

import type { Pool2dGeometry } from "./pool2d.ts";

/**
 * Cell-by-cell {@linkcode maxPool2dForward}: y = max of the in-bounds window cells, argmax = ih·W + iw of the
 * first maximum in row-major window order (NaN wins). Shapes: x [N, C, H, W], y and argmax [N, C, hOut, wOut].
 */
export function maxPool2dForwardNaive(
  g: Pool2dGeometry,
  x: Float32Array,
  y: Float32Array,
  argmax: Int32Array,
): void {
  const { n, c, h, w, kh, kw, hOut, wOut } = g;
  for (let pl = 0; pl < n * c; pl++) {
    for (let i = 0; i < hOut; i++) {
      for (let j = 0; j < wOut; j++) {
        let best = -Infinity;
        let index = -1;
        for (let p = 0; p < kh; p++) {
          for (let q = 0; q < kw; q++) {
            const ih = i * g.strideH - g.padH + p * g.dilationH;
            const iw = j * g.strideW - g.padW + q * g.dilationW;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            const v = x[pl * h * w + ih * w + iw];
            if (index < 0 || v > best || Number.isNaN(v)) {
              best = v;
              index = ih * w + iw;
            }
          }
        }
        y[(pl * hOut + i) * wOut + j] = index < 0 ? -Infinity : best;
        argmax[(pl * hOut + i) * wOut + j] = index;
      }
    }
  }
}

/** Cell-by-cell {@linkcode maxPool2dBackward}: gx (OVERWRITTEN) gets gy at each argmax. */
export function maxPool2dBackwardNaive(
  g: Pool2dGeometry,
  gy: Float32Array,
  argmax: Int32Array,
  gx: Float32Array,
): void {
  const { n, c, h, w, hOut, wOut } = g;
  gx.fill(0, 0, n * c * h * w);
  for (let pl = 0; pl < n * c; pl++) {
    for (let o = 0; o < hOut * wOut; o++) {
      const index = argmax[pl * hOut * wOut + o];
      if (index >= 0) gx[pl * h * w + index] += gy[pl * hOut * wOut + o];
    }
  }
}

/** The divisor of one average window, counted cell by cell (PyTorch's count_include_pad rule). */
function avgDivisor(
  g: Pool2dGeometry,
  i: number,
  j: number,
  countIncludePad: boolean,
  divisorOverride: number | null,
): number {
  if (divisorOverride !== null) return divisorOverride;
  let count = 0;
  for (let p = 0; p < g.kh; p++) {
    for (let q = 0; q < g.kw; q++) {
      const ih = i * g.strideH - g.padH + p;
      const iw = j * g.strideW - g.padW + q;
      const inPadded = ih >= -g.padH && ih < g.h + g.padH && iw >= -g.padW && iw < g.w + g.padW;
      const inInput = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w;
      if (countIncludePad ? inPadded : inInput) count++;
    }
  }
  return count;
}

/** Cell-by-cell {@linkcode avgPool2dForward}. Shapes: x [N, C, H, W], y [N, C, hOut, wOut] (overwritten). */
export function avgPool2dForwardNaive(
  g: Pool2dGeometry,
  x: Float32Array,
  y: Float32Array,
  countIncludePad: boolean,
  divisorOverride: number | null,
): void {
  const { n, c, h, w, kh, kw, hOut, wOut } = g;
  for (let pl = 0; pl < n * c; pl++) {
    for (let i = 0; i < hOut; i++) {
      for (let j = 0; j < wOut; j++) {
        let sum = 0;
        let cells = 0;
        for (let p = 0; p < kh; p++) {
          for (let q = 0; q < kw; q++) {
            const ih = i * g.strideH - g.padH + p;
            const iw = j * g.strideW - g.padW + q;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            sum += x[pl * h * w + ih * w + iw];
            cells++;
          }
        }
        y[(pl * hOut + i) * wOut + j] = cells === 0
          ? 0
          : sum / avgDivisor(g, i, j, countIncludePad, divisorOverride);
      }
    }
  }
}

/** Cell-by-cell {@linkcode avgPool2dBackward}. Shapes: gy [N, C, hOut, wOut], gx [N, C, H, W] (OVERWRITTEN). */
export function avgPool2dBackwardNaive(
  g: Pool2dGeometry,
  gy: Float32Array,
  gx: Float32Array,
  countIncludePad: boolean,
  divisorOverride: number | null,
): void {
  const { n, c, h, w, kh, kw, hOut, wOut } = g;
  gx.fill(0, 0, n * c * h * w);
  for (let pl = 0; pl < n * c; pl++) {
    for (let i = 0; i < hOut; i++) {
      for (let j = 0; j < wOut; j++) {
        const d = gy[(pl * hOut + i) * wOut + j] /
          avgDivisor(g, i, j, countIncludePad, divisorOverride);
        for (let p = 0; p < kh; p++) {
          for (let q = 0; q < kw; q++) {
            const ih = i * g.strideH - g.padH + p;
            const iw = j * g.strideW - g.padW + q;
            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
            gx[pl * h * w + ih * w + iw] += d;
          }
        }
      }
    }
  }
}
