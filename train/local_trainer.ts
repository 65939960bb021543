// deno-lint-ignore-file require-await -- Trainer methods are async by contract; the in-process ones have
// nothing to await, and `async` makes their errors rejections (as the parallel trainer's) instead of throws.

/**
 * LocalTrainer: the in-process `Trainer` — model, loss and optimizer in the calling
 * thread. It serves `--workers 1`, the tutorial's "train a model in code", and the
 * reference that the parallel trainer is compared with.
 */

import { Tensor } from "../tensor/tensor.ts";
import { manualSeed, Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import { buildModel } from "../layers/spec.ts";
import { BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss } from "../losses/mod.ts";
import {
  type BaseHyperparameters,
  Optimizer,
  type OptimizerStateDict,
} from "../optim/optimizer.ts";
import { optimizerRules } from "../optim/rules.ts";
import {
  compose,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
  type Transform,
} from "../data/transforms.ts";
import type {
  Augment,
  EvalResult,
  LossConfig,
  OptimizerConfig,
  StepResult,
  TrainData,
  Trainer,
  TrainerConfig,
} from "./trainer.ts";

/** What every loss of losses/ offers: `forward` returns the reduced loss, `backward` dL/dpred. */
export interface Loss {
  forward(prediction: Tensor, target: Tensor | Int32Array | Uint8Array): number;
  backward(): Tensor;
}

/** The parts of a LocalTrainer. */
export interface LocalTrainerParts {
  model: Module;
  loss: Loss;
  optimizer: Optimizer<BaseHyperparameters>;
  /** Drives augmentation (dropout uses the module-level generator). @default new Rng(0) */
  rng?: Rng;
  /** Samples per forward pass in `evaluate`. @default 500 */
  evalBatchSize?: number;
}

/** Losses whose targets are class indices; the others get one-hot float targets `[B, K]`. */
const LOSSES: Record<
  LossConfig["type"],
  { create: (o: Record<string, unknown>) => Loss; classTargets: boolean }
> = {
  cross_entropy: { create: (o) => new CrossEntropyLoss(o), classTargets: true },
  nll: { create: (o) => new NLLLoss(o), classTargets: true },
  mse: { create: (o) => new MSELoss(o), classTargets: false },
  bce_with_logits: { create: (o) => new BCEWithLogitsLoss(o), classTargets: false },
};

interface Split {
  data: TrainData;
  transform: Transform;
  augment: Transform | null;
}

/**
 * Trains one model in the calling thread on index batches of data it was given once.
 *
 * @example
 * ```ts
 * import { LocalTrainer } from "./local_trainer.ts";
 * const trainer = await LocalTrainer.fromConfig({
 *   model: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2 }] },
 *   loss: { type: "cross_entropy" },
 *   optimizer: { type: "sgd", lr: 0.1 },
 *   seed: 0,
 * });
 * await trainer.setData("train", { kind: "vectors", x: new Float32Array([0, 1, 1, 0]), shape: [2, 2], labels: new Int32Array([1, 0]) });
 * const { loss } = await trainer.step(new Int32Array([0, 1]));
 * console.log(loss > 0); // true
 * ```
 */
export class LocalTrainer implements Trainer {
  readonly model: Module;
  readonly loss: Loss;
  readonly optimizer: Optimizer<BaseHyperparameters>;
  readonly #rng: Rng;
  readonly #evalBatchSize: number;
  readonly #classTargets: boolean;
  #splits: Partial<Record<"train" | "test", Split>> = {};
  #closed = false;

  constructor(parts: LocalTrainerParts, { classTargets = true }: { classTargets?: boolean } = {}) {
    this.model = parts.model;
    this.loss = parts.loss;
    this.optimizer = parts.optimizer;
    this.#rng = parts.rng ?? new Rng(0);
    this.#evalBatchSize = parts.evalBatchSize ?? 500;
    this.#classTargets = classTargets;
  }

  /**
   * Builds model, loss and optimizer from a `TrainerConfig`: `manualSeed(seed)`, then the
   * model from its spec (or `createModel()` of `moduleUrl`), so the same seed gives the
   * same initial weights as the parallel trainer.
   */
  static async fromConfig(config: TrainerConfig): Promise<LocalTrainer> {
    const rng = manualSeed(config.seed);
    const model = "moduleUrl" in config.model
      ? (await import(config.model.moduleUrl) as { createModel(): Module }).createModel()
      : buildModel(config.model);
    const { type: lossType, ...lossOptions } = config.loss;
    const entry = LOSSES[lossType];
    if (entry === undefined) {
      throw new TypeError(`Cannot create LocalTrainer: unknown loss "${lossType}"`);
    }
    const optimizer = createOptimizer(config.optimizer, model);
    return new LocalTrainer(
      { model, loss: entry.create(lossOptions), optimizer, rng: rng.fork(1) },
      {
        classTargets: entry.classTargets,
      },
    );
  }

  /** The optimizer's param groups (schedulers write `lr` and, for OneCycle, `momentum`). */
  get paramGroups(): { lr: number }[] {
    return this.optimizer.paramGroups;
  }

  async setData(split: "train" | "test", data: TrainData, augment: Augment = {}): Promise<void> {
    this.#check("setData");
    const steps: Transform[] = [];
    if (data.kind === "images") {
      const [, , h, w] = data.shape;
      const crop = augment.cropPadding ?? 0;
      if (crop > 0) steps.push(randomCrop([h, w], { padding: crop }));
      if (augment.flip) steps.push(randomHorizontalFlip());
    }
    const transform = data.kind === "images"
      ? compose([toFloat(), normalize(data.mean, data.std)])
      : (x: Tensor) => x;
    this.#splits[split] = { data, transform, augment: steps.length > 0 ? compose(steps) : null };
  }

  async step(indices: Int32Array): Promise<StepResult> {
    this.#check("step");
    const split = this.#split("train", "step");
    const { x, labels } = this.#batch(split, indices, true);
    this.model.train();
    this.optimizer.zeroGrad();
    const output = this.model.forward(x);
    const loss = this.loss.forward(output, this.#target(labels, output));
    // A non-finite loss leaves the weights as they were; the caller reports it.
    if (Number.isFinite(loss)) {
      this.model.backward(this.loss.backward());
      this.optimizer.step();
    }
    return { loss, correct: countCorrect(output, labels, null), count: indices.length };
  }

  async evaluate(split: "train" | "test", indices?: Int32Array): Promise<EvalResult> {
    this.#check("evaluate");
    const s = this.#split(split, "evaluate");
    const n = s.data.shape[0];
    const all = indices ?? Int32Array.from({ length: n }, (_, i) => i);
    const predictions = new Int32Array(all.length);
    let lossSum = 0;
    let correct = 0;
    this.model.eval();
    for (let start = 0; start < all.length; start += this.#evalBatchSize) {
      const chunk = all.subarray(start, Math.min(all.length, start + this.#evalBatchSize));
      const { x, labels } = this.#batch(s, chunk, false);
      const output = this.model.forward(x);
      lossSum += this.loss.forward(output, this.#target(labels, output)) * chunk.length;
      correct += countCorrect(output, labels, predictions.subarray(start, start + chunk.length));
    }
    this.model.train();
    return {
      loss: all.length > 0 ? lossSum / all.length : NaN,
      correct,
      count: all.length,
      predictions,
    };
  }

  async stateDict(): Promise<Record<string, Tensor>> {
    this.#check("stateDict");
    const out: Record<string, Tensor> = {};
    for (const [key, t] of Object.entries(this.model.stateDict())) out[key] = t.clone();
    return out;
  }

  async loadStateDict(state: Record<string, Tensor>): Promise<void> {
    this.#check("loadStateDict");
    this.model.loadStateDict(state);
  }

  async optimizerStateDict(): Promise<OptimizerStateDict> {
    this.#check("optimizerStateDict");
    return this.optimizer.stateDict();
  }

  async loadOptimizerStateDict(state: OptimizerStateDict): Promise<void> {
    this.#check("loadOptimizerStateDict");
    this.optimizer.loadStateDict(state);
  }

  /**
   * Restarts the random streams of dropout (the module-level generator) and augmentation
   * from `seed`. The loop calls it at the start of every epoch with a seed derived from
   * (run seed, epoch), so a resumed run draws exactly what the uninterrupted one drew.
   */
  async reseed(seed: number): Promise<void> {
    manualSeed(seed);
    this.#rng.seed(seed ^ 0x5bd1e995);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#splits = {};
  }

  #check(method: string): void {
    if (this.#closed) throw new Error(`Cannot run LocalTrainer.${method}: the trainer is closed`);
  }

  #split(name: "train" | "test", method: string): Split {
    const split = this.#splits[name];
    if (split === undefined) {
      throw new Error(
        `Cannot run LocalTrainer.${method}: no "${name}" data; call setData("${name}", ...) first`,
      );
    }
    return split;
  }

  /** Gathers rows `indices` as float32 `[B, ...]`, augments (training only), converts and normalizes. */
  #batch(split: Split, indices: Int32Array, training: boolean): { x: Tensor; labels: Int32Array } {
    const { data } = split;
    const n = data.shape[0];
    const size = data.kind === "images"
      ? data.shape[1] * data.shape[2] * data.shape[3]
      : data.shape[1];
    const source = data.kind === "images" ? data.images : data.x;
    const buffer = new Float32Array(indices.length * size);
    const labels = new Int32Array(indices.length);
    for (let b = 0; b < indices.length; b++) {
      const row = indices[b];
      if (!(row >= 0 && row < n)) {
        throw new RangeError(`Cannot gather a batch: index ${row} is outside [0, ${n})`);
      }
      const src = row * size;
      for (let k = 0; k < size; k++) buffer[b * size + k] = source[src + k];
      labels[b] = data.labels[row];
    }
    let x = new Tensor(buffer, [indices.length, ...data.shape.slice(1)]);
    if (training && split.augment !== null) x = split.augment(x, this.#rng);
    return { x: split.transform(x, this.#rng), labels };
  }

  #target(labels: Int32Array, output: Tensor): Tensor | Int32Array {
    if (this.#classTargets) return labels;
    const k = output.shape[1];
    const onehot = new Float32Array(labels.length * k);
    for (let i = 0; i < labels.length; i++) onehot[i * k + labels[i]] = 1;
    return new Tensor(onehot, [labels.length, k]);
  }
}

/** Builds `config.type`'s optimizer over the model's parameters with the config's other fields as options. */
export function createOptimizer(
  config: OptimizerConfig,
  model: Module,
): Optimizer<BaseHyperparameters> {
  const { type, ...options } = config;
  const rule = optimizerRules[type];
  if (rule === undefined) throw new TypeError(`Cannot create optimizer: unknown type "${type}"`);
  return new Optimizer(rule as never, model.parameters(), options as never);
}

/** Counts rows of `output` `[B, K]` whose arg-max (first maximum on ties) equals the label; writes it to `into`. */
export function countCorrect(output: Tensor, labels: Int32Array, into: Int32Array | null): number {
  const [b, k] = [output.shape[0], output.size / Math.max(1, output.shape[0])];
  const d = output.data;
  let correct = 0;
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (d[i * k + j] > d[i * k + best]) best = j;
    if (into !== null) into[i] = best;
    if (best === labels[i]) correct++;
  }
  return correct;
}
