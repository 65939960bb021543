// deno-lint-ignore-file require-await -- Trainer methods are async by contract; the in-process ones have
// nothing to await, and `async` makes their errors rejections (as the parallel trainer's) instead of throws.

/**
 * LocalTrainer: the in-process `Trainer` — model, loss and optimizer in the calling
 * thread. It serves `--workers 1`, the tutorial's "train a model in code", and the
 * reference that the parallel trainer is compared with.
 */

import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache, reusingBuffers } from "../tensor/buffers.ts";
import { manualSeed, Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import {
  type BaseHyperparameters,
  Optimizer,
  type OptimizerStateDict,
} from "../optim/optimizer.ts";
import { optimizerRules } from "../optim/rules.ts";
import type {
  Augment,
  EvalResult,
  OptimizerConfig,
  StepResult,
  TrainData,
  Trainer,
  TrainerConfig,
} from "./trainer.ts";
import {
  type BatchSource,
  batchSource,
  countCorrect,
  createLoss,
  evaluateRows,
  gatherBatch,
  instantiateModel,
  type Loss,
  lossTarget,
  checkTrainerConfig,
} from "./_trainer_shared.ts";
import { findNonFinite, NonFiniteError } from "./_non_finite.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

export { countCorrect };
export type { Loss };

/** The parts of a LocalTrainer. */
export interface LocalTrainerParts {
  model: Module;
  loss: Loss;
  optimizer: Optimizer<BaseHyperparameters>;
  /** Drives augmentation (dropout uses the module-level generator). @default new Rng(0) */
  rng?: Rng;
  /**
   * Samples per forward pass in `evaluate`, per worker. Eval-mode layers allocate new outputs
   * (training mode reuses its buffers), and the garbage of large chunks outgrows the GC:
   * cifar-cnn at 128 peaks ~460 MB (Deno) / ~1.1 GB (Bun) a thread, at 32 as training does
   * (issue 16, README "Memory"). @default 32
   */
  evalBatchSize?: number;
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
  // The training batch's x, labels and one-hot targets, reused from step to step.
  readonly #batchBuffers = new BufferCache();
  readonly #evalBatchSize: number;
  readonly #classTargets: boolean;
  #splits: Partial<Record<"train" | "test", BatchSource>> = {};
  #closed = false;

  constructor(parts: LocalTrainerParts, options: { classTargets?: boolean } = {}) {
    const where = "Cannot create LocalTrainer";
    checkArgumentCount(where, arguments.length, 2);
    checkOptions(`${where}: parts`, parts, ["model", "loss", "optimizer", "rng", "evalBatchSize"]);
    checkOptions(where, options, ["classTargets"]);
    const { classTargets = true } = options;
    this.model = parts.model;
    this.loss = parts.loss;
    this.optimizer = parts.optimizer;
    this.#rng = parts.rng ?? new Rng(0);
    this.#evalBatchSize = parts.evalBatchSize ?? 32;
    this.#classTargets = classTargets;
  }

  /**
   * Builds model, loss and optimizer from a `TrainerConfig`: `manualSeed(seed)`, then the
   * model from its spec (or `createModel()` of `moduleUrl`), so the same seed gives the
   * same initial weights as the parallel trainer.
   */
  static async fromConfig(config: TrainerConfig): Promise<LocalTrainer> {
    checkTrainerConfig("Cannot create LocalTrainer", config, arguments.length, 1);
    const rng = manualSeed(config.seed);
    const model = await instantiateModel(config.model, { workerIndex: null, workers: 1 });
    const { loss, classTargets } = createLoss(config.loss, "Cannot create LocalTrainer");
    const optimizer = createOptimizer(config.optimizer, model);
    return new LocalTrainer({ model, loss, optimizer, rng: rng.fork(1) }, { classTargets });
  }

  /** The optimizer's param groups (schedulers write `lr` and, for OneCycle, `momentum`). */
  get paramGroups(): { lr: number }[] {
    return this.optimizer.paramGroups;
  }

  async setData(split: "train" | "test", data: TrainData, augment: Augment = {}): Promise<void> {
    this.#check("setData");
    this.#splits[split] = batchSource(data, augment);
  }

  async step(indices: Int32Array): Promise<StepResult> {
    this.#check("step");
    const split = this.#split("train", "step");
    const { x, labels } = gatherBatch(split, indices, true, this.#rng, this.#batchBuffers);
    this.model.train();
    this.optimizer.zeroGrad();
    const output = this.model.forward(x);
    const loss = this.loss.forward(output, lossTarget(this.#classTargets, labels, output, this.#batchBuffers));
    // Loss and gradients are checked before the update, so a non-finite one leaves the weights as they were.
    const where = "Cannot run LocalTrainer.step";
    if (!Number.isFinite(loss)) {
      throw new NonFiniteError(where, { kind: "loss", value: loss, parameter: null, element: -1 }, 0);
    }
    this.model.backwardParameters(this.loss.backward());
    const badGradient = findNonFinite(this.model, "gradient");
    if (badGradient !== null) throw new NonFiniteError(where, badGradient, 0);
    this.optimizer.step();
    const badParameter = findNonFinite(this.model, "parameter");
    if (badParameter !== null) throw new NonFiniteError(where, badParameter, 0);
    return { loss, correct: countCorrect(output, labels, null), count: indices.length };
  }

  async evaluate(split: "train" | "test", indices?: Int32Array): Promise<EvalResult> {
    this.#check("evaluate");
    const source = this.#split(split, "evaluate");
    const all = indices ?? Int32Array.from({ length: source.count }, (_, i) => i);
    // Each chunk's output is read before the next forward, so eval-mode layers may reuse their
    // buffers (as DataParallel's workers do) instead of leaving one set of garbage per chunk.
    const { lossSum, correct, predictions } = reusingBuffers(() =>
      evaluateRows(
        { model: this.model, loss: this.loss, classTargets: this.#classTargets, rng: this.#rng },
        source,
        all,
        this.#evalBatchSize,
      )
    );
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

  /** `await using trainer = await LocalTrainer.fromConfig(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #check(method: string): void {
    if (this.#closed) throw new Error(`Cannot run LocalTrainer.${method}: the trainer is closed`);
  }

  #split(name: "train" | "test", method: string): BatchSource {
    const split = this.#splits[name];
    if (split === undefined) {
      throw new Error(
        `Cannot run LocalTrainer.${method}: no "${name}" data; call setData("${name}", ...) first`,
      );
    }
    return split;
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
