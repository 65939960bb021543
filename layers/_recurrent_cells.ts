/**
 * The cells of layers/_recurrent.ts: one table row per mode (tanh RNN, relu RNN, LSTM, GRU)
 * with its gate count, and the one time loop (forward and backward through time) that drives
 * any row for one layer and direction.
 */

import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { describeValue } from "../tensor/options.ts";
import {
  addOffset,
  biasAddBackward,
  biasAddForward,
  copyBlock,
  gemm,
  gruCellBackward,
  gruCellForward,
  lstmCellBackward,
  lstmCellForward,
  rnnCellBackward,
  rnnCellForward,
} from "../tensor/kernels/mod.ts";

/** Which cell: PyTorch's mode strings. */
export type CellMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** The parameters of one layer-direction. */
export interface DirectionParams {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/** What one layer-direction's forward keeps for backward. */
export interface CellBuffers {
  /** [L, N, G·H]: pre-activations (RNN), activated gates (LSTM), x·W_ihᵀ + b_ih (GRU). */
  gates: Float32Array;
  /** [L + 1, N, H] hidden states by slot: h_t at slot t + 1 (h0 at 0), reverse: at t (h0 at L). */
  h: Float32Array;
  /** LSTM cell states, slots as h; null otherwise. */
  c: Float32Array | null;
  /** GRU [L, N, 4H]: r, z, n and W_hn·h + b_hn per step; null otherwise. */
  extra: Float32Array | null;
}

/** Where one layer-direction sits: sizes, direction, its slice of the states and outputs. */
export interface Geometry {
  l: number;
  n: number;
  hidden: number;
  inSize: number;
  reverse: boolean;
  /** Element offset of this layer-direction in h0/c0/hN/cN and their gradients. */
  stateOffset: number;
  /** The layer output is [L, N, outStride]; this direction has columns outColumn.. + H. */
  outColumn: number;
  outStride: number;
  /** A scratch or cache buffer of `length` floats, owned by this layer-direction. */
  take: (key: string, length: number) => Float32Array;
}

/** One layer-direction of a forward. */
export interface CellForwardArgs extends Geometry {
  /** The layer input, time-major [L, N, inSize]. */
  x: Float32Array;
  p: DirectionParams;
  h0: Float32Array | null;
  c0: Float32Array | null;
  /** Written: this direction's columns of the layer output, and its rows of hN (cN). */
  out: Float32Array;
  hN: Float32Array;
  cN: Float32Array | null;
}

/** One layer-direction of a backward. */
export interface CellBackwardArgs extends Geometry {
  cache: CellBuffers;
  /** The layer input of the forward, time-major [L, N, inSize]. */
  x: Float32Array;
  p: DirectionParams;
  /** dL/d(layer output), time-major [L, N, outStride]. */
  dOut: Float32Array;
  dhN: Float32Array | null;
  dcN: Float32Array | null;
  /** Written: dL/dh0 (and dL/dc0) of this layer-direction at stateOffset. */
  dh0: Float32Array;
  dc0: Float32Array | null;
  /** dL/d(layer input) [L, N, inSize], overwritten or (`accumulate`) added to; null: skip. */
  dX: Float32Array | null;
  accumulate: boolean;
}

/** A cell: its gate count G, whether it has c, and the loops. */
export interface Cell {
  gates: number;
  hasC: boolean;
  /** Runs the direction over the sequence; returns what backward needs. */
  forward(args: CellForwardArgs): CellBuffers;
  /** Accumulates the parameter gradients, writes dL/dh0 (dL/dc0) and dL/dx. */
  backward(args: CellBackwardArgs): void;
}

type Kind = "rnn" | "lstm" | "gru";

/**
 * The parameters of every layer-direction, zeroed, in state-dict order (row k·D + d): W_ih
 * [G·H, in_k], W_hh [G·H, H], b_ih and b_hh [G·H].
 */
export function createParams(
  gates: number,
  inputSize: number,
  hidden: number,
  numLayers: number,
  bidirectional: boolean,
  bias: boolean,
): DirectionParams[] {
  const gh = gates * hidden;
  const dirs = bidirectional ? 2 : 1;
  const out: DirectionParams[] = [];
  for (let k = 0; k < numLayers; k++) {
    const inSize = k === 0 ? inputSize : dirs * hidden;
    for (let d = 0; d < dirs; d++) {
      out.push({
        wIh: new Parameter(Tensor.zeros([gh, inSize])),
        wHh: new Parameter(Tensor.zeros([gh, hidden])),
        bIh: bias ? new Parameter(Tensor.zeros([gh])) : null,
        bHh: bias ? new Parameter(Tensor.zeros([gh])) : null,
      });
    }
  }
  return out;
}

/** Throws a TypeError unless `state` is null or a Tensor of `shape` (h0, c0 and their gradients). */
export function checkState(
  layer: string,
  what: string,
  state: Tensor | null,
  shape: readonly number[],
): void {
  if (state === null) return;
  if (!(state instanceof Tensor)) {
    throw new TypeError(
      `Cannot run ${layer}: expected ${what} to be a Tensor or null, got ${describeValue(state)}`,
    );
  }
  if (!sameShape(state.shape, shape)) {
    throw new TypeError(
      `Cannot run ${layer}: expected ${what} ${formatShape(shape)} ([numLayers·directions, ${
        shape.length === 3 ? "N, " : ""
      }hiddenSize]), got ${formatShape(state.shape)}`,
    );
  }
}

function cell(kind: Kind, relu = false): Cell {
  const gates = kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
  return {
    gates,
    hasC: kind === "lstm",
    forward: (a) => forwardLoop(kind, gates, relu, a),
    backward: (a) => backwardLoop(kind, gates, relu, a),
  };
}

/** The table: PyTorch mode → cell. */
export const CELLS: Record<CellMode, Cell> = {
  RNN_TANH: cell("rnn"),
  RNN_RELU: cell("rnn", true),
  LSTM: cell("lstm"),
  GRU: cell("gru"),
};

function forwardLoop(kind: Kind, g: number, relu: boolean, a: CellForwardArgs): CellBuffers {
  const { l, n, hidden: hs, inSize, reverse, x, p, stateOffset: so } = a;
  const [wIh, wHh, bHh] = [p.wIh.data.data, p.wHh.data.data, p.bHh?.data.data ?? null];
  const nh = n * hs;
  const gh = g * hs;
  const rows = l * n;
  const gates = a.take("gates", rows * gh);
  gemm(false, true, rows, gh, inSize, 1, x, 0, inSize, wIh, 0, inSize, 0, gates, 0, gh);
  if (p.bIh !== null) biasAddForward(gates, p.bIh.data.data, rows, gh, 1);
  // b_hh adds straight to the pre-activations, except GRU's b_hn which r multiplies.
  if (bHh !== null && kind !== "gru") biasAddForward(gates, bHh, rows, gh, 1);
  const start = (reverse ? l : 0) * nh;
  const h = a.take("h", (l + 1) * nh);
  initialSlot(h, a.h0, so, start, nh);
  const c = kind === "lstm" ? a.take("c", (l + 1) * nh) : null;
  if (c !== null) initialSlot(c, a.c0, so, start, nh);
  const extra = kind === "gru" ? a.take("extra", rows * 4 * hs) : null;
  const ghStep = kind === "gru" ? a.take("ghStep", n * gh) : gates;
  for (let s = 0; s < l; s++) {
    const t = reverse ? l - 1 - s : s;
    const prev = (reverse ? t + 1 : t) * nh;
    const cur = (reverse ? t : t + 1) * nh;
    const g0 = t * n * gh;
    if (kind === "gru") {
      gemm(false, true, n, gh, hs, 1, h, prev, hs, wHh, 0, hs, 0, ghStep, 0, gh);
      gruCellForward(n, hs, gates, g0, ghStep, bHh, h, prev, extra!, t * n * 4 * hs, h, cur);
    } else {
      gemm(false, true, n, gh, hs, 1, h, prev, hs, wHh, 0, hs, 1, gates, g0, gh);
      if (kind === "lstm") lstmCellForward(n, hs, gates, g0, c!, prev, c!, cur, h, cur);
      else rnnCellForward(nh, gates, g0, h, cur, relu);
    }
  }
  copyBlock(rows, hs, h, reverse ? 0 : nh, hs, a.out, a.outColumn, a.outStride);
  const last = (reverse ? 0 : l) * nh;
  a.hN.set(h.subarray(last, last + nh), so);
  if (c !== null) a.cN!.set(c.subarray(last, last + nh), so);
  return { gates, h, c, extra };
}

function backwardLoop(kind: Kind, g: number, relu: boolean, a: CellBackwardArgs): void {
  const { l, n, hidden: hs, inSize, reverse, cache, p, stateOffset: so } = a;
  const [wIh, wHh] = [p.wIh.data.data, p.wHh.data.data];
  const nh = n * hs;
  const gh = g * hs;
  const rows = l * n;
  const dY = a.take("dY", rows * hs);
  copyBlock(rows, hs, a.dOut, a.outColumn, a.outStride, dY, 0, hs);
  const carry = a.take("carry", nh);
  initialSlot(carry, a.dhN, so, 0, nh);
  const dc = kind === "lstm" ? a.take("dc", nh) : null;
  if (dc !== null) initialSlot(dc, a.dcN, so, 0, nh);
  const dh = a.take("dh", nh);
  const dGi = a.take("dGi", rows * gh);
  const dGh = kind === "gru" ? a.take("dGh", rows * gh) : dGi;
  const { gates, h, c, extra } = cache;
  for (let s = 0; s < l; s++) {
    const t = reverse ? s : l - 1 - s;
    const prev = (reverse ? t + 1 : t) * nh;
    const cur = (reverse ? t : t + 1) * nh;
    const g0 = t * n * gh;
    addOffset(nh, dY, t * nh, carry, dh);
    if (kind === "lstm") lstmCellBackward(n, hs, gates, g0, c!, prev, c!, cur, dh, dc!, dGi, g0);
    else if (kind === "rnn") rnnCellBackward(nh, h, cur, dh, dGi, g0, relu);
    else gruCellBackward(n, hs, extra!, t * n * 4 * hs, h, prev, dh, carry, dGi, g0, dGh, g0);
    // dL/dh_{t−1} = dGh_t·W_hh (GRU: plus the z ⊙ dh the cell kernel left in carry).
    gemm(false, false, n, hs, gh, 1, dGh, g0, gh, wHh, 0, hs, kind === "gru" ? 1 : 0, carry, 0, hs);
  }
  a.dh0.set(carry, so);
  if (dc !== null) a.dc0!.set(dc, so);
  // Over all steps at once: dW_ih += dGiᵀ·x, dW_hh += dGhᵀ·h_prev (h_prev of every step is one
  // contiguous block of the [L + 1, N, H] state buffer), dx (+)= dGi·W_ih.
  const hPrev = reverse ? nh : 0;
  gemm(true, false, gh, inSize, rows, 1, dGi, 0, gh, a.x, 0, inSize, 1, p.wIh.grad.data, 0, inSize);
  gemm(true, false, gh, hs, rows, 1, dGh, 0, gh, h, hPrev, hs, 1, p.wHh.grad.data, 0, hs);
  if (p.bIh !== null) biasAddBackward(dGi, p.bIh.grad.data, rows, gh, 1);
  if (p.bHh !== null) biasAddBackward(dGh, p.bHh.grad.data, rows, gh, 1);
  if (a.dX !== null) {
    const beta = a.accumulate ? 1 : 0;
    gemm(false, false, rows, inSize, gh, 1, dGi, 0, gh, wIh, 0, inSize, beta, a.dX, 0, inSize);
  }
}

/** dst[at.. + nh] = state[offset.. + nh], or zeros when there is no state. */
function initialSlot(
  dst: Float32Array,
  state: Float32Array | null,
  offset: number,
  at: number,
  nh: number,
): void {
  if (state === null) dst.fill(0, at, at + nh);
  else dst.set(state.subarray(offset, offset + nh), at);
}
