/** TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual and a LayerNorm. */

import { Module } from "./module.ts";
import { Linear } from "./linear.ts";
import { Dropout } from "./dropout.ts";
import { LayerNorm } from "./normalization.ts";
import { GELU, ReLU } from "./activation.ts";
import { Sequential } from "./sequential.ts";
import { type AttentionMask, MultiheadAttention } from "./attention.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { checkOptions, describeValue } from "../tensor/options.ts";
import { addForward } from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  formatChildren,
  integerAtLeast,
  noForwardError,
  rngOption,
} from "./_common.ts";

/** Options of {@linkcode TransformerEncoderLayer}. */
export interface TransformerEncoderLayerOptions {
  /** Hidden width of the feed-forward block. @default 2048 */
  dimFeedforward?: number;
  /** Dropout probability (attention weights, after attention, inside and after the feed-forward block). @default 0.1 */
  dropout?: number;
  /** Feed-forward activation ("gelu" is the exact erf form, as F.gelu). @default "relu" */
  activation?: "relu" | "gelu";
  /** eps of both LayerNorms. @default 1e-5 */
  layerNormEps?: number;
  /** Input and output [N, L, E] instead of [L, N, E]. @default false */
  batchFirst?: boolean;
  /** Pre-norm (x + sa(norm1(x))) instead of post-norm (norm1(x + sa(x))). @default false */
  normFirst?: boolean;
  /** Biases in the linear layers, the attention and the LayerNorms. @default true */
  bias?: boolean;
  /** Not in PyTorch: the `isCausal` of a forward that does not say (a GPT block in a Sequential). @default false */
  isCausal?: boolean;
  /** Generator of the initial weights and of the dropout masks. @default defaultRng() */
  rng?: Rng;
}

/** Options of {@linkcode TransformerEncoderLayer.forward}. */
export interface TransformerEncoderLayerForwardOptions {
  /** The attention's attnMask: boolean (1 = not allowed) or additive, [L, L] or [N·nhead, L, L]. @default null */
  srcMask?: AttentionMask | null;
  /** The attention's keyPaddingMask, [N, L] (1 = padding). @default null */
  srcKeyPaddingMask?: AttentionMask | null;
  /** Causal self-attention (added to srcMask when both are given). @default the constructor's isCausal */
  isCausal?: boolean;
}

/**
 * One encoder layer of a Transformer (torch.nn.TransformerEncoderLayer):
 * post-norm  x = norm1(x + sa(x)); y = norm2(x + ff(x))
 * pre-norm   x = x + sa(norm1(x)); y = x + ff(norm2(x))       (normFirst)
 * with sa(x) = dropout1(self_attn(x, x, x)) and ff(x) = dropout2(linear2(dropout(act(linear1(x))))).
 * With normFirst, activation "gelu" and isCausal it is a GPT-2 block (add a final LayerNorm
 * after the last one, as nanoGPT's ln_f).
 *
 * Shape: [L, N, E] ([N, L, E] with batchFirst, or unbatched [L, E]) → same.
 *
 * Parameters: PyTorch's submodules and keys: `self_attn.in_proj_weight`, `self_attn.in_proj_bias`,
 * `self_attn.out_proj.weight/bias`, `linear1.weight/bias`, `linear2.weight/bias`,
 * `norm1.weight/bias`, `norm2.weight/bias`, each with its own PyTorch init.
 *
 * Backward: through both residual branches; accumulates every parameter gradient, returns dL/dx.
 *
 * @example
 * ```ts
 * import { TransformerEncoderLayer } from "./transformer.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const block = new TransformerEncoderLayer(16, 4, { dimFeedforward: 64, dropout: 0, batchFirst: true, normFirst: true });
 * const y = block.forward(Tensor.ones([2, 5, 16]), { isCausal: true }); // [2, 5, 16]
 * console.log(y.shape, Object.keys(block.stateDict())[0]); // [2, 5, 16] "self_attn.in_proj_weight"
 * ```
 */
export class TransformerEncoderLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  readonly activation: "relu" | "gelu";
  readonly isCausal: boolean;
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  // linear1 → activation → dropout → linear2 → dropout2, run as one chain.
  readonly #ff: Sequential;
  #shape: readonly number[] | null = null;
  #lastOutput: Float32Array | null = null;
  readonly #buffers = new BufferCache();

  /**
   * @param dModel E, features per step (≥ 1)
   * @param nhead attention heads (≥ 1, dividing dModel)
   */
  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const where = "Cannot create TransformerEncoderLayer";
    const o = checkCall(where, arguments.length, 3, options, {
      dimFeedforward: true,
      dropout: true,
      activation: true,
      layerNormEps: true,
      batchFirst: true,
      normFirst: true,
      bias: true,
      isCausal: true,
      rng: true,
    });
    const {
      dimFeedforward = 2048,
      dropout = 0.1,
      activation = "relu",
      layerNormEps = 1e-5,
      batchFirst = false,
      normFirst = false,
      bias = true,
      isCausal = false,
    } = o;
    const rng = rngOption(o.rng, where);
    this.dModel = integerAtLeast(dModel, "dModel", where, 1);
    this.nhead = integerAtLeast(nhead, "nhead", where, 1);
    integerAtLeast(dimFeedforward, "dimFeedforward", where, 1);
    if (activation !== "relu" && activation !== "gelu") {
      throw new TypeError(
        `${where}: expected activation "relu" or "gelu", got ${describeValue(activation)}`,
      );
    }
    if (typeof layerNormEps !== "number" || !(layerNormEps > 0 && layerNormEps < Infinity)) {
      throw new RangeError(
        `${where}: expected layerNormEps to be a finite number > 0, got ${
          describeValue(layerNormEps)
        }`,
      );
    }
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) {
      throw new RangeError(`${where}: expected dropout in [0, 1), got ${describeValue(dropout)}`);
    }
    this.activation = activation;
    this.batchFirst = boolean(batchFirst, "batchFirst", where);
    this.normFirst = boolean(normFirst, "normFirst", where);
    this.isCausal = boolean(isCausal, "isCausal", where);
    boolean(bias, "bias", where);
    try {
      this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout, bias, batchFirst, rng });
    } catch (cause) {
      throw new RangeError(
        `${where}: ${(cause as Error).message.replace(/^Cannot create MultiheadAttention: /, "")}`,
        { cause },
      );
    }
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, rng });
    this.dropout = new Dropout({ p: dropout, rng });
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, rng });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias });
    this.dropout1 = new Dropout({ p: dropout, rng });
    this.dropout2 = new Dropout({ p: dropout, rng });
    const act = activation === "relu" ? new ReLU() : new GELU();
    this.#ff = new Sequential(this.linear1, act, this.dropout, this.linear2, this.dropout2);
  }

  /** The layer's output for `src` (see the class doc). */
  override forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const where = "Cannot run TransformerEncoderLayer.forward";
    checkOptions(where, options, ["srcMask", "srcKeyPaddingMask", "isCausal"]);
    const attention = {
      attnMask: options.srcMask,
      keyPaddingMask: options.srcKeyPaddingMask,
      isCausal: boolean(options.isCausal ?? this.isCausal, "isCausal", where),
    };
    const sa = (x: Tensor) => this.dropout1.forward(this.selfAttn.forward(x, x, x, attention));
    // Applied to its own last output, norm2 would write over the src that self_attn cached.
    if (this.training && src.data === this.#lastOutput) src = src.clone();
    let y: Tensor;
    if (this.normFirst) {
      const x1 = this.#add("x1", src, sa(this.norm1.forward(src)));
      y = this.#add("output", x1, this.#ff.forward(this.norm2.forward(x1)), src);
    } else {
      const x1 = this.norm1.forward(this.#add("x1", src, sa(src)));
      y = this.norm2.forward(this.#add("x2", x1, this.#ff.forward(x1)));
    }
    this.#shape = src.shape;
    this.#lastOutput = y.data;
    return y;
  }

  /** dL/dx through both residual branches; accumulates every parameter gradient. */
  backward(gradOutput: Tensor): Tensor {
    if (this.#shape === null) throw noForwardError("TransformerEncoderLayer");
    checkGradOutput("TransformerEncoderLayer", gradOutput, this.#shape);
    const saBack = (g: Tensor) => this.selfAttn.backward(this.dropout1.backward(g));
    if (this.normFirst) {
      const g1 = this.#add("g1", gradOutput, this.norm2.backward(this.#ff.backward(gradOutput)));
      return this.#add("gradInput", g1, this.norm1.backward(saBack(g1)), gradOutput);
    }
    const g2 = this.norm2.backward(gradOutput);
    const g1 = this.norm1.backward(this.#add("g2", g2, this.#ff.backward(g2)));
    return this.#add("gradInput", g1, saBack(g1), gradOutput);
  }

  // a + b into a buffer of this layer (never `avoid`, the caller's tensor).
  #add(key: string, a: Tensor, b: Tensor, avoid?: Tensor): Tensor {
    const out = this.#buffers.tensor(key, a.shape, this.training, avoid?.data);
    addForward(a.data, b.data, out.data, 0, out.data.length);
    return out;
  }

  /** PyTorch's submodule order: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2. */
  override children(): [string, Module][] {
    return [
      ["self_attn", this.selfAttn],
      ["linear1", this.linear1],
      ["dropout", this.dropout],
      ["linear2", this.linear2],
      ["norm1", this.norm1],
      ["norm2", this.norm2],
      ["dropout1", this.dropout1],
      ["dropout2", this.dropout2],
    ];
  }

  /** PyTorch's multi-line form. */
  override toString(): string {
    return formatChildren("TransformerEncoderLayer", this.children());
  }
}
