/**
 * Character-level language-model presets for `train.ts --dataset text`: named model specs
 * sized by the vocabulary and the size flags, each with the iteration-based settings it
 * trains with (nanoGPT's: iterations, warmup + cosine decay, evaluation every K iterations).
 */

import type { LayerSpec, ModelSpec } from "../layers/spec.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { normal } from "../tensor/init.ts";
import type { Rng } from "../tensor/rng.ts";

/** Model sizes a text preset takes (`--n-layer`, `--n-head`, `--n-embd`, `--hidden-size`, `--block-size`). */
export interface TextModelSizes {
  /** Layers (LSTM layers or transformer blocks). */
  nLayer: number;
  /** Attention heads (char-gpt). */
  nHead: number;
  /** Embedding width. */
  nEmbd: number;
  /** LSTM hidden size (char-lstm). */
  hiddenSize: number;
  /** Characters of context (the window is blockSize + 1 characters). */
  blockSize: number;
}

/** Training settings of a text preset; flags override each. */
export interface TextTrainingDefaults extends TextModelSizes {
  /** Optimizer steps. */
  iters: number;
  /** Windows per step. */
  batchSize: number;
  optimizer: "adamw" | "adam";
  /** Peak learning rate (after warmup). */
  lr: number;
  /** Learning rate at and after `iters` (cosine decay from `lr`). */
  minLr: number;
  /** Linear warmup steps. */
  warmupIters: number;
  weightDecay: number;
  /** Adam's (β1, β2). */
  betas: [number, number];
  /** Evaluate train and val loss every this many iterations. */
  evalInterval: number;
  /** Batches per split in each evaluation. */
  evalIters: number;
}

/** A named text model. */
export interface TextPreset {
  name: string;
  description: string;
  /** The sizes `build` reads (a size flag it does not read is refused). */
  sizes: readonly (keyof TextModelSizes)[];
  /** The spec for a vocabulary of `vocabSize` characters; outputs [N·L, vocabSize] logits. */
  build(vocabSize: number, sizes: TextModelSizes): ModelSpec;
  defaults: TextTrainingDefaults;
  /**
   * The preset's own initialization, written into the freshly built model's state dict
   * (in place) before training; absent: the layers' PyTorch defaults.
   */
  initialize?(state: Record<string, Tensor>, sizes: TextModelSizes, rng: Rng): void;
}

/** The last layer of every text model: [N, L, V] logits → [N·L, V] rows for CrossEntropyLoss. */
const FLATTEN_TOKENS: LayerSpec = { type: "flatten", startDim: 0, endDim: 1 };

/**
 * The text presets by name.
 *
 * char-lstm: Embedding(V, 64) → LSTM(64, 256, 2 layers, batch_first) → Linear(256, V), 0.88M
 * parameters for V = 65. Why these sizes: char-rnn's recommended tiny-Shakespeare model is a
 * 2-layer LSTM of a few hundred units, and at 256 it has about as many parameters as char-gpt
 * (0.80M), so the two presets compare at equal size; an embedding of 64 is ample for 65
 * characters. Batch 32 × block 64 (2048 characters per step, vs char-gpt's 768) because an
 * LSTM step costs less per character than attention and its gradient is noisier; AdamW at
 * lr 2e-3 (char-rnn's lr) with nanoGPT's warmup and cosine decay to a tenth, β2 0.99 (small
 * batches, as nanoGPT's shakespeare_char), no weight decay (char-rnn uses none).
 *
 * char-gpt: nanoGPT's CPU configuration of shakespeare_char (4 layers, 4 heads, 128 wide,
 * block 64, batch 12, no dropout, AdamW lr 1e-3 → 1e-4 cosine over 2000 iterations after 100
 * of warmup, β2 0.99, weight decay 0.1, evaluation every 250 iterations on 20 batches) and
 * nanoGPT's initialization (`nanoGptInit`). Differences a Sequential spec implies: the head
 * is not tied to the token embedding and has a bias, and Linear/LayerNorm keep biases
 * (nanoGPT's `bias=False`); weight decay applies to every parameter (one param group).
 */
export const TEXT_PRESETS: Record<string, TextPreset> = {
  "char-lstm": {
    name: "char-lstm",
    description:
      "Embedding(V, n-embd 64) → LSTM(n-embd, hidden-size 256, n-layer 2, batch_first) → Linear(hidden, V)",
    sizes: ["nLayer", "nEmbd", "hiddenSize", "blockSize"],
    build(vocabSize, { nLayer, nEmbd, hiddenSize }) {
      return {
        layers: [
          { type: "embedding", numEmbeddings: vocabSize, embeddingDim: nEmbd },
          { type: "lstm", inputSize: nEmbd, hiddenSize, numLayers: nLayer, batchFirst: true },
          { type: "linear", inFeatures: hiddenSize, outFeatures: vocabSize },
          FLATTEN_TOKENS,
        ],
      };
    },
    defaults: {
      nLayer: 2,
      nHead: 1,
      nEmbd: 64,
      hiddenSize: 256,
      blockSize: 64,
      iters: 2000,
      batchSize: 32,
      optimizer: "adamw",
      lr: 2e-3,
      minLr: 2e-4,
      warmupIters: 100,
      weightDecay: 0,
      betas: [0.9, 0.99],
      evalInterval: 250,
      evalIters: 20,
    },
  },
  "char-gpt": {
    name: "char-gpt",
    description:
      "nanoGPT: PositionalEmbedding(V, n-embd 128, block) → n-layer 4 × TransformerEncoderLayer(n-embd, n-head 4, 4·n-embd, gelu, pre-norm, causal) → LayerNorm → Linear(n-embd, V)",
    sizes: ["nLayer", "nHead", "nEmbd", "blockSize"],
    build(vocabSize, { nLayer, nHead, nEmbd, blockSize }) {
      if (nEmbd % nHead !== 0) {
        throw new RangeError(
          `Cannot build preset "char-gpt": n-embd ${nEmbd} is not divisible by n-head ${nHead}`,
        );
      }
      const block: LayerSpec = {
        type: "transformerencoderlayer",
        dModel: nEmbd,
        nhead: nHead,
        dimFeedforward: 4 * nEmbd,
        dropout: 0,
        activation: "gelu",
        batchFirst: true,
        normFirst: true,
        isCausal: true,
      };
      return {
        layers: [
          {
            type: "positionalembedding",
            numEmbeddings: vocabSize,
            embeddingDim: nEmbd,
            maxLength: blockSize,
            batchFirst: true,
          },
          ...Array.from({ length: nLayer }, () => ({ ...block })),
          { type: "layernorm", normalizedShape: [nEmbd] },
          { type: "linear", inFeatures: nEmbd, outFeatures: vocabSize },
          FLATTEN_TOKENS,
        ],
      };
    },
    initialize: nanoGptInit,
    defaults: {
      nLayer: 4,
      nHead: 4,
      nEmbd: 128,
      hiddenSize: 128,
      blockSize: 64,
      iters: 2000,
      batchSize: 12,
      optimizer: "adamw",
      lr: 1e-3,
      minLr: 1e-4,
      warmupIters: 100,
      weightDecay: 0.1,
      betas: [0.9, 0.99],
      evalInterval: 250,
      evalIters: 20,
    },
  },
};

/** Text preset names, for `--help` and validation. */
export const TEXT_PRESET_NAMES = Object.keys(TEXT_PRESETS);

/**
 * nanoGPT's learning rate at iteration `it` (0-based): linear warmup to `lr` over
 * `warmupIters` ((it + 1) / (warmupIters + 1) of it), cosine decay from `lr` to `minLr`
 * until `decayIters`, `minLr` after.
 */
export function textLearningRate(
  it: number,
  { lr, minLr, warmupIters, decayIters }: {
    lr: number;
    minLr: number;
    warmupIters: number;
    decayIters: number;
  },
): number {
  if (it < warmupIters) return (lr * (it + 1)) / (warmupIters + 1);
  if (it > decayIters) return minLr;
  const ratio = decayIters > warmupIters ? (it - warmupIters) / (decayIters - warmupIters) : 1;
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
}

/**
 * nanoGPT's `_init_weights`: every matrix (Linear, attention in-projection, token and
 * position embeddings) N(0, 0.02²), the two projections back into the residual stream
 * (attention `out_proj`, MLP `linear2`: nanoGPT's `c_proj`) N(0, (0.02/√(2·nLayer))²),
 * biases 0; LayerNorm weights stay 1.
 */
export function nanoGptInit(
  state: Record<string, Tensor>,
  { nLayer }: TextModelSizes,
  rng: Rng,
): void {
  for (const [key, t] of Object.entries(state)) {
    if (key.endsWith("bias")) t.data.fill(0);
    else if (t.shape.length === 2) {
      const residual = key.endsWith("out_proj.weight") || key.endsWith("linear2.weight");
      normal(t, 0, residual ? 0.02 / Math.sqrt(2 * nLayer) : 0.02, { rng });
    }
  }
}
