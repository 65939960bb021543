/**
 * The workloads of bench/compare.ts: the `mlp` preset on MNIST-shaped inputs, the two CNNs
 * of data_parallel_bench.ts (the `lenet` preset on MNIST, the CIFAR CNN), and the two
 * character-level language models of train.ts (the `char-lstm` and `char-gpt` text presets
 * at their default sizes and batch, 65 characters as tiny Shakespeare), with the issues'
 * speed targets against PyTorch CPU.
 */

import type { ModelSpec } from "../layers/spec.ts";
import { PRESETS } from "../train/presets.ts";
import { type TextModelSizes, TEXT_PRESETS } from "../train/text_presets.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/rng.ts";
import { WORKLOADS } from "./data_parallel_bench.ts";

/** What a text workload adds: token windows instead of images, the preset's optimizer and init. */
export interface TextWorkload {
  vocabSize: number;
  blockSize: number;
  sizes: TextModelSizes;
  /** The preset's AdamW: lr, betas, weight decay (the peak lr; a schedule does not change the cost). */
  optimizer: { type: "adamw" | "adam"; lr: number; betas: [number, number]; weightDecay: number };
  /** The preset's initialization (train.ts applies it before training), if any. */
  initialize?(state: Record<string, Tensor>, sizes: TextModelSizes, rng: Rng): void;
}

/** A model, its input shape and batch size, and shardgrad ÷ PyTorch targets (if any). */
export interface CompareWorkload {
  /** Short name for `--only`. */
  key: "mlp" | "lenet" | "cifar" | "char-lstm" | "char-gpt";
  name: string;
  spec: ModelSpec;
  /** One sample: [C, H, W] for images, [L] token ids for text. */
  shape: number[];
  batch: number;
  /** Batches per `trainSteps()` call of the shardgrad contenders. */
  chunk: number;
  /** Minimum shardgrad 1 worker ÷ PyTorch 1 thread, and N workers ÷ N threads. */
  target: { one: number; many: number } | null;
  /** Set for the language models (x: [N, L] ids, targets [N·L]). */
  text?: TextWorkload;
}

const mnist: [number, number, number] = [1, 28, 28];

/** mlp, lenet, cifar: batch 64, 64 and 128; char-lstm and char-gpt: their presets' batch (32, 12) × block 64. */
export const COMPARE_WORKLOADS: CompareWorkload[] = [
  {
    key: "mlp",
    name: "MLP 784-256-128-10",
    spec: PRESETS.mlp.build({ sampleShape: mnist, numClasses: 10 }),
    shape: mnist,
    batch: 64,
    chunk: 16,
    target: null,
  },
  { ...WORKLOADS[0], key: "lenet", name: "lenet CNN (MNIST)", target: { one: 0.8, many: 1.0 } },
  { ...WORKLOADS[1], key: "cifar", name: "CIFAR CNN", target: { one: 0.5, many: 0.5 } },
  textWorkload("char-lstm", "char-lstm (2-layer LSTM 256)", 2),
  textWorkload("char-gpt", "char-gpt (nanoGPT CPU config)", 5),
];

/** The text preset `key` at its default sizes and batch, on a 65-character vocabulary. */
function textWorkload(key: "char-lstm" | "char-gpt", name: string, chunk: number): CompareWorkload {
  const preset = TEXT_PRESETS[key];
  const d = preset.defaults;
  const vocabSize = 65;
  return {
    key,
    name,
    spec: preset.build(vocabSize, d),
    shape: [d.blockSize],
    batch: d.batchSize,
    chunk,
    target: { one: 0.7, many: 0.7 },
    text: {
      vocabSize,
      blockSize: d.blockSize,
      sizes: d,
      optimizer: { type: d.optimizer, lr: d.lr, betas: d.betas, weightDecay: d.weightDecay },
      initialize: preset.initialize,
    },
  };
}
