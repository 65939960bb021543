/**
 * Trainer: the interface shared by the in-process trainer (trainer/local_trainer.ts)
 * and the worker-based one (parallel/data_parallel.ts), and the config both are built from.
 *
 * A trainer owns a model, a loss and an optimizer; callers hand it data once
 * (`setData`) and then only batch indices (`step`), so the same training loop
 * drives one thread or many.
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { ModelSpec } from "../layers/spec.ts";
import type { OptimizerStateDict } from "../optim/optimizer.ts";

export type { ModelSpec, OptimizerStateDict };
export { NonFiniteError } from "./_non_finite.ts";

/**
 * An image set kept as bytes: `images` is `[N, C, H, W]` uint8, normalized on the fly
 * per batch as `x = (byte / 255 − mean[c]) / std[c]`.
 */
export interface ImageData {
  kind: "images";
  /** Pixels `[N, C, H, W]`, row-major, 0..255. */
  images: Uint8Array;
  /** `[N, C, H, W]`. */
  shape: readonly [number, number, number, number];
  /** Class indices `[N]`. */
  labels: Uint8Array | Int32Array;
  /** Per-channel mean, applied after ÷255 (length C). */
  mean: number[];
  /** Per-channel standard deviation, applied after ÷255 (length C). */
  std: number[];
}

/** A set of feature vectors `[N, F]` with class indices `[N]`. */
export interface VectorData {
  kind: "vectors";
  /** Features `[N, F]`, row-major. */
  x: Float32Array;
  /** `[N, F]`. */
  shape: readonly [number, number];
  /** Class indices `[N]`. */
  labels: Int32Array;
}

/**
 * A token sequence for language models (data/text.ts): sample i is the window
 * `tokens[i .. i + L]` (L = blockSize), so indices are window starts. A batch of N gives
 * x `[N, L]` (the first L ids, as floats for `Embedding`) and targets `[N·L]` (the next
 * character of each, int32) for a model that outputs `[N·L, vocabSize]` logits. Step and
 * eval results count windows in `count` and predicted tokens (N·L per batch) in `correct`
 * and `predictions`.
 */
export interface TokenData {
  kind: "tokens";
  /** Token ids, each in [0, vocabSize). */
  tokens: Int32Array;
  /** `[windows, L]`: windows = tokens.length − L. */
  shape: readonly [number, number];
  vocabSize: number;
}

/** What a trainer trains or evaluates on. */
export type TrainData = ImageData | VectorData | TokenData;

/** Training-time augmentation of image sets (never applied by `evaluate`). */
export interface Augment {
  /** Zero-pad by this many pixels on each side, then crop a random H×W window. @default 0 */
  cropPadding?: number;
  /** Flip horizontally with probability 0.5. @default false */
  flip?: boolean;
}

/** Result of one optimizer step. */
export interface StepResult {
  /** Mean loss over the global batch (before the update). */
  loss: number;
  /** Samples whose arg-max prediction equals the label. */
  correct: number;
  /** Samples in the batch. */
  count: number;
}

/** Result of an evaluation pass (eval mode, no gradients). */
export interface EvalResult {
  /** Mean loss over the evaluated samples. */
  loss: number;
  /** Samples whose arg-max prediction equals the label. */
  correct: number;
  /** Samples evaluated. */
  count: number;
  /** Arg-max class per evaluated sample, in the order of the indices. */
  predictions: Int32Array;
}

/** Loss config: `type` picks the class, the other fields are its constructor options (camelCase). */
export type LossConfig =
  & { type: "cross_entropy" | "mse" | "nll" | "bce_with_logits" }
  & Record<string, unknown>;

/** Optimizer config: `type` picks the optimizer, the other fields are its options (`lr`, `momentum`...). */
export type OptimizerConfig =
  & { type: "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad" | "lion" }
  & Record<string, unknown>;

/** Everything needed to build a trainer, in one or in many threads. */
export interface TrainerConfig {
  /** A JSON model spec (layers/spec.ts) or a module URL exporting `createModel(): Module`. */
  model: ModelSpec | { moduleUrl: string };
  loss: LossConfig;
  optimizer: OptimizerConfig;
  /** Seeds initialization (`manualSeed(seed)` before building the model), dropout and augmentation. */
  seed: number;
  /** Worker threads for parallel trainers. @default navigator.hardwareConcurrency */
  workers?: number;
}

/** Per-step hyperparameters of `Trainer.trainSteps` (each list as long as the batches). */
export interface TrainStepsOptions {
  /** Step i's learning rate. */
  lr?: ArrayLike<number>;
  /** Step i's param group (`paramGroups[0]` as a schedule leaves it before step i). */
  hyperparameters?: readonly ({ lr: number } & Record<string, unknown>)[];
}

/**
 * One model + loss + optimizer that trains on index batches of a dataset it was given once.
 *
 * Both implementations agree: the same config, data and index batches give the same
 * parameters (within float tolerance), and state dicts move between them.
 */
export interface Trainer {
  /** The optimizer's param groups; schedulers write `lr` here and it is read at each step. */
  readonly paramGroups: { lr: number }[];
  /** Installs a dataset for `split` (copied once); `augment` applies to training steps only. */
  setData(split: "train" | "test", data: TrainData, augment?: Augment): Promise<void>;
  /**
   * ONE optimizer step on the global batch `indices` (row numbers of the "train" split).
   * Rejects with a `NonFiniteError` on a non-finite loss or gradient (the step is not
   * applied) or a parameter the update made non-finite.
   */
  step(indices: Int32Array): Promise<StepResult>;
  /** Eval mode, no gradients, over `indices` (default: the whole split). */
  evaluate(split: "train" | "test", indices?: Int32Array): Promise<EvalResult>;
  /** Model weights and buffers by PyTorch key (copies). */
  stateDict(): Promise<Record<string, Tensor>>;
  /** Loads weights and buffers (strict, PyTorch keys). */
  loadStateDict(state: Record<string, Tensor>): Promise<void>;
  /** Optimizer state in optim/'s `Optimizer.stateDict()` format. */
  optimizerStateDict(): Promise<OptimizerStateDict>;
  /** Restores optimizer state written by `optimizerStateDict()` of either implementation. */
  loadOptimizerStateDict(state: OptimizerStateDict): Promise<void>;
  /** Releases threads and memory; idempotent. Any later call rejects. */
  close(): Promise<void>;
  /**
   * Optional: restarts the dropout and augmentation streams from `seed` (a loop calls it
   * at each epoch start with a seed derived from the run's, so a resumed run draws what
   * the uninterrupted one drew).
   */
  reseed?(seed: number): Promise<void>;
  /**
   * Optional: several `step`s in one call, for trainers that gain from batching the
   * calls (DataParallel: no message per step). Step i runs with `hyperparameters[i]` if
   * given (the param group as a per-step schedule leaves it before step i: lr and, for
   * OneCycle, momentum or betas), else with `paramGroups[0]`; `lr[i]` overrides its lr.
   * Stops at the first non-finite step with a `NonFiniteError` (its `stepIndex` says which
   * batch; the steps before it are applied).
   */
  trainSteps?(
    batches: readonly Int32Array[],
    options?: TrainStepsOptions,
  ): Promise<StepResult[]>;
}
