/** Recurrent layers: Elman RNN (tanh / relu), LSTM and GRU, multi-layer and bidirectional, as torch.nn. */

import { describeValue } from "../tensor/options.ts";
import { checkCall } from "./_common.ts";
import { RecurrentBase } from "./_recurrent.ts";
import type { Rng } from "../tensor/rng.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** The hidden state (and LSTM cell state) of every layer and direction. */
export interface RecurrentState {
  /** h, [numLayers·directions, N, hiddenSize] ([numLayers·directions, hiddenSize] for unbatched input). */
  h: Tensor;
  /** c of an LSTM, same shape as h; null for RNN and GRU. */
  c: Tensor | null;
}

/** What `forwardWithState` returns. */
export interface RecurrentOutput extends RecurrentState {
  /** [N, L, directions·hiddenSize] (batchFirst) or [L, N, directions·hiddenSize]. */
  output: Tensor;
}

/** The options every recurrent layer shares (RNN adds `nonlinearity`). */
export interface RecurrentOptions {
  /** Stacked layers; layer k > 0 reads layer k − 1's output. @default 1 */
  numLayers?: number;
  /** Learn b_ih and b_hh. @default true */
  bias?: boolean;
  /** Input and output are [N, L, features] instead of [L, N, features]; states keep [layers·dirs, N, H]. @default false */
  batchFirst?: boolean;
  /** Dropout on each layer's output but the last's, in training (needs numLayers > 1). @default 0 */
  dropout?: number;
  /** Run a second pass from the end of the sequence; outputs are concatenated [forward | reverse]. @default false */
  bidirectional?: boolean;
  /** Generator of the initial weights and of the dropout masks. @default defaultRng() */
  rng?: Rng;
}

const KEYS = {
  numLayers: true,
  bias: true,
  batchFirst: true,
  dropout: true,
  bidirectional: true,
  rng: true,
} as const;

/** Options of {@linkcode RNN}. */
export interface RNNOptions extends RecurrentOptions {
  /** The activation of h_t. @default "tanh" */
  nonlinearity?: "tanh" | "relu";
}

/**
 * Elman RNN (torch.nn.RNN): h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), act tanh or relu.
 *
 * What all three recurrent layers share:
 *
 * Shape: input [L, N, inputSize] ([N, L, inputSize] with `batchFirst`, or unbatched
 * [L, inputSize]); output [L, N, D·hiddenSize] ([N, L, D·hiddenSize]), D = 2 when
 * bidirectional, the reverse direction's columns second; states h (and an LSTM's c)
 * [numLayers·D, N, hiddenSize] whatever `batchFirst` says, row k·D + d for layer k and
 * direction d. `forward(x)` returns the output sequence (so the layer fits a Sequential,
 * e.g. Embedding → LSTM → Linear over the last dimension) and leaves the final states in
 * `lastState`; `forwardWithState(x, h0, c0)` takes and returns states explicitly.
 *
 * Parameters (PyTorch's keys, shapes and order, per layer k and direction):
 * `weight_ih_l{k}[_reverse]` [G·hiddenSize, in_k] (in_0 = inputSize, else D·hiddenSize),
 * `weight_hh_l{k}[_reverse]` [G·hiddenSize, hiddenSize], `bias_ih_l{k}[_reverse]`,
 * `bias_hh_l{k}[_reverse]` [G·hiddenSize]; G = 1 (RNN), 4 (LSTM), 3 (GRU). All drawn from
 * U(−1/√hiddenSize, 1/√hiddenSize). In training, `dropout` zeroes layer k's output before
 * layer k + 1 reads it (not after the last layer).
 *
 * Backward (backpropagation through time): `backward(dL/d(output), dL/dh_N?, dL/dc_N?)`
 * accumulates every parameter gradient, returns dL/dx and leaves dL/dh0 (dL/dc0) in
 * `gradInitialState`. The input projections of all steps are one GEMM per layer and
 * direction, as are dW_ih, dW_hh and dx; only h·W_hhᵀ and dh·W_hh run per step.
 *
 * Truncated BPTT: pass the previous batch's final state as the next h0 —
 * `const { output, h, c } = lstm.forwardWithState(x, state?.h, state?.c); state = { h, c };`
 * or, inside a Sequential, `lstm.initialState = lstm.lastState` between steps. A state is a
 * plain tensor, so backward stops there (detached, as `h.detach()` in PyTorch); set
 * `initialState = null` to start again from zeros.
 *
 * @example
 * ```ts
 * import { RNN } from "./rnn.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const rnn = new RNN(3, 5, { numLayers: 2, nonlinearity: "relu" });
 * const y = rnn.forward(Tensor.ones([7, 4, 3])); // [L, N, H] = [7, 4, 5]
 * console.log(y.shape, rnn.lastState!.h.shape); // [7, 4, 5] [2, 4, 5]
 * ```
 */
export class RNN extends RecurrentBase {
  /** The activation of h_t. */
  readonly nonlinearity: "tanh" | "relu";

  /**
   * @param inputSize features of x_t (≥ 1)
   * @param hiddenSize features of h_t (≥ 1)
   */
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const where = "Cannot create RNN";
    const o = checkCall(where, arguments.length, 3, options, { ...KEYS, nonlinearity: true });
    const { nonlinearity = "tanh" } = o;
    if (nonlinearity !== "tanh" && nonlinearity !== "relu") {
      throw new TypeError(
        `${where}: expected nonlinearity to be "tanh" or "relu", got ${
          describeValue(nonlinearity)
        }`,
      );
    }
    super("RNN", nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH", inputSize, hiddenSize, o);
    this.nonlinearity = nonlinearity;
  }
}

/**
 * Long short-term memory (torch.nn.LSTM), gates in PyTorch's order i, f, g, o:
 * i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(W_if x + b_if + W_hf h + b_hf),
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg), o = σ(W_io x + b_io + W_ho h + b_ho),
 * c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
 *
 * Shapes, parameters (G = 4: weight_ih_l0 is [4·hiddenSize, inputSize]), backward and
 * truncated BPTT as {@linkcode RNN}; states are h and c.
 *
 * @example
 * ```ts
 * import { LSTM } from "./rnn.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const lstm = new LSTM(3, 5, { batchFirst: true, bidirectional: true });
 * const { output, h, c } = lstm.forwardWithState(Tensor.ones([4, 7, 3]));
 * console.log(output.shape, h.shape, c!.shape); // [4, 7, 10] [2, 4, 5] [2, 4, 5]
 * ```
 */
export class LSTM extends RecurrentBase {
  /**
   * @param inputSize features of x_t (≥ 1)
   * @param hiddenSize features of h_t and c_t (≥ 1)
   */
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    const o = checkCall("Cannot create LSTM", arguments.length, 3, options, KEYS);
    super("LSTM", "LSTM", inputSize, hiddenSize, o);
  }
}

/**
 * Gated recurrent unit (torch.nn.GRU), gates in PyTorch's order r, z, n:
 * r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * Shapes, parameters (G = 3), backward and truncated BPTT as {@linkcode RNN}.
 *
 * @example
 * ```ts
 * import { GRU } from "./rnn.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const gru = new GRU(3, 5);
 * console.log(gru.forward(Tensor.ones([7, 4, 3])).shape, Object.keys(gru.stateDict())); // [7, 4, 5] ["weight_ih_l0", ...]
 * ```
 */
export class GRU extends RecurrentBase {
  /**
   * @param inputSize features of x_t (≥ 1)
   * @param hiddenSize features of h_t (≥ 1)
   */
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    const o = checkCall("Cannot create GRU", arguments.length, 3, options, KEYS);
    super("GRU", "GRU", inputSize, hiddenSize, o);
  }
}
