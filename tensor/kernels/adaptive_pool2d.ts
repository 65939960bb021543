/**
 * Adaptive average pooling (PyTorch's AdaptiveAvgPool2d): output cell (i, j) of an
 * hOut×wOut plane averages input rows floor(i·h/hOut) ≤ r < ceil((i+1)·h/hOut) and
 * columns floor(j·w/wOut) ≤ c < ceil((j+1)·w/wOut). Windows may overlap when the
 * sizes do not divide; with hOut = wOut = 1 this is the global average.
 */

import { checkRowRange } from "./_range.ts";

/**
 * y[p, i, j] = mean of the window of (i, j) in plane p of x.
 *
 * @param x input [planes, h, w]
 * @param y output [planes, hOut, wOut], overwritten
 */
export function adaptiveAvgPool2dForward(
  x: Float32Array,
  planes: number,
  h: number,
  w: number,
  y: Float32Array,
  hOut: number,
  wOut: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("adaptiveAvgPool2dForward", lo, hi, planes);
  for (let p = lo; p < hi; p++) {
    for (let i = 0; i < hOut; i++) {
      const r0 = Math.floor((i * h) / hOut), r1 = Math.ceil(((i + 1) * h) / hOut);
      for (let j = 0; j < wOut; j++) {
        const c0 = Math.floor((j * w) / wOut), c1 = Math.ceil(((j + 1) * w) / wOut);
        let s = 0;
        for (let r = r0; r < r1; r++) {
          const row = (p * h + r) * w;
          for (let c = c0; c < c1; c++) s += x[row + c];
        }
        y[(p * hOut + i) * wOut + j] = s / ((r1 - r0) * (c1 - c0));
      }
    }
  }
}

/**
 * Backward of `adaptiveAvgPool2dForward`: each gy cell is spread evenly over its window.
 *
 * @param gy dL/dy [planes, hOut, wOut]
 * @param gx dL/dx [planes, h, w], OVERWRITTEN
 */
export function adaptiveAvgPool2dBackward(
  gy: Float32Array,
  planes: number,
  hOut: number,
  wOut: number,
  gx: Float32Array,
  h: number,
  w: number,
  lo: number,
  hi: number,
): void {
  checkRowRange("adaptiveAvgPool2dBackward", lo, hi, planes);
  gx.fill(0, lo * h * w, hi * h * w);
  for (let p = lo; p < hi; p++) {
    for (let i = 0; i < hOut; i++) {
      const r0 = Math.floor((i * h) / hOut), r1 = Math.ceil(((i + 1) * h) / hOut);
      for (let j = 0; j < wOut; j++) {
        const c0 = Math.floor((j * w) / wOut), c1 = Math.ceil(((j + 1) * w) / wOut);
        const g = gy[(p * hOut + i) * wOut + j] / ((r1 - r0) * (c1 - c0));
        for (let r = r0; r < r1; r++) {
          const row = (p * h + r) * w;
          for (let c = c0; c < c1; c++) gx[row + c] += g;
        }
      }
    }
  }
}
