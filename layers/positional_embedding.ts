/** PositionalEmbedding: token embedding plus a learned position embedding (GPT's wte + wpe). */

import { Module } from "./module.ts";
import { Embedding } from "./embedding.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { addRowsBackward, addRowsForward } from "../tensor/kernels/mod.ts";
import {
  boolean,
  checkCall,
  checkGradOutput,
  formatChildren,
  integerAtLeast,
  noForwardError,
  rngOption,
} from "./_common.ts";
import { formatShape } from "../tensor/shape.ts";

/** Options of {@linkcode PositionalEmbedding}. */
export interface PositionalEmbeddingOptions {
  /** Indices are [N, L] (output [N, L, E]) instead of [L, N] (output [L, N, E]). @default false */
  batchFirst?: boolean;
  /** Generator of the initial weights. @default defaultRng() */
  rng?: Rng;
}

/**
 * y[n, t] = wte.weight[x[n, t]] + wpe.weight[t]: what GPT-style models write as
 * `self.wte(idx) + self.wpe(torch.arange(T))` with two torch.nn.Embedding (not a torch.nn class).
 *
 * Input: a Tensor of integer-valued token ids, [L, N] (or [N, L] with batchFirst; unbatched
 * [L]), L ≤ maxLength. Output: [L, N, E] ([N, L, E]; unbatched [L, E]).
 *
 * Parameters: the children `wte` (Embedding(numEmbeddings, embeddingDim)) and `wpe`
 * (Embedding(maxLength, embeddingDim)), keys "wte.weight" and "wpe.weight", both N(0, 1) as
 * Embedding (nanoGPT re-initializes them N(0, 0.02); load a state dict for that).
 *
 * Backward: scatters dL/dy into wte.weight.grad, sums it over the batch into the first L rows
 * of wpe.weight.grad; returns zeros of the input's shape (indices have no gradient).
 *
 * @example
 * ```ts
 * import { PositionalEmbedding } from "./positional_embedding.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const emb = new PositionalEmbedding(65, 16, 8, { batchFirst: true });
 * console.log(emb.forward(Tensor.zeros([4, 8])).shape, Object.keys(emb.stateDict())); // [4, 8, 16] ["wte.weight", "wpe.weight"]
 * ```
 */
export class PositionalEmbedding extends Module {
  readonly maxLength: number;
  readonly batchFirst: boolean;
  /** Token embedding [numEmbeddings, embeddingDim]. */
  readonly wte: Embedding;
  /** Position embedding [maxLength, embeddingDim]. */
  readonly wpe: Embedding;
  #cache: { shape: readonly number[]; outer: number; len: number; rowsOuter: boolean } | null =
    null;
  readonly #buffers = new BufferCache();

  /**
   * @param numEmbeddings vocabulary size (≥ 1)
   * @param embeddingDim E (≥ 1)
   * @param maxLength the longest sequence, the rows of wpe (≥ 1; GPT's block size)
   */
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    maxLength: number,
    options: PositionalEmbeddingOptions = {},
  ) {
    super();
    const where = "Cannot create PositionalEmbedding";
    const { batchFirst = false, rng } = checkCall(where, arguments.length, 4, options, {
      batchFirst: true,
      rng: true,
    });
    this.batchFirst = boolean(batchFirst, "batchFirst", where);
    rngOption(rng, where);
    integerAtLeast(numEmbeddings, "numEmbeddings", where, 1);
    integerAtLeast(embeddingDim, "embeddingDim", where, 1);
    this.maxLength = integerAtLeast(maxLength, "maxLength", where, 1);
    this.wte = new Embedding(numEmbeddings, embeddingDim, { rng });
    this.wpe = new Embedding(maxLength, embeddingDim, { rng });
  }

  /** Token rows plus position rows; see the class doc for shapes. */
  forward(input: Tensor): Tensor {
    const s = input.shape;
    const timeAxis = s.length === 2 && !this.batchFirst ? 0 : s.length - 1;
    if (s.length < 1 || s.length > 2 || s.includes(0) || s[timeAxis] > this.maxLength) {
      const layout = this.batchFirst ? "[N, L]" : "[L, N]";
      throw new TypeError(
        `Cannot run PositionalEmbedding.forward: expected token ids ${layout} (or [L]) with 1 ≤ L ≤ maxLength ${this.maxLength}, got ${
          formatShape(s)
        }`,
      );
    }
    const len = s[timeAxis];
    const outer = s.length === 1 ? 1 : s[1 - timeAxis];
    const rowsOuter = timeAxis === 0 && s.length === 2;
    const tokens = this.wte.forward(input);
    const y = this.#buffers.tensor("output", tokens.shape, this.training, input.data);
    y.data.set(tokens.data);
    addRowsForward(y.data, this.wpe.weight.data.data, outer, len, this.wpe.embeddingDim, rowsOuter);
    this.#cache = { shape: y.shape, outer, len, rowsOuter };
    return y;
  }

  /** Accumulates into wte.weight.grad and wpe.weight.grad; returns zeros of the input's shape. */
  backward(gradOutput: Tensor): Tensor {
    this.#positionGradient(gradOutput);
    return this.wte.backward(gradOutput);
  }

  /** The parameter gradients only. */
  override backwardParameters(gradOutput: Tensor): void {
    this.#positionGradient(gradOutput);
    this.wte.backwardParameters(gradOutput);
  }

  #positionGradient(gradOutput: Tensor): void {
    if (this.#cache === null) throw noForwardError("PositionalEmbedding");
    const { shape, outer, len, rowsOuter } = this.#cache;
    checkGradOutput("PositionalEmbedding", gradOutput, shape);
    const e = this.wpe.embeddingDim;
    addRowsBackward(gradOutput.data, this.wpe.weight.grad.data, outer, len, e, rowsOuter);
  }

  /** `[["wte", wte], ["wpe", wpe]]`. */
  override children(): [string, Module][] {
    return [["wte", this.wte], ["wpe", this.wpe]];
  }

  /** `PositionalEmbedding(\n  (wte): Embedding(65, 16)\n  (wpe): Embedding(8, 16)\n)`. */
  override toString(): string {
    return formatChildren("PositionalEmbedding", this.children());
  }
}
