/** conv2d: 2-D convolution (PyTorch Conv2d semantics) as im2col + GEMM per (sample, group). */

import { biasAddBackward } from "./elementwise.ts";
import { gemm } from "./gemm.ts";
import { col2im, im2col } from "./im2col.ts";

/** Sizes of a 2-D convolution; `hOut`, `wOut` are derived by {@linkcode conv2dGeometry}. */
export interface Conv2dGeometry {
  /** Batch size N. */
  readonly n: number;
  /** Input channels C_in (all groups together). */
  readonly cIn: number;
  readonly h: number;
  readonly w: number;
  /** Output channels C_out (all groups together). */
  readonly cOut: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  /** C_in and C_out are both split into `groups` equal groups; groups = C_in is depthwise. */
  readonly groups: number;
  readonly hOut: number;
  readonly wOut: number;
}

/** Everything of a {@linkcode Conv2dGeometry} but the derived output size. */
export type Conv2dGeometryInput = Omit<Conv2dGeometry, "hOut" | "wOut">;

/**
 * Validates the sizes of a convolution and derives its output size (PyTorch's rule):
 * hOut = floor((h + 2·padH − dilationH·(kh − 1) − 1) / strideH) + 1, the same for wOut.
 *
 * @throws {RangeError} on a non-integer or out-of-range size, channels not divisible by
 * `groups`, or an output smaller than 1×1.
 */
export function conv2dGeometry(input: Conv2dGeometryInput): Conv2dGeometry {
  const { n, cIn, h, w, cOut, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups } =
    input;
  const positive = { n, cIn, h, w, cOut, kh, kw, strideH, strideW, dilationH, dilationW, groups };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot build conv2d geometry: expected ${name} to be a positive integer, got ${value}`,
      );
    }
  }
  for (const [name, value] of Object.entries({ padH, padW })) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot build conv2d geometry: expected ${name} to be a non-negative integer, got ${value}`,
      );
    }
  }
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw new RangeError(
      `Cannot build conv2d geometry: cIn ${cIn} and cOut ${cOut} must both be divisible by groups ${groups}`,
    );
  }
  const hOut = Math.floor((h + 2 * padH - dilationH * (kh - 1) - 1) / strideH) + 1;
  const wOut = Math.floor((w + 2 * padW - dilationW * (kw - 1) - 1) / strideW) + 1;
  if (hOut < 1 || wOut < 1) {
    throw new RangeError(
      `Cannot build conv2d geometry: input ${h}×${w} with padding (${padH}, ${padW}) is smaller than the ` +
        `dilated kernel ${dilationH * (kh - 1) + 1}×${
          dilationW * (kw - 1) + 1
        } (output would be ${hOut}×${wOut})`,
    );
  }
  return {
    n,
    cIn,
    h,
    w,
    cOut,
    kh,
    kw,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    groups,
    hOut,
    wOut,
  };
}

/** True when the convolution is a plain matrix product over pixels (1×1, stride 1, no padding). */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 &&
    g.padW === 0;
}

/**
 * Floats of scratch that {@linkcode conv2dForward}, {@linkcode conv2dBackwardInput} and
 * {@linkcode conv2dBackwardWeight} need: one im2col matrix [C_in/groups·kh·kw, hOut·wOut]
 * (0 for 1×1 convolutions with stride 1 and no padding, which need none).
 */
export function conv2dWorkspaceSize(g: Conv2dGeometry): number {
  if (isPointwise(g)) return 0;
  return (g.cIn / g.groups) * g.kh * g.kw * g.hOut * g.wOut;
}

function checkWorkspace(g: Conv2dGeometry, workspace: Float32Array, fn: string): void {
  const need = conv2dWorkspaceSize(g);
  if (workspace.length < need) {
    throw new RangeError(
      `Cannot run ${fn}: workspace has ${workspace.length} floats, need ${need} (conv2dWorkspaceSize)`,
    );
  }
}

/**
 * y = conv2d(x, weight) + bias, with stride, zero padding, dilation and groups:
 * y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] ·
 *   x[n, g·C_in/groups + c, i·strideH − padH + p·dilationH, j·strideW − padW + q·dilationW]
 * where g = floor(o / (C_out/groups)) and x outside the input is 0.
 *
 * Shapes: x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], bias [C_out] or null,
 * y [N, C_out, hOut, wOut] (overwritten), workspace ≥ {@linkcode conv2dWorkspaceSize} floats.
 *
 * @example
 * ```ts
 * import { conv2dForward, conv2dGeometry, conv2dWorkspaceSize } from "./conv2d.ts";
 * const g = conv2dGeometry({
 *   n: 1, cIn: 1, h: 3, w: 3, cOut: 1, kh: 2, kw: 2,
 *   strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1,
 * });
 * const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]); // [1, 1, 3, 3]
 * const y = new Float32Array(g.hOut * g.wOut); // [1, 1, 2, 2]
 * conv2dForward(g, x, new Float32Array([1, 0, 0, 1]), null, y, new Float32Array(conv2dWorkspaceSize(g)));
 * console.log(y); // Float32Array [6, 8, 12, 14]: x[i][j] + x[i+1][j+1]
 * ```
 */
export function conv2dForward(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  workspace: Float32Array,
): void {
  checkWorkspace(g, workspace, "conv2dForward");
  const { n, cIn, h, w, cOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  const hw = g.hOut * g.wOut, hwIn = h * w;
  const rows = cInG * g.kh * g.kw;
  const direct = isPointwise(g);
  for (let s = 0; s < n; s++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (s * cIn + gi * cInG) * hwIn;
      const yOff = (s * cOut + gi * cOutG) * hw;
      const wOff = gi * cOutG * rows;
      if (direct) {
        gemm(false, false, cOutG, hw, rows, 1, weight, wOff, rows, x, xOff, hwIn, 0, y, yOff, hw);
      } else {
        im2col(x, xOff, cInG, h, w, g, workspace, 0);
        gemm(
          false,
          false,
          cOutG,
          hw,
          rows,
          1,
          weight,
          wOff,
          rows,
          workspace,
          0,
          hw,
          0,
          y,
          yOff,
          hw,
        );
      }
    }
    if (bias !== null) {
      for (let o = 0; o < cOut; o++) {
        const b = bias[o];
        const start = (s * cOut + o) * hw;
        for (let i = start; i < start + hw; i++) y[i] += b;
      }
    }
  }
}

/**
 * gx = dL/dx of {@linkcode conv2dForward} given gy = dL/dy: per (sample, group)
 * cols = weightᵀ·gy ([C_in/groups·kh·kw, hOut·wOut]), then col2im sums cols back into gx.
 *
 * Shapes: gy [N, C_out, hOut, wOut], weight [C_out, C_in/groups, kh, kw],
 * gx [N, C_in, H, W] (OVERWRITTEN), workspace ≥ {@linkcode conv2dWorkspaceSize} floats.
 */
export function conv2dBackwardInput(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  workspace: Float32Array,
): void {
  checkWorkspace(g, workspace, "conv2dBackwardInput");
  const { n, cIn, h, w, cOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  const hw = g.hOut * g.wOut, hwIn = h * w;
  const rows = cInG * g.kh * g.kw;
  const direct = isPointwise(g);
  if (!direct) gx.fill(0, 0, n * cIn * hwIn);
  for (let s = 0; s < n; s++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (s * cIn + gi * cInG) * hwIn;
      const yOff = (s * cOut + gi * cOutG) * hw;
      const wOff = gi * cOutG * rows;
      if (direct) {
        gemm(true, false, rows, hw, cOutG, 1, weight, wOff, rows, gy, yOff, hw, 0, gx, xOff, hwIn);
      } else {
        gemm(
          true,
          false,
          rows,
          hw,
          cOutG,
          1,
          weight,
          wOff,
          rows,
          gy,
          yOff,
          hw,
          0,
          workspace,
          0,
          hw,
        );
        col2im(workspace, 0, cInG, h, w, g, gx, xOff);
      }
    }
  }
}

/**
 * Weight and bias gradients of {@linkcode conv2dForward}, ACCUMULATED (+=) into gw and gb:
 * gw[group] += gy[group] · colsᵀ summed over samples, gb[o] += Σ_{n, i, j} gy[n, o, i, j].
 *
 * Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, kh, kw],
 * gb [C_out] or null, workspace ≥ {@linkcode conv2dWorkspaceSize} floats.
 */
export function conv2dBackwardWeight(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  workspace: Float32Array,
): void {
  checkWorkspace(g, workspace, "conv2dBackwardWeight");
  const { n, cIn, h, w, cOut, groups } = g;
  const cInG = cIn / groups, cOutG = cOut / groups;
  const hw = g.hOut * g.wOut, hwIn = h * w;
  const rows = cInG * g.kh * g.kw;
  const direct = isPointwise(g);
  for (let s = 0; s < n; s++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (s * cIn + gi * cInG) * hwIn;
      const yOff = (s * cOut + gi * cOutG) * hw;
      const wOff = gi * cOutG * rows;
      if (direct) {
        gemm(false, true, cOutG, rows, hw, 1, gy, yOff, hw, x, xOff, hwIn, 1, gw, wOff, rows);
      } else {
        im2col(x, xOff, cInG, h, w, g, workspace, 0);
        gemm(false, true, cOutG, rows, hw, 1, gy, yOff, hw, workspace, 0, hw, 1, gw, wOff, rows);
      }
    }
  }
  if (gb !== null) biasAddBackward(gy, gb, n, cOut, hw);
}
