/**
 * conv2d of the blas version: per shape and pass, im2col + the library's sgemm or the
 * WebAssembly kernels (Winograd, taps, im2col + wasm GEMM), whichever measured faster; the
 * choice is {@linkcode blasConvPays} (one table, set by bench/conv2d_blas_bench.ts).
 *
 * The im2col versions are conv2d.ts's algorithm with gemmBlas: per (sample, group), cols =
 * im2col(x) then y = weight·cols (forward), cols = weightᵀ·gy then col2im (dL/dx), and
 * gw += gy·colsᵀ (dL/dweight); 1×1 stride-1 unpadded convolutions multiply x directly.
 */

import type { Conv2dGeometry } from "../conv2d.ts";
import { conv2dWorkspaceSize } from "../conv2d.ts";
import { biasAddBackward } from "../elementwise.ts";
import { col2im, im2col } from "../im2col.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../wasm/conv2d_wasm.ts";
import { gemmBlas } from "./gemm_blas.ts";
import { batchIm2colFloats, blasConvPays, MAX_KEPT_FLOATS } from "./_conv2d_choice.ts";

export { blasConvPays, type ConvPass } from "./_conv2d_choice.ts";

/** conv2dForward of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dForwardBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "forward")) conv2dForwardIm2colBlas(g, x, weight, bias, y, workspace);
  else conv2dForwardWasm(g, x, weight, bias, y, workspace);
}

/** conv2dBackwardInput of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dBackwardInputBlas(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "backwardInput")) conv2dBackwardInputIm2colBlas(g, gy, weight, gx, workspace);
  else conv2dBackwardInputWasm(g, gy, weight, gx, workspace);
}

/** conv2dBackwardWeight of conv2d.ts: im2col + gemmBlas where {@linkcode blasConvPays}, else the WebAssembly kernel. */
export function conv2dBackwardWeightBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  workspace: Float32Array,
): void {
  if (blasConvPays(g, "backwardWeight")) {
    conv2dBackwardWeightIm2colBlas(g, x, gy, gw, gb, workspace);
  } else conv2dBackwardWeightWasm(g, x, gy, gw, gb, workspace);
}

/**
 * y = conv2d(x, weight) + bias as conv2dForward in conv2d.ts, always by im2col + gemmBlas.
 * Shapes: x [N, C_in, H, W], weight [C_out, C_in/groups, kh, kw], bias [C_out] or null,
 * y [N, C_out, hOut, wOut] (overwritten), workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dForwardIm2colBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dForwardIm2colBlas");
  const kept = d.direct ? null : keepUnfolded(g, x, workspace, d);
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      // A pointwise stride-1 convolution reads x as its own im2col matrix.
      const [cols, colsOff, ldCols] = d.direct
        ? [x, xOff, d.hwIn]
        : kept !== null
        ? [kept.cols, (s * g.groups + gi) * d.rows * d.hw, d.hw]
        : [workspace, 0, d.hw];
      if (!d.direct) im2col(x, xOff, d.cInG, g.h, g.w, g, cols, colsOff);
      gemmBlas(
        false,
        false,
        d.cOutG,
        d.hw,
        d.rows,
        1,
        weight,
        wOff,
        d.rows,
        cols,
        colsOff,
        ldCols,
        0,
        y,
        yOff,
        d.hw,
      );
    }
    if (bias !== null) {
      for (let o = 0; o < g.cOut; o++) {
        const b = bias[o], start = (s * g.cOut + o) * d.hw;
        for (let i = start; i < start + d.hw; i++) y[i] += b;
      }
    }
  }
  if (kept !== null) sealUnfolded(kept, x);
}

/**
 * gx = dL/dx as conv2dBackwardInput in conv2d.ts, always by gemmBlas + col2im.
 * Shapes: gy [N, C_out, hOut, wOut], weight [C_out, C_in/groups, kh, kw], gx [N, C_in, H, W]
 * (OVERWRITTEN), workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dBackwardInputIm2colBlas(
  g: Conv2dGeometry,
  gy: Float32Array,
  weight: Float32Array,
  gx: Float32Array,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dBackwardInputIm2colBlas");
  if (!d.direct) gx.fill(0, 0, g.n * g.cIn * d.hwIn);
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      // Pointwise stride 1: the column matrix is dL/dx itself; otherwise col2im scatters it.
      const [cols, colsOff, ldCols] = d.direct ? [gx, xOff, d.hwIn] : [workspace, 0, d.hw];
      gemmBlas(
        true,
        false,
        d.rows,
        d.hw,
        d.cOutG,
        1,
        weight,
        wOff,
        d.rows,
        gy,
        yOff,
        d.hw,
        0,
        cols,
        colsOff,
        ldCols,
      );
      if (!d.direct) col2im(workspace, 0, d.cInG, g.h, g.w, g, gx, xOff);
    }
  }
}

/**
 * gw += dL/dweight and gb += dL/dbias as conv2dBackwardWeight in conv2d.ts, always by im2col +
 * gemmBlas. Shapes: x [N, C_in, H, W], gy [N, C_out, hOut, wOut], gw [C_out, C_in/groups, kh, kw],
 * gb [C_out] or null, workspace ≥ conv2dWorkspaceSize(g) floats.
 */
export function conv2dBackwardWeightIm2colBlas(
  g: Conv2dGeometry,
  x: Float32Array,
  gy: Float32Array,
  gw: Float32Array,
  gb: Float32Array | null,
  workspace: Float32Array,
): void {
  const d = dims(g, workspace, "conv2dBackwardWeightIm2colBlas");
  const kept = d.direct ? null : keptUnfolded(g, x, workspace, d);
  for (let s = 0; s < g.n; s++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const { xOff, yOff, wOff } = d.offsets(s, gi);
      const [cols, colsOff, ldCols] = d.direct
        ? [x, xOff, d.hwIn]
        : kept !== null
        ? [kept, (s * g.groups + gi) * d.rows * d.hw, d.hw]
        : [workspace, 0, d.hw];
      if (!d.direct && kept === null) im2col(x, xOff, d.cInG, g.h, g.w, g, workspace, 0);
      gemmBlas(
        false,
        true,
        d.cOutG,
        d.rows,
        d.hw,
        1,
        gy,
        yOff,
        d.hw,
        cols,
        colsOff,
        ldCols,
        1,
        gw,
        wOff,
        d.rows,
      );
    }
  }
  if (gb !== null) biasAddBackward(gy, gb, g.n, g.cOut, d.hw);
}

/**
 * The forward's im2col matrices of a whole batch, kept for dL/dweight of the same input: a layer
 * calls both passes with its own workspace (the key here) and its forward's x. The backward
 * uses them only when x is the same array holding the same values (compared bit for bit, which
 * costs far less than unfolding again), so a changed input is unfolded again, never read stale.
 */
interface UnfoldedInput {
  g: Conv2dGeometry;
  x: Float32Array;
  /** x's bits at the forward (the first N·C_in·H·W). */
  bits: Int32Array;
  /** Per sample and group, its [rows, hOut·wOut] im2col matrix (the first N·groups of them). */
  cols: Float32Array;
}

const unfolded = new WeakMap<Float32Array, UnfoldedInput>();

/** The record the forward fills for `workspace` (then seals), or null when the batch is too large. */
function keepUnfolded(
  g: Conv2dGeometry,
  x: Float32Array,
  workspace: Float32Array,
  d: Dims,
): UnfoldedInput | null {
  const colsLength = batchIm2colFloats(g), xLength = g.n * g.cIn * d.hwIn;
  if (colsLength > MAX_KEPT_FLOATS) {
    unfolded.delete(workspace);
    return null;
  }
  let kept = unfolded.get(workspace);
  // Grown, never shrunk: a smaller batch (an eval chunk, the epoch's last batch) reuses the
  // training batch's arrays instead of leaving them as garbage each time the size changes.
  if (kept === undefined || kept.cols.length < colsLength || kept.bits.length < xLength) {
    kept = { g, x, bits: new Int32Array(xLength), cols: new Float32Array(colsLength) };
    unfolded.set(workspace, kept);
  }
  kept.g = g;
  kept.x = NOTHING_KEPT; // until the forward has filled every matrix (sealUnfolded)
  return kept;
}

/** Marks `kept` complete: its matrices are the im2col of `x` as it is now. */
function sealUnfolded(kept: UnfoldedInput, x: Float32Array): void {
  const { g } = kept, length = g.n * g.cIn * g.h * g.w;
  kept.bits.set(new Int32Array(x.buffer, x.byteOffset, length));
  kept.x = x;
}

const NOTHING_KEPT = new Float32Array(0);

/** The forward's im2col matrices for this `workspace`, if x and g are still what they were. */
function keptUnfolded(
  g: Conv2dGeometry,
  x: Float32Array,
  workspace: Float32Array,
  d: Dims,
): Float32Array | null {
  const kept = unfolded.get(workspace);
  if (kept === undefined || kept.x !== x || !sameGeometry(kept.g, g)) return null;
  const bits = new Int32Array(x.buffer, x.byteOffset, g.n * g.cIn * d.hwIn), was = kept.bits;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== was[i]) return null;
  return kept.cols;
}

function sameGeometry(a: Conv2dGeometry, b: Conv2dGeometry): boolean {
  return a === b || (Object.keys(a) as (keyof Conv2dGeometry)[]).every((k) => a[k] === b[k]);
}

type Dims = ReturnType<typeof dims>;

/** Sizes shared by the three passes, after checking the workspace (as conv2d.ts does). */
function dims(g: Conv2dGeometry, workspace: Float32Array, fn: string) {
  const need = conv2dWorkspaceSize(g);
  if (workspace.length < need) {
    throw new RangeError(
      `Cannot run ${fn}: workspace has ${workspace.length} floats, need ${need} (conv2dWorkspaceSize)`,
    );
  }
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  const hw = g.hOut * g.wOut, hwIn = g.h * g.w;
  const rows = cInG * g.kh * g.kw;
  return {
    cInG,
    cOutG,
    hw,
    hwIn,
    rows,
    // conv2d.ts's pointwise case: its workspace size is 0, so x is multiplied in place.
    direct: need === 0,
    offsets: (s: number, gi: number) => ({
      xOff: (s * g.cIn + gi * cInG) * hwIn,
      yOff: (s * g.cOut + gi * cOutG) * hw,
      wOff: gi * cOutG * rows,
    }),
  };
}
