/** The shared engine of RNN, LSTM and GRU: configuration, parameters, forward and backpropagation through time. */

import { Module } from "./module.ts";
import type { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import { uniform } from "../tensor/init.ts";
import { formatShape } from "../tensor/shape.ts";
import { describeValue } from "../tensor/options.ts";
import type { RecurrentOptions, RecurrentOutput, RecurrentState } from "./rnn.ts";
import { dropoutMask, mulForward, swapLeadingAxes } from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkGradOutput,
  integerAtLeast,
  noForwardError,
  pyBool,
  pyFloat,
  rngOption,
} from "./_common.ts";
import {
  type Cell,
  type CellBuffers,
  type CellMode,
  CELLS,
  checkState,
  createParams,
  type DirectionParams,
  type Geometry,
} from "./_recurrent_cells.ts";

export type { CellMode };
interface LayerCache {
  input: Float32Array;
  inSize: number;
  mask: Float32Array | null;
  dirs: CellBuffers[];
}

/**
 * RNN, LSTM and GRU (layers/rnn.ts) as one module, `mode` choosing the cell. Works time-major
 * inside: per layer and direction, ONE GEMM x·W_ihᵀ for every time step, then a loop of
 * h·W_hhᵀ products and cell kernels; backward mirrors it (per-step dh·W_hh, then one GEMM each
 * for dW_ih, dW_hh and dx over all steps).
 */
export abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /**
   * The state `forward(x)` starts from (null: zeros). Truncated BPTT in a Sequential: set it to
   * `lastState` after each step; backward then stops at it (the state is detached, as
   * `h.detach()` in PyTorch), and its gradient lands in `gradInitialState`.
   */
  initialState: RecurrentState | null = null;
  /** The final states of the last forward (fresh tensors, safe to keep or feed back). */
  lastState: RecurrentState | null = null;
  /** dL/dh0 (and dL/dc0) of the last backward, shaped as the states. */
  gradInitialState: RecurrentState | null = null;
  readonly #cell: Cell;
  readonly #name: string;
  readonly #params: DirectionParams[];
  readonly #rng: Rng | undefined;
  readonly #buffers = new BufferCache();
  #cache: {
    layers: LayerCache[];
    l: number;
    n: number;
    unbatched: boolean;
    outputShape: readonly number[];
    inputShape: readonly number[];
  } | null = null;

  constructor(
    name: string,
    mode: CellMode,
    inputSize: number,
    hiddenSize: number,
    options: RecurrentOptions,
  ) {
    super();
    const where = `Cannot create ${name}`;
    const {
      numLayers = 1,
      bias = true,
      batchFirst = false,
      dropout = 0,
      bidirectional = false,
      rng,
    } = options;
    this.#name = name;
    this.#cell = CELLS[mode];
    this.inputSize = integerAtLeast(inputSize, "inputSize", where, 1);
    this.hiddenSize = integerAtLeast(hiddenSize, "hiddenSize", where, 1);
    this.numLayers = integerAtLeast(numLayers, "numLayers", where, 1);
    this.bias = boolean(bias, "bias", where);
    this.batchFirst = boolean(batchFirst, "batchFirst", where);
    this.bidirectional = boolean(bidirectional, "bidirectional", where);
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
      throw new RangeError(`${where}: expected dropout in [0, 1), got ${describeValue(dropout)}`);
    }
    if (dropout > 0 && numLayers === 1) {
      // PyTorch only warns: the dropout would silently do nothing.
      throw new RangeError(
        `${where}: dropout ${dropout} needs numLayers > 1 (it applies between stacked layers, never after the last)`,
      );
    }
    this.dropout = dropout;
    this.#rng = rngOption(rng, where);
    this.#params = createParams(
      this.#cell.gates,
      inputSize,
      hiddenSize,
      numLayers,
      bidirectional,
      bias,
    );
    this.resetParameters(this.#rng);
  }

  /** Re-draws every weight and bias from U(−1/√hiddenSize, 1/√hiddenSize), in state-dict order, as PyTorch. */
  resetParameters(rng?: Rng): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const [, p] of this.ownParameters()) uniform(p.data, -bound, bound, { rng });
  }

  /** The output sequence, starting from `initialState` (zeros when null); final states go to `lastState`. */
  forward(input: Tensor): Tensor {
    return this.#run(input, this.initialState?.h ?? null, this.initialState?.c ?? null, "forward")
      .output;
  }

  /**
   * The output sequence and final states from explicit initial states (null or absent: zeros).
   * `h0` is [numLayers·directions, N, hiddenSize] ([numLayers·directions, hiddenSize] for an
   * unbatched [L, inputSize] input); `c0` likewise, LSTM only.
   */
  forwardWithState(
    input: Tensor,
    h0: Tensor | null = null,
    c0: Tensor | null = null,
  ): RecurrentOutput {
    return this.#run(input, h0, c0, "forwardWithState");
  }

  /**
   * Backpropagation through time from dL/d(output) and, optionally, dL/dh_N and dL/dc_N (the
   * final states' shapes). Accumulates every parameter gradient, stores dL/dh0 (dL/dc0) in
   * `gradInitialState` and returns dL/dx.
   */
  backward(gradOutput: Tensor, gradH?: Tensor | null, gradC?: Tensor | null): Tensor {
    return this.#backward(gradOutput, gradH ?? null, gradC ?? null, true)!;
  }

  /** Parameter gradients only (no dL/dx product for the first layer). */
  override backwardParameters(gradOutput: Tensor): void {
    this.#backward(gradOutput, null, null, false);
  }

  /** PyTorch's order: per layer k, per direction, `weight_ih_lk`, `weight_hh_lk`, `bias_ih_lk`, `bias_hh_lk` (`_reverse` suffixed). */
  override ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const dirs = this.bidirectional ? 2 : 1;
    this.#params.forEach((p, i) => {
      const suffix = `_l${Math.floor(i / dirs)}${i % dirs === 1 ? "_reverse" : ""}`;
      out.push([`weight_ih${suffix}`, p.wIh], [`weight_hh${suffix}`, p.wHh]);
      if (p.bIh !== null && p.bHh !== null) {
        out.push([`bias_ih${suffix}`, p.bIh], [`bias_hh${suffix}`, p.bHh]);
      }
    });
    return out;
  }

  /** `LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)`, as PyTorch prints it. */
  override toString(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(false)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(true)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(true)}`;
    return `${this.#name}(${s})`;
  }

  #run(input: Tensor, h0: Tensor | null, c0: Tensor | null, method: string): RecurrentOutput {
    const layer = `${this.#name}.${method}`;
    const { inputSize, hiddenSize: hs, numLayers } = this;
    const dirs = this.bidirectional ? 2 : 1;
    if (
      !(input instanceof Tensor) || (input.ndim !== 3 && input.ndim !== 2) ||
      input.shape[input.ndim - 1] !== inputSize || input.size === 0
    ) {
      if (!(input instanceof Tensor)) {
        throw new TypeError(`Cannot run ${layer}: expected a Tensor, got ${describeValue(input)}`);
      }
      const expected = this.batchFirst
        ? `[N, L, ${inputSize}] or [L, ${inputSize}]`
        : `[L, N, ${inputSize}] or [L, ${inputSize}]`;
      throw new TypeError(
        `Cannot run ${layer}: expected input ${expected}, got ${formatShape(input.shape)}`,
      );
    }
    const unbatched = input.ndim === 2;
    const l = unbatched || !this.batchFirst ? input.shape[0] : input.shape[1];
    const n = unbatched ? 1 : this.batchFirst ? input.shape[0] : input.shape[1];
    const stateShape = unbatched ? [numLayers * dirs, hs] : [numLayers * dirs, n, hs];
    checkState(layer, "h0", h0, stateShape);
    if (this.#cell.hasC) checkState(layer, "c0", c0, stateShape);
    else if (c0 !== null) {
      throw new TypeError(`Cannot run ${layer}: ${this.#name} has no cell state; pass h0 only`);
    }
    const reuse = this.training;
    let x = input.data;
    if (this.batchFirst && !unbatched) {
      x = this.#buffers.floats("inputT", input.size, reuse);
      swapLeadingAxes(input.data, x, n, l, inputSize);
    }
    const hN = Tensor.zeros(stateShape);
    const cN = this.#cell.hasC ? Tensor.zeros(stateShape) : null;
    const layers: LayerCache[] = [];
    let inSize = inputSize;
    for (let k = 0; k < numLayers; k++) {
      let mask: Float32Array | null = null;
      if (k > 0 && this.training && this.dropout > 0) {
        const rng = this.#rng ?? defaultRng();
        mask = this.#buffers.floats(`mask${k}`, x.length, reuse);
        dropoutMask(mask, this.dropout, () => rng.random());
        const dropped = this.#buffers.floats(`dropped${k}`, x.length, reuse);
        mulForward(x, mask, dropped, 0, dropped.length);
        x = dropped;
      }
      const out = this.#buffers.floats(`out${k}`, l * n * dirs * hs, reuse);
      const cells: CellBuffers[] = [];
      for (let d = 0; d < dirs; d++) {
        const buffers = this.#cell.forward({
          ...this.#geometry(k, d, l, n, inSize),
          x,
          p: this.#params[k * dirs + d],
          h0: h0?.data ?? null,
          c0: c0?.data ?? null,
          out,
          hN: hN.data,
          cN: cN?.data ?? null,
        });
        cells.push(buffers);
      }
      layers.push({ input: x, inSize, mask, dirs: cells });
      x = out;
      inSize = dirs * hs;
    }
    const outputShape = unbatched
      ? [l, dirs * hs]
      : this.batchFirst
      ? [n, l, dirs * hs]
      : [l, n, dirs * hs];
    const output = this.#buffers.tensor("output", outputShape, reuse, input.data);
    if (this.batchFirst && !unbatched) swapLeadingAxes(x, output.data, l, n, dirs * hs);
    else output.data.set(x);
    this.#cache = { layers, l, n, unbatched, outputShape, inputShape: input.shape };
    this.lastState = { h: hN, c: cN };
    return { output, h: hN, c: cN };
  }

  #backward(
    gradOutput: Tensor,
    gradH: Tensor | null,
    gradC: Tensor | null,
    wantInput: boolean,
  ): Tensor | null {
    const name = this.#name;
    if (this.#cache === null) throw noForwardError(name);
    const { layers, l, n, unbatched, outputShape, inputShape } = this.#cache;
    checkGradOutput(name, gradOutput, outputShape);
    const hs = this.hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const stateShape = unbatched ? [this.numLayers * dirs, hs] : [this.numLayers * dirs, n, hs];
    checkState(`${name}.backward`, "gradH", gradH, stateShape);
    if (this.#cell.hasC) checkState(`${name}.backward`, "gradC", gradC, stateShape);
    else if (gradC !== null) {
      throw new TypeError(
        `Cannot run ${name}.backward: ${name} has no cell state; pass gradH only`,
      );
    }
    const reuse = this.training;
    let dOut = gradOutput.data;
    if (this.batchFirst && !unbatched) {
      dOut = this.#buffers.floats("gradOutputT", gradOutput.size, reuse);
      swapLeadingAxes(gradOutput.data, dOut, n, l, dirs * hs);
    }
    const dH0 = Tensor.zeros(stateShape);
    const dC0 = this.#cell.hasC ? Tensor.zeros(stateShape) : null;
    for (let k = layers.length - 1; k >= 0; k--) {
      const { input, inSize, mask, dirs: cells } = layers[k];
      const needInput = wantInput || k > 0;
      const dX = needInput ? this.#buffers.floats(`gradIn${k}`, l * n * inSize, reuse) : null;
      for (let d = 0; d < dirs; d++) {
        this.#cell.backward({
          ...this.#geometry(k, d, l, n, inSize),
          cache: cells[d],
          x: input,
          p: this.#params[k * dirs + d],
          dOut,
          dhN: gradH?.data ?? null,
          dcN: gradC?.data ?? null,
          dh0: dH0.data,
          dc0: dC0?.data ?? null,
          dX,
          accumulate: d === 1,
        });
      }
      if (dX !== null && mask !== null) mulForward(dX, mask, dX, 0, dX.length);
      if (dX !== null) dOut = dX;
    }
    this.gradInitialState = { h: dH0, c: dC0 };
    if (!wantInput) return null;
    const gx = this.#buffers.tensor("gradInput", inputShape, reuse, gradOutput.data);
    if (this.batchFirst && !unbatched) swapLeadingAxes(dOut, gx.data, l, n, this.inputSize);
    else gx.data.set(dOut);
    return gx;
  }

  #geometry(k: number, d: number, l: number, n: number, inSize: number): Geometry {
    const dirs = this.bidirectional ? 2 : 1;
    const hidden = this.hiddenSize;
    const i = k * dirs + d;
    const reuse = this.training;
    return {
      l,
      n,
      hidden,
      inSize,
      reverse: d === 1,
      stateOffset: i * n * hidden,
      outColumn: d * hidden,
      outStride: dirs * hidden,
      take: (key, length) => this.#buffers.floats(`${key}:${i}`, length, reuse),
    };
  }
}
