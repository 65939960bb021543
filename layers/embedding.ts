/** Embedding: a lookup table of learned vectors, indexed by integers (token ids, positions). */

import { Module } from "./module.ts";
import { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { normal } from "../tensor/init.ts";
import { checkShape, formatShape, sizeOf } from "../tensor/shape.ts";
import { describeValue } from "../tensor/options.ts";
import {
  countIndices,
  embeddingBackward,
  embeddingForward,
  type EmbeddingIndices,
  embeddingRenorm,
  findInvalidIndex,
} from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  integerAtLeast,
  noForwardError,
  pyFloat,
  rngOption,
} from "./_common.ts";

/** Options of {@linkcode Embedding}. */
export interface EmbeddingOptions {
  /**
   * A row that stays zero and gets no gradient (padding tokens); negative counts from the
   * end as PyTorch (−1 is the last row). @default null (none)
   */
  paddingIdx?: number | null;
  /** Rows looked up whose norm exceeds this are rescaled to it, in place. @default null (none) */
  maxNorm?: number | null;
  /** The p of the p-norm that `maxNorm` bounds (> 0, Infinity allowed). @default 2 */
  normType?: number;
  /** Divide each row's gradient by how often its index occurs in the batch. @default false */
  scaleGradByFreq?: boolean;
  /** Generator for the initial weights. @default defaultRng() */
  rng?: Rng;
}

/**
 * Looks up one row of `weight` per index (torch.nn.Embedding): y[..., :] = W[x[...], :].
 *
 * Input: integer indices of any shape, either as a Tensor whose values are integers
 * (`forward`, so an Embedding can open a Sequential: datasets and trainers hand over
 * Tensors; float32 holds every integer up to 2²⁴ exactly) or as an Int32Array/Uint8Array
 * with its shape (`forwardIndices`, as losses take class targets). An index that is not an
 * integer in [0, numEmbeddings) is a RangeError naming its value and position. Output:
 * [...input shape, embeddingDim].
 *
 * Parameters: `weight` [numEmbeddings, embeddingDim] (state-dict key "weight"), initialized
 * N(0, 1) as PyTorch, with the `paddingIdx` row zeroed. With `maxNorm`, each forward first
 * rescales the rows it looks up whose `normType`-norm exceeds maxNorm to
 * maxNorm / (norm + 1e-7) times themselves, IN PLACE (PyTorch's embedding_renorm_).
 *
 * Backward: scatters (accumulates) dL/dy into the looked-up rows of weight.grad, none into
 * the `paddingIdx` row, each divided by its index's count in the batch with
 * `scaleGradByFreq`. Indices have no gradient (PyTorch gives them none): `backward` returns
 * zeros of the input's shape so a Sequential can run it.
 *
 * @example
 * ```ts
 * import { Embedding } from "./embedding.ts";
 * import { Rng } from "../tensor/rng.ts";
 * const emb = new Embedding(10, 3, { paddingIdx: 0, rng: new Rng(0) });
 * const y = emb.forwardIndices(new Int32Array([1, 0, 4, 9]), [2, 2]); // [2, 2, 3]
 * console.log(y.shape, String(emb)); // [2, 2, 3] Embedding(10, 3, padding_idx=0)
 * ```
 */
export class Embedding extends Module {
  /** Number of rows (the vocabulary size). */
  readonly numEmbeddings: number;
  /** Length of each row. */
  readonly embeddingDim: number;
  /** The padding row (normalized to ≥ 0), or null. */
  readonly paddingIdx: number | null;
  /** The max-norm bound, or null. */
  readonly maxNorm: number | null;
  /** The p of the max-norm. */
  readonly normType: number;
  /** Whether gradients are divided by index frequency. */
  readonly scaleGradByFreq: boolean;
  /** W, [numEmbeddings, embeddingDim]. */
  readonly weight: Parameter;
  #cache: { indices: EmbeddingIndices; shape: readonly number[] } | null = null;
  readonly #buffers = new BufferCache();

  /**
   * @param numEmbeddings number of rows (≥ 1)
   * @param embeddingDim length of each row (≥ 1)
   */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    const where = "Cannot create Embedding";
    const {
      paddingIdx = null,
      maxNorm = null,
      normType = 2,
      scaleGradByFreq = false,
      rng,
    } = checkCall(where, arguments.length, 3, options, {
      paddingIdx: true,
      maxNorm: true,
      normType: true,
      scaleGradByFreq: true,
      rng: true,
    });
    this.numEmbeddings = integerAtLeast(numEmbeddings, "numEmbeddings", where, 1);
    this.embeddingDim = integerAtLeast(embeddingDim, "embeddingDim", where, 1);
    if (
      paddingIdx !== null &&
      !(Number.isInteger(paddingIdx) && paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings)
    ) {
      throw new RangeError(
        `${where}: expected paddingIdx to be null or an integer in [${-numEmbeddings}, ${
          numEmbeddings - 1
        }] (numEmbeddings ${numEmbeddings}), got ${describeValue(paddingIdx)}`,
      );
    }
    this.paddingIdx = paddingIdx === null || paddingIdx >= 0
      ? paddingIdx
      : paddingIdx + numEmbeddings;
    if (maxNorm !== null && !(typeof maxNorm === "number" && maxNorm > 0 && maxNorm < Infinity)) {
      throw new RangeError(
        `${where}: expected maxNorm to be null or a finite number > 0, got ${
          describeValue(maxNorm)
        }`,
      );
    }
    this.maxNorm = maxNorm;
    if (typeof normType !== "number" || !(normType > 0)) {
      throw new RangeError(
        `${where}: expected normType to be a number > 0 (Infinity allowed), got ${
          describeValue(normType)
        }`,
      );
    }
    this.normType = normType;
    this.scaleGradByFreq = boolean(scaleGradByFreq, "scaleGradByFreq", where);
    rngOption(rng, where);
    this.weight = new Parameter(Tensor.zeros([numEmbeddings, embeddingDim]));
    this.resetParameters(rng);
  }

  /** Re-draws the weight from N(0, 1) and zeroes the padding row, as PyTorch. */
  resetParameters(rng?: Rng): void {
    normal(this.weight.data, 0, 1, { rng });
    if (this.paddingIdx !== null) {
      const d = this.embeddingDim;
      this.weight.data.data.fill(0, this.paddingIdx * d, (this.paddingIdx + 1) * d);
    }
  }

  /** Looks up a Tensor of integer-valued indices: [*] → [*, embeddingDim]. */
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) {
      throw new TypeError(
        `Cannot run Embedding.forward: expected a Tensor of indices (or call forwardIndices(indices, shape)), got ${
          describeValue(input)
        }`,
      );
    }
    return this.#lookup(input.data, input.shape, "Embedding.forward");
  }

  /**
   * Looks up integer indices given as an Int32Array or Uint8Array viewed as `shape`
   * (default `[indices.length]`): output [...shape, embeddingDim].
   */
  forwardIndices(indices: Int32Array | Uint8Array, shape?: readonly number[]): Tensor {
    const where = "Cannot run Embedding.forwardIndices";
    if (!(indices instanceof Int32Array || indices instanceof Uint8Array)) {
      throw new TypeError(
        `${where}: expected indices as an Int32Array or Uint8Array, got ${describeValue(indices)}`,
      );
    }
    const dims = shape ?? [indices.length];
    checkShape(dims, where);
    if (sizeOf(dims) !== indices.length) {
      throw new TypeError(
        `${where}: shape ${formatShape(dims)} holds ${
          sizeOf(dims)
        } indices but ${indices.length} were given`,
      );
    }
    return this.#lookup(indices, dims, "Embedding.forwardIndices");
  }

  /** Accumulates dL/dW (scatter-add); returns zeros of the input's shape (indices have no gradient). */
  backward(gradOutput: Tensor): Tensor {
    const { shape } = this.#parameterGradients(gradOutput);
    const gx = this.#buffers.tensor("gradInput", shape, this.training, gradOutput.data);
    gx.data.fill(0);
    return gx;
  }

  /** Accumulates dL/dW only. */
  override backwardParameters(gradOutput: Tensor): void {
    this.#parameterGradients(gradOutput);
  }

  /** `weight`. */
  override ownParameters(): [string, Parameter][] {
    return [["weight", this.weight]];
  }

  /** `Embedding(10, 3, padding_idx=0, max_norm=1.0)`, as PyTorch prints it. */
  override toString(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) {
      s += `, norm_type=${this.normType === Infinity ? "inf" : pyFloat(this.normType)}`;
    }
    if (this.scaleGradByFreq) s += `, scale_grad_by_freq=True`;
    return `Embedding(${s})`;
  }

  #lookup(indices: EmbeddingIndices, shape: readonly number[], layer: string): Tensor {
    const bad = findInvalidIndex(indices, this.numEmbeddings);
    if (bad !== -1) {
      throw new RangeError(
        `Cannot run ${layer}: index ${indices[bad]} at position ${
          formatPosition(bad, shape)
        } is out of range (expected an integer in [0, ${
          this.numEmbeddings - 1
        }] for ${this.numEmbeddings} embeddings)`,
      );
    }
    const d = this.embeddingDim;
    const w = this.weight.data.data;
    if (this.maxNorm !== null) {
      const seen = this.#buffers.ints("seen", this.numEmbeddings, true);
      embeddingRenorm(w, indices, d, this.maxNorm, this.normType, seen);
    }
    // An index Tensor may be this layer's own last output: never write over it.
    const avoid = indices instanceof Float32Array ? indices : undefined;
    const y = this.#buffers.tensor("output", [...shape, d], this.training, avoid);
    embeddingForward(w, indices, y.data, d, 0, indices.length);
    this.#cache = { indices, shape };
    return y;
  }

  #parameterGradients(gradOutput: Tensor): { shape: readonly number[] } {
    if (this.#cache === null) throw noForwardError("Embedding");
    const { indices, shape } = this.#cache;
    checkGradOutput("Embedding", gradOutput, [...shape, this.embeddingDim]);
    let counts: Int32Array | null = null;
    if (this.scaleGradByFreq) {
      counts = this.#buffers.ints("counts", this.numEmbeddings, true);
      countIndices(indices, counts);
    }
    embeddingBackward(
      gradOutput.data,
      indices,
      this.weight.grad.data,
      this.embeddingDim,
      this.paddingIdx ?? -1,
      counts,
    );
    return { shape };
  }
}

/** `[1, 3]`: the multi-index of flat position `k` in `shape`. */
function formatPosition(k: number, shape: readonly number[]): string {
  const at: number[] = [];
  let rest = k;
  for (let i = shape.length - 1; i >= 0; i--) {
    at.unshift(rest % shape[i]);
    rest = Math.floor(rest / shape[i]);
  }
  return `[${at.join(", ")}]`;
}
