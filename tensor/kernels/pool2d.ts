/** pool2d: max and average 2-D pooling (PyTorch MaxPool2d / AvgPool2d semantics), forward and backward. */

/** Sizes of a 2-D pooling; `hOut`, `wOut` are derived by {@linkcode pool2dGeometry}. */
export interface Pool2dGeometry {
  /** Batch size N. */
  readonly n: number;
  /** Channels C (pooled independently). */
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  /** Max pooling only; average pooling requires 1 (as PyTorch's AvgPool2d has no dilation). */
  readonly dilationH: number;
  readonly dilationW: number;
  readonly hOut: number;
  readonly wOut: number;
}

/** Everything of a {@linkcode Pool2dGeometry} but the output size, plus PyTorch's `ceil_mode`. */
export interface Pool2dGeometryInput extends Omit<Pool2dGeometry, "hOut" | "wOut"> {
  /** Round the output size up instead of down (the last window must still start inside the input or left padding). */
  readonly ceilMode: boolean;
}

/** PyTorch's pooling_output_shape: floor or ceil, then drop a last window that starts in the right padding. */
function outputSize(
  size: number,
  k: number,
  pad: number,
  stride: number,
  dilation: number,
  ceil: boolean,
): number {
  const span = size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

/**
 * Validates the sizes of a pooling and derives its output size with PyTorch's rule:
 * hOut = floor_or_ceil((h + 2·padH − dilationH·(kh − 1) − 1) / strideH) + 1, and with `ceilMode`
 * hOut is reduced by one when the last window would start at or beyond h + padH (the same for w).
 *
 * @throws {RangeError} on a non-positive size, padding above half the kernel
 * (padH ≤ floor(kh / 2), as PyTorch), or an output smaller than 1×1.
 */
export function pool2dGeometry(input: Pool2dGeometryInput): Pool2dGeometry {
  const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, ceilMode } =
    input;
  const positive = { n, c, h, w, kh, kw, strideH, strideW, dilationH, dilationW };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot build pool2d geometry: expected ${name} to be a positive integer, got ${value}`,
      );
    }
  }
  for (const [name, value] of Object.entries({ padH, padW })) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot build pool2d geometry: expected ${name} to be a non-negative integer, got ${value}`,
      );
    }
  }
  if (2 * padH > kh || 2 * padW > kw) {
    throw new RangeError(
      `Cannot build pool2d geometry: padding (${padH}, ${padW}) must be at most half the kernel size (${kh}, ${kw})`,
    );
  }
  const hOut = outputSize(h, kh, padH, strideH, dilationH, ceilMode);
  const wOut = outputSize(w, kw, padW, strideW, dilationW, ceilMode);
  if (hOut < 1 || wOut < 1) {
    throw new RangeError(
      `Cannot build pool2d geometry: input ${h}×${w} with padding (${padH}, ${padW}) is smaller than the ` +
        `dilated kernel ${dilationH * (kh - 1) + 1}×${
          dilationW * (kw - 1) + 1
        } (output would be ${hOut}×${wOut})`,
    );
  }
  return { n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, hOut, wOut };
}

/**
 * y[n, c, i, j] = max over the window cells x[n, c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW]
 * that lie inside the input (padding never wins). argmax[n, c, i, j] = ih·W + iw, the flat index of the winner
 * inside its [H, W] plane; ties go to the FIRST max in row-major window order and NaN propagates, as PyTorch.
 *
 * Shapes: x [N, C, H, W], y [N, C, hOut, wOut] (overwritten), argmax Int32Array [N, C, hOut, wOut].
 * A dilated window that holds no input cell at all gives y = −Infinity and argmax = −1 (skipped by backward).
 *
 * @example
 * ```ts
 * import { maxPool2dForward, pool2dGeometry } from "./pool2d.ts";
 * const g = pool2dGeometry({
 *   n: 1, c: 1, h: 2, w: 2, kh: 2, kw: 2, strideH: 2, strideW: 2,
 *   padH: 0, padW: 0, dilationH: 1, dilationW: 1, ceilMode: false,
 * });
 * const y = new Float32Array(1), argmax = new Int32Array(1);
 * maxPool2dForward(g, new Float32Array([3, 7, 7, 1]), y, argmax);
 * console.log(y[0], argmax[0]); // 7 1 (the first of the two 7s)
 * ```
 */
export function maxPool2dForward(
  g: Pool2dGeometry,
  x: Float32Array,
  y: Float32Array,
  argmax: Int32Array,
): void {
  const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, hOut, wOut } = g;
  const planes = n * c, hwIn = h * w, hw = hOut * wOut;
  for (let pl = 0; pl < planes; pl++) {
    const xOff = pl * hwIn;
    let out = pl * hw;
    for (let i = 0; i < hOut; i++) {
      let h0 = i * strideH - padH;
      const h1 = Math.min(h0 + (kh - 1) * dilationH + 1, h);
      while (h0 < 0) h0 += dilationH;
      for (let j = 0; j < wOut; j++, out++) {
        let w0 = j * strideW - padW;
        const w1 = Math.min(w0 + (kw - 1) * dilationW + 1, w);
        while (w0 < 0) w0 += dilationW;
        let best = -Infinity;
        let index = h0 < h1 && w0 < w1 ? h0 * w + w0 : -1;
        for (let ih = h0; ih < h1; ih += dilationH) {
          for (let iw = w0; iw < w1; iw += dilationW) {
            const v = x[xOff + ih * w + iw];
            // Strict > keeps the first of equal maxima; NaN wins so it propagates.
            if (v > best || v !== v) {
              best = v;
              index = ih * w + iw;
            }
          }
        }
        y[out] = best;
        argmax[out] = index;
      }
    }
  }
}

/**
 * gx = dL/dx of {@linkcode maxPool2dForward}: gx is zeroed, then gx[n, c, argmax[n, c, i, j]] += gy[n, c, i, j]
 * (overlapping windows that share a winner sum their gradients).
 *
 * Shapes: gy [N, C, hOut, wOut], argmax Int32Array [N, C, hOut, wOut], gx [N, C, H, W] (OVERWRITTEN).
 */
export function maxPool2dBackward(
  g: Pool2dGeometry,
  gy: Float32Array,
  argmax: Int32Array,
  gx: Float32Array,
): void {
  const planes = g.n * g.c, hwIn = g.h * g.w, hw = g.hOut * g.wOut;
  gx.fill(0, 0, planes * hwIn);
  for (let pl = 0; pl < planes; pl++) {
    const xOff = pl * hwIn;
    for (let out = pl * hw; out < (pl + 1) * hw; out++) {
      const index = argmax[out];
      if (index >= 0) gx[xOff + index] += gy[out];
    }
  }
}

function checkAvgDilation(g: Pool2dGeometry, fn: string): void {
  if (g.dilationH !== 1 || g.dilationW !== 1) {
    throw new RangeError(
      `Cannot run ${fn}: average pooling has no dilation, got (${g.dilationH}, ${g.dilationW})`,
    );
  }
}

/**
 * Visits every output window of an average pooling with its clipped bounds and divisor.
 * divisor = divisorOverride, else (countIncludePad ? cells inside the padded input : cells inside the input);
 * cells that ceil_mode adds beyond the padded input never count (PyTorch).
 */
function forEachAvgWindow(
  g: Pool2dGeometry,
  countIncludePad: boolean,
  divisorOverride: number | null,
  visit: (
    out: number,
    plane: number,
    h0: number,
    h1: number,
    w0: number,
    w1: number,
    scale: number,
  ) => void,
): void {
  const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, hOut, wOut } = g;
  const planes = n * c, hwIn = h * w, hw = hOut * wOut;
  for (let i = 0; i < hOut; i++) {
    let h0 = i * strideH - padH;
    let h1 = Math.min(h0 + kh, h + padH);
    const padRows = h1 - h0;
    h0 = Math.max(h0, 0);
    h1 = Math.min(h1, h);
    for (let j = 0; j < wOut; j++) {
      let w0 = j * strideW - padW;
      let w1 = Math.min(w0 + kw, w + padW);
      const padCols = w1 - w0;
      w0 = Math.max(w0, 0);
      w1 = Math.min(w1, w);
      const empty = h0 >= h1 || w0 >= w1;
      const divisor = divisorOverride ??
        (countIncludePad ? padRows * padCols : (h1 - h0) * (w1 - w0));
      const scale = empty ? 0 : 1 / divisor;
      for (let pl = 0; pl < planes; pl++) {
        visit(pl * hw + i * wOut + j, pl * hwIn, h0, h1, w0, w1, scale);
      }
    }
  }
}

/**
 * y[n, c, i, j] = (Σ of x over the window cells inside the input) / divisor, where divisor is
 * `divisorOverride` if given, else the window's cell count inside the padded input (`countIncludePad`)
 * or inside the input itself. Cells beyond the padded input (added by ceil_mode) never count.
 *
 * Shapes: x [N, C, H, W], y [N, C, hOut, wOut] (overwritten). Requires dilation 1.
 */
export function avgPool2dForward(
  g: Pool2dGeometry,
  x: Float32Array,
  y: Float32Array,
  countIncludePad: boolean,
  divisorOverride: number | null,
): void {
  checkAvgDilation(g, "avgPool2dForward");
  const w = g.w;
  forEachAvgWindow(g, countIncludePad, divisorOverride, (out, plane, h0, h1, w0, w1, scale) => {
    let sum = 0;
    for (let ih = h0; ih < h1; ih++) {
      const row = plane + ih * w;
      for (let iw = row + w0; iw < row + w1; iw++) sum += x[iw];
    }
    y[out] = sum * scale;
  });
}

/**
 * gx = dL/dx of {@linkcode avgPool2dForward}: every input cell of a window receives gy[n, c, i, j] / divisor
 * (same divisor rule as the forward pass).
 *
 * Shapes: gy [N, C, hOut, wOut], gx [N, C, H, W] (OVERWRITTEN). Requires dilation 1.
 */
export function avgPool2dBackward(
  g: Pool2dGeometry,
  gy: Float32Array,
  gx: Float32Array,
  countIncludePad: boolean,
  divisorOverride: number | null,
): void {
  checkAvgDilation(g, "avgPool2dBackward");
  const w = g.w;
  gx.fill(0, 0, g.n * g.c * g.h * w);
  forEachAvgWindow(g, countIncludePad, divisorOverride, (out, plane, h0, h1, w0, w1, scale) => {
    const d = gy[out] * scale;
    for (let ih = h0; ih < h1; ih++) {
      const row = plane + ih * w;
      for (let iw = row + w0; iw < row + w1; iw++) gx[iw] += d;
    }
  });
}
