/** MultiheadAttention: scaled dot-product attention over several heads, with PyTorch's parameters and masks. */

import { Module } from "./module.ts";
import { Linear } from "./linear.ts";
import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import { constant, xavierUniform } from "../tensor/init.ts";
import { checkOptions, describeValue } from "../tensor/options.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  integerAtLeast,
  noForwardError,
  rngOption,
} from "./_common.ts";
import { type AttentionMask, prepareMasks } from "./_attention.ts";
import { checkTensors, inProjections, inputShapes } from "./_attention_inputs.ts";
import { attentionBackward, type AttentionCache, attentionForward } from "./_attention_core.ts";

export type { AttentionMask };

/** Options of {@linkcode MultiheadAttention}. */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights (training only), in [0, 1). @default 0 */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias. @default true */
  bias?: boolean;
  /** Inputs and output are [N, L, E] instead of [L, N, E]. @default false */
  batchFirst?: boolean;
  /** Features of the key (separate q/k/v_proj_weight when it is not embedDim). @default embedDim */
  kdim?: number;
  /** Features of the value. @default embedDim */
  vdim?: number;
  /** Not in PyTorch: the `isCausal` of a forward that does not say, so `forward(x)` in a Sequential can be causal. @default false */
  isCausal?: boolean;
  /** Generator of the initial weights and of the dropout masks. @default defaultRng() */
  rng?: Rng;
}

/** Options of {@linkcode MultiheadAttention.forward}. */
export interface AttentionForwardOptions {
  /** Boolean (1 = NOT allowed) or additive float mask, [L, S] or [N·numHeads, L, S]. @default null */
  attnMask?: AttentionMask | null;
  /** Boolean (1 = ignore that key) or additive float mask, [N, S] ([S] unbatched). @default null */
  keyPaddingMask?: AttentionMask | null;
  /** Mask key j > query i (added to attnMask when both are given). @default the constructor's isCausal */
  isCausal?: boolean;
}

/** Options of {@linkcode MultiheadAttention.forwardWithWeights}. */
export interface AttentionWeightsOptions extends AttentionForwardOptions {
  /** Return the attention weights. @default true */
  needWeights?: boolean;
  /** Average the weights over heads ([N, L, S]) instead of [N, numHeads, L, S]. @default true */
  averageAttnWeights?: boolean;
}

const FORWARD_KEYS = ["attnMask", "keyPaddingMask", "isCausal"];

/**
 * Multi-head attention (torch.nn.MultiheadAttention):
 * out = concat_h(softmax(Q_h·K_hᵀ/√D + mask)·V_h)·W_oᵀ + b_o with Q = query·W_qᵀ + b_q,
 * K = key·W_kᵀ + b_k, V = value·W_vᵀ + b_v, D = embedDim / numHeads.
 *
 * Shape: query [L, N, E], key [S, N, kdim], value [S, N, vdim] → [L, N, E] ([N, L, ·] with
 * batchFirst; unbatched [L, E] works too). Masks merge as in PyTorch: a boolean mask becomes
 * −∞ where true, every mask is added to the scores. A query row whose every key is masked
 * comes out NaN, as in PyTorch's math path (softmax of all −∞) — a padded query row, say;
 * isCausal needs no attnMask here (PyTorch asks for one as a hint).
 *
 * Parameters (PyTorch keys, order and init): `in_proj_weight` [3E, E] (xavier-uniform) —
 * or `q_proj_weight` [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim] when kdim
 * or vdim differs from E — then `in_proj_bias` [3E] (zeros), `out_proj.weight` [E, E]
 * (Linear's default init) and `out_proj.bias` [E] (zeros).
 *
 * Backward: accumulates into every parameter; `backward` returns dL/d(query) — summed with
 * dL/d(key) and dL/d(value) where the forward got the same tensor there (self-attention) —
 * and `backwardInputs` returns all three separately.
 *
 * @example
 * ```ts
 * import { MultiheadAttention } from "./attention.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const attn = new MultiheadAttention(8, 2, { batchFirst: true, isCausal: true });
 * const y = attn.forward(Tensor.ones([3, 5, 8])); // self-attention, causal: [3, 5, 8]
 * console.log(y.shape, attn.backward(Tensor.ones([3, 5, 8])).shape); // [3, 5, 8] [3, 5, 8]
 * ```
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly kdim: number;
  readonly vdim: number;
  readonly isCausal: boolean;
  /** [3E, E], or null when kdim or vdim differs from embedDim. */
  readonly inProjWeight: Parameter | null;
  readonly qProjWeight: Parameter | null;
  readonly kProjWeight: Parameter | null;
  readonly vProjWeight: Parameter | null;
  /** [3E] (q, k, v parts), or null with `{ bias: false }`. */
  readonly inProjBias: Parameter | null;
  /** The output projection, child "out_proj". */
  readonly outProj: Linear;
  readonly #rng: Rng | undefined;
  #cache: AttentionCache | null = null;
  #lastOutput: Float32Array | null = null;
  readonly #buffers = new BufferCache();

  /**
   * @param embedDim E, features of query and output (≥ 1)
   * @param numHeads heads (≥ 1, dividing embedDim)
   */
  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const where = "Cannot create MultiheadAttention";
    const o = checkCall(where, arguments.length, 3, options, {
      dropout: true,
      bias: true,
      batchFirst: true,
      kdim: true,
      vdim: true,
      isCausal: true,
      rng: true,
    });
    const e = integerAtLeast(embedDim, "embedDim", where, 1);
    integerAtLeast(numHeads, "numHeads", where, 1);
    if (e % numHeads !== 0) {
      throw new RangeError(`${where}: embedDim ${e} must be divisible by numHeads ${numHeads}`);
    }
    const { dropout = 0, bias = true, batchFirst = false, kdim = e, vdim = e, isCausal = false } =
      o;
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
      throw new RangeError(`${where}: expected dropout in [0, 1), got ${describeValue(dropout)}`);
    }
    [this.embedDim, this.numHeads, this.headDim, this.dropout] = [
      e,
      numHeads,
      e / numHeads,
      dropout,
    ];
    this.batchFirst = boolean(batchFirst, "batchFirst", where);
    this.isCausal = boolean(isCausal, "isCausal", where);
    this.kdim = integerAtLeast(kdim, "kdim", where, 1);
    this.vdim = integerAtLeast(vdim, "vdim", where, 1);
    this.#rng = rngOption(o.rng, where);
    const packed = kdim === e && vdim === e;
    const param = (shape: number[]) => new Parameter(Tensor.zeros(shape));
    this.inProjWeight = packed ? param([3 * e, e]) : null;
    this.qProjWeight = packed ? null : param([e, e]);
    this.kProjWeight = packed ? null : param([e, kdim]);
    this.vProjWeight = packed ? null : param([e, vdim]);
    this.inProjBias = boolean(bias, "bias", where) ? param([3 * e]) : null;
    this.outProj = new Linear(e, e, { bias, rng: this.#rng });
    this.resetParameters(this.#rng);
  }

  /** PyTorch's _reset_parameters: xavier-uniform in-projection, zero biases (out_proj.weight keeps Linear's init). */
  resetParameters(rng?: Rng): void {
    this.outProj.resetParameters(rng);
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) {
      if (w !== null) xavierUniform(w.data, 1, { rng });
    }
    if (this.inProjBias !== null) constant(this.inProjBias.data, 0);
    if (this.outProj.bias !== null) constant(this.outProj.bias.data, 0);
  }

  /** The attention output for query, key, value (self-attention when key and value are omitted). */
  override forward(
    query: Tensor,
    key?: Tensor,
    value?: Tensor,
    options: AttentionForwardOptions = {},
  ): Tensor {
    checkOptions("Cannot run MultiheadAttention.forward", options, FORWARD_KEYS);
    return this.#forward(query, key, value, options, false, true).output;
  }

  /** `{ output, weights }` as PyTorch's forward returns them (weights null with needWeights false). */
  forwardWithWeights(
    query: Tensor,
    key?: Tensor,
    value?: Tensor,
    options: AttentionWeightsOptions = {},
  ): { output: Tensor; weights: Tensor | null } {
    const where = "Cannot run MultiheadAttention.forwardWithWeights";
    checkOptions(where, options, [...FORWARD_KEYS, "needWeights", "averageAttnWeights"]);
    const { needWeights = true, averageAttnWeights = true } = options;
    boolean(needWeights, "needWeights", where);
    boolean(averageAttnWeights, "averageAttnWeights", where);
    return this.#forward(query, key, value, options, needWeights, averageAttnWeights);
  }

  #forward(
    query: Tensor,
    key: Tensor | undefined,
    value: Tensor | undefined,
    options: AttentionForwardOptions,
    needWeights: boolean,
    average: boolean,
  ): { output: Tensor; weights: Tensor | null } {
    const where = "Cannot run MultiheadAttention.forward";
    if ((key === undefined) !== (value === undefined)) {
      throw new TypeError(`${where}: pass both key and value, or neither (self-attention)`);
    }
    [key, value] = [key ?? query, value ?? query];
    checkTensors(where, query, key, value);
    // Applied to its own last output, out_proj would write over the input the backward reads.
    const own = (t: Tensor) => this.training && t.data === this.#lastOutput ? t.clone() : t;
    const [q0, k0] = [query, key];
    query = own(query);
    key = k0 === q0 ? query : own(key);
    value = value === q0 ? query : value === k0 ? key : own(value);
    const isCausal = boolean(options.isCausal ?? this.isCausal, "isCausal", where);
    const { q, k } = inputShapes(where, query, key, value, this);
    const { attnMask, keyPaddingMask } = options;
    const masks = prepareMasks(where, attnMask, keyPaddingMask, isCausal, q, k, this.numHeads);
    const packed = this.inProjWeight !== null && key === query && value === query;
    const rng = this.#rng ?? defaultRng();
    const cache = attentionForward({
      query,
      key,
      value,
      q,
      k,
      packed,
      masks,
      projections: inProjections(this, packed),
      heads: this.numHeads,
      dropout: this.training ? this.dropout : 0,
      random: () => rng.random(),
      buffers: this.#buffers,
      training: this.training,
    });
    this.#cache = cache;
    const output = this.outProj.forward(cache.context);
    this.#lastOutput = output.data;
    let weights: Tensor | null = null;
    if (needWeights) weights = cache.weights(average);
    return { output, weights };
  }

  /** Accumulates every parameter gradient; returns dL/d(query), plus dL/d(key), dL/d(value) where they were the query tensor. */
  backward(gradOutput: Tensor): Tensor {
    const g = this.#backward(gradOutput, "sum");
    return g.query!;
  }

  /** Accumulates every parameter gradient; returns dL/d(query), dL/d(key), dL/d(value) separately. */
  backwardInputs(gradOutput: Tensor): { query: Tensor; key: Tensor; value: Tensor } {
    const g = this.#backward(gradOutput, "separate");
    return { query: g.query!, key: g.key!, value: g.value! };
  }

  /** Parameter gradients only. */
  override backwardParameters(gradOutput: Tensor): void {
    this.#backward(gradOutput, "none");
  }

  #backward(gradOutput: Tensor, inputs: "sum" | "separate" | "none") {
    if (this.#cache === null) throw noForwardError("MultiheadAttention");
    const cache = this.#cache;
    checkGradOutput("MultiheadAttention", gradOutput, cache.outputShape);
    const gContext = this.outProj.backward(gradOutput);
    return attentionBackward(cache, gContext, inputs, gradOutput.data);
  }

  /** PyTorch's order: in_proj_weight (or q/k/v_proj_weight), in_proj_bias. */
  override ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const named: [string, Parameter | null][] = [
      ["q_proj_weight", this.qProjWeight],
      ["k_proj_weight", this.kProjWeight],
      ["v_proj_weight", this.vProjWeight],
      ["in_proj_weight", this.inProjWeight],
      ["in_proj_bias", this.inProjBias],
    ];
    for (const [name, p] of named) if (p !== null) out.push([name, p]);
    return out;
  }

  /** `[["out_proj", outProj]]`. */
  override children(): [string, Module][] {
    return [["out_proj", this.outProj]];
  }

  /** As PyTorch prints it. */
  override toString(): string {
    const linear =
      `NonDynamicallyQuantizableLinear(in_features=${this.embedDim}, out_features=${this.embedDim}, bias=${
        this.outProj.bias !== null ? "True" : "False"
      })`;
    return `MultiheadAttention(\n  (out_proj): ${linear}\n)`;
  }
}
