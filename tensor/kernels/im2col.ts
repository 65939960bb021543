/** im2col / col2im: unfold convolution windows into a matrix and fold it back. */

import type { Conv2dGeometry } from "./conv2d.ts";

/** First output index j with 0 ≤ j·stride − pad + offset, i.e. whose input index is inside on the left. */
function firstInside(pad: number, offset: number, stride: number, outSize: number): number {
  return Math.min(outSize, Math.max(0, Math.ceil((pad - offset) / stride)));
}

/** One past the last output index j with j·stride − pad + offset < size. */
function endInside(
  pad: number,
  offset: number,
  stride: number,
  size: number,
  outSize: number,
): number {
  return Math.min(outSize, Math.max(0, Math.floor((size - 1 + pad - offset) / stride) + 1));
}

/**
 * Unfolds the convolution windows of one sample's channel block into columns:
 * cols[(ci·kh + p)·kw + q, i·wOut + j] = x[ci, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW]
 * (0 where that lands in the padding).
 *
 * Shapes: x holds [c, h, w] at `xOffset`; cols gets [c·kh·kw, hOut·wOut] at `colsOffset`
 * (overwritten). Strides, padding, dilation, kernel and output size come from `g`;
 * `c`, `h`, `w` are passed so one channel group can be unfolded at a time.
 */
export function im2col(
  x: Float32Array,
  xOffset: number,
  c: number,
  h: number,
  w: number,
  g: Conv2dGeometry,
  cols: Float32Array,
  colsOffset: number,
): void {
  const { kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, hOut, wOut } = g;
  const hw = hOut * wOut;
  let row = colsOffset;
  for (let ci = 0; ci < c; ci++) {
    const plane = xOffset + ci * h * w;
    for (let p = 0; p < kh; p++) {
      const iLo = firstInside(padH, p * dilationH, strideH, hOut);
      const iHi = endInside(padH, p * dilationH, strideH, h, hOut);
      for (let q = 0; q < kw; q++, row += hw) {
        const jLo = firstInside(padW, q * dilationW, strideW, wOut);
        const jHi = endInside(padW, q * dilationW, strideW, w, wOut);
        if (iLo >= iHi || jLo >= jHi) {
          cols.fill(0, row, row + hw);
          continue;
        }
        const colShift = q * dilationW - padW;
        if (iLo === 0 && iHi === hOut && jLo === 0 && jHi === wOut) {
          // Every window inside the image (no padding on this kernel tap): plain row copies,
          // without the zero fills' calls, which cost as much as the copies for short rows.
          const first = plane + (p * dilationH - padH) * w + colShift, step = strideH * w;
          if (strideW === 1) copyRows(x, first, step, cols, row, hOut, wOut);
          else {
            for (let i = 0, src = first, dst = row; i < hOut; i++, src += step, dst += wOut) {
              for (let j = 0; j < wOut; j++) cols[dst + j] = x[src + j * strideW];
            }
          }
          continue;
        }
        if (iLo > 0) cols.fill(0, row, row + iLo * wOut);
        for (let i = iLo; i < iHi; i++) {
          const dst = row + i * wOut;
          const src = plane + (i * strideH - padH + p * dilationH) * w + colShift;
          for (let j = 0; j < jLo; j++) cols[dst + j] = 0;
          if (strideW === 1) {
            for (let j = jLo; j < jHi; j++) cols[dst + j] = x[src + j];
          } else {
            for (let j = jLo; j < jHi; j++) cols[dst + j] = x[src + j * strideW];
          }
          for (let j = jHi; j < wOut; j++) cols[dst + j] = 0;
        }
        if (iHi < hOut) cols.fill(0, row + iHi * wOut, row + hw);
      }
    }
  }
}

/**
 * The adjoint of {@linkcode im2col}: every column entry is ADDED back to the input cell it
 * was copied from (padding entries are dropped), so overlapping windows sum:
 * gx[ci, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW] += cols[(ci·kh + p)·kw + q, i·wOut + j].
 *
 * Shapes: cols holds [c·kh·kw, hOut·wOut] at `colsOffset`; gx holds [c, h, w] at `gxOffset`
 * (accumulated into, not overwritten).
 */
export function col2im(
  cols: Float32Array,
  colsOffset: number,
  c: number,
  h: number,
  w: number,
  g: Conv2dGeometry,
  gx: Float32Array,
  gxOffset: number,
): void {
  const { kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, hOut, wOut } = g;
  const hw = hOut * wOut;
  let row = colsOffset;
  for (let ci = 0; ci < c; ci++) {
    const plane = gxOffset + ci * h * w;
    for (let p = 0; p < kh; p++) {
      const iLo = firstInside(padH, p * dilationH, strideH, hOut);
      const iHi = endInside(padH, p * dilationH, strideH, h, hOut);
      for (let q = 0; q < kw; q++, row += hw) {
        const jLo = firstInside(padW, q * dilationW, strideW, wOut);
        const jHi = endInside(padW, q * dilationW, strideW, w, wOut);
        if (iLo >= iHi || jLo >= jHi) continue;
        const colShift = q * dilationW - padW;
        const first = plane + (iLo * strideH - padH + p * dilationH) * w + colShift;
        if (strideW === 1) {
          addRows(cols, row + iLo * wOut, wOut, gx, first, strideH * w, iHi - iLo, jLo, jHi);
        } else {
          for (let i = iLo; i < iHi; i++) {
            const src = row + i * wOut;
            const dst = plane + (i * strideH - padH + p * dilationH) * w + colShift;
            for (let j = jLo; j < jHi; j++) gx[dst + j * strideW] += cols[src + j];
          }
        }
      }
    }
  }
}

/** cols[dst + i·width + j] = x[src + i·step + j] for i < rows, j < width. */
function copyRows(
  x: Float32Array,
  src: number,
  step: number,
  cols: Float32Array,
  dst: number,
  rows: number,
  width: number,
): void {
  for (let i = 0; i < rows; i++, src += step, dst += width) {
    for (let j = 0; j < width; j++) cols[dst + j] = x[src + j];
  }
}

/**
 * gx[dst + i·step + j] += cols[src + i·width + j] for i < rows, jLo ≤ j < jHi: col2im's rows of
 * a stride-1 kernel tap, in the same order as one loop over (i, j) (so the same sums), with
 * the offsets kept across rows instead of recomputed.
 */
function addRows(
  cols: Float32Array,
  src: number,
  width: number,
  gx: Float32Array,
  dst: number,
  step: number,
  rows: number,
  jLo: number,
  jHi: number,
): void {
  for (let i = 0; i < rows; i++, src += width, dst += step) {
    for (let j = jLo; j < jHi; j++) gx[dst + j] += cols[src + j];
  }
}
