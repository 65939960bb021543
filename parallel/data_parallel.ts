/**
 * DataParallel: one model trained on N Workers that share parameters, gradients and
 * optimizer state through SharedArrayBuffer (the `Trainer` of train/trainer.ts).
 */

import type { Tensor } from "../tensor/tensor.ts";
import { manualSeed } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import type { BaseHyperparameters, OptimizerStateDict } from "../optim/optimizer.ts";
import { type AnyUpdateRule, type OptimizerName, optimizerRules } from "../optim/rules.ts";
import type {
  Augment,
  EvalResult,
  StepResult,
  TrainData,
  Trainer,
  TrainerConfig,
  TrainStepsOptions,
} from "../train/trainer.ts";
import { createLoss, instantiateModel } from "../train/_trainer_shared.ts";
import {
  allocateState,
  type Arenas,
  arenasForModel,
  type FlatLayout,
  modelLayouts,
  packTensors,
  splitRange,
  unpackTensors,
} from "./arena.ts";
import { Barrier } from "./barrier.ts";
import { controlWords, shareData, type StepReply, WorkerError } from "./protocol.ts";
import { WorkerPool } from "./_pool.ts";
import { checkOptimizerState, exportOptimizerState } from "./_optimizer_state.ts";

export { WorkerError };

/** Options of `DataParallel.create` beyond the `TrainerConfig`. */
export interface DataParallelOptions {
  /** How long a worker waits at a barrier for the others before the step fails. @default 60000 */
  timeoutMs?: number;
  /** Samples per forward pass in `evaluate`. @default 500 */
  evalBatchSize?: number;
}

/** Where the time of the last step went, in milliseconds. */
export interface StepTimings {
  /** Main thread: from `step()` to its result. */
  wallMs: number;
  /** Slowest worker's batch gathering + forward + backward. */
  computeMs: number;
  /** Slowest worker's reduce-scatter + optimizer update of its slice. */
  updateMs: number;
  /** The rest: messages, barrier waits, load imbalance (`wall − compute − update`). */
  syncMs: number;
}

/**
 * Data-parallel training on Workers (PyTorch's DistributedDataParallel on one machine).
 *
 * Parameters live once in a SharedArrayBuffer, flat in `parameters()` order; every
 * worker builds the model from the same spec (or `createModel()` of a module URL) and
 * binds its Parameter views to that memory. A step sends each worker only its shard of
 * the batch indices; the worker gathers and normalizes its rows from the shared uint8
 * dataset, runs forward/backward into its own gradient slot (the shard's mean-loss
 * gradient × shard/global size, so the sum equals one big batch), meets the others at
 * a barrier, sums its slice of the parameter vector over all slots (reduce-scatter),
 * applies the optimizer's pure update rule to that slice, and meets them again.
 *
 * BatchNorm uses per-shard batch statistics; running statistics are worker 0's.
 * Dropout and augmentation draw from per-worker streams (worker 0 uses `seed` itself,
 * so one worker reproduces LocalTrainer). A worker that throws, exits or misses a
 * barrier makes the call reject with a `WorkerError` naming it, after which the trainer
 * is closed. `close()` terminates every worker.
 *
 * @example
 * ```ts ignore
 * import { DataParallel } from "./data_parallel.ts";
 * const dp = await DataParallel.create({
 *   model: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2 }] },
 *   loss: { type: "cross_entropy" }, optimizer: { type: "sgd", lr: 0.1 }, seed: 0, workers: 2,
 * });
 * await dp.setData("train", { kind: "vectors", x: new Float32Array([0, 1, 1, 0]), shape: [2, 2], labels: new Int32Array([1, 0]) });
 * console.log((await dp.step(new Int32Array([0, 1]))).loss);
 * await dp.close();
 * ```
 */
export class DataParallel implements Trainer {
  /** Number of workers. */
  readonly workers: number;
  /** The main thread's copy of the model; its parameters are views of the shared parameters (read them, don't train it). */
  readonly model: Module;
  /** The optimizer's update rule. */
  readonly rule: AnyUpdateRule;
  /** One param group; schedulers write `lr` (and momentum/betas) here, read at each step. */
  readonly paramGroups: (BaseHyperparameters & Record<string, unknown>)[];
  /** Timings of the last step. */
  lastStepTimings: StepTimings | null = null;
  readonly #pool: WorkerPool;
  readonly #arenas: Arenas;
  readonly #layouts: { params: FlatLayout; buffers: FlatLayout };
  readonly #barrier: Barrier;
  readonly #sizes: Partial<Record<"train" | "test", number>> = {};
  /** State buffers allocated since the workers last heard of them. */
  readonly #unsent = new Set<string>();
  #steps = 0;
  #busy = false;
  #closed = false;

  private constructor(
    parts: {
      workers: number;
      model: Module;
      rule: AnyUpdateRule;
      hp: BaseHyperparameters;
      pool: WorkerPool;
      arenas: Arenas;
    },
    timeoutMs: number,
  ) {
    this.workers = parts.workers;
    this.model = parts.model;
    this.rule = parts.rule;
    this.paramGroups = [{ ...parts.hp }];
    this.#pool = parts.pool;
    this.#arenas = parts.arenas;
    this.#layouts = modelLayouts(parts.model);
    this.#barrier = new Barrier(new Int32Array(parts.arenas.control), parts.workers, timeoutMs);
  }

  /**
   * Builds the model on the main thread (`manualSeed(seed)` first, so the initial weights
   * equal LocalTrainer's), allocates the arenas and starts `config.workers` workers
   * (default `navigator.hardwareConcurrency`), each building and binding its copy.
   */
  static async create(
    config: TrainerConfig,
    options: DataParallelOptions = {},
  ): Promise<DataParallel> {
    const where = "Cannot create DataParallel";
    const workers = config.workers ?? navigator.hardwareConcurrency ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`${where}: expected workers to be an integer ≥ 1, got ${workers}`);
    }
    const { timeoutMs = 60_000, evalBatchSize = 500 } = options;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`${where}: expected timeoutMs > 0, got ${timeoutMs}`);
    }
    if (!Number.isInteger(evalBatchSize) || evalBatchSize < 1) {
      throw new RangeError(`${where}: expected evalBatchSize ≥ 1, got ${evalBatchSize}`);
    }
    const { type: optimizerType, ...optimizerOptions } = config.optimizer;
    const rule = (optimizerRules as Record<string, AnyUpdateRule>)[optimizerType];
    if (rule === undefined) {
      throw new TypeError(`${where}: unknown optimizer type "${optimizerType}"`);
    }
    const hp = rule.validate(optimizerOptions, `${where}: optimizer`);
    createLoss(config.loss, where); // type and options errors surface here, on the main thread

    manualSeed(config.seed);
    const model = await instantiateModel(config.model, { workerIndex: null, workers });
    const initialState: Record<string, number> = {};
    for (const name of rule.stateNames(hp)) initialState[name] = rule.initialState(name, hp);
    const { layouts, arenas } = arenasForModel(model, workers, controlWords(workers), initialState);

    const pool = new WorkerPool(workers);
    const dp = new DataParallel({ workers, model, rule, hp, pool, arenas }, timeoutMs);
    try {
      await pool.ready("DataParallel.create");
      await pool.run("DataParallel.create", (remote, i) =>
        remote.init({
          workerIndex: i,
          workers,
          model: config.model,
          loss: config.loss,
          optimizer: optimizerType as OptimizerName,
          seed: config.seed,
          arenas,
          params: layouts.params,
          buffers: layouts.buffers,
          timeoutMs,
          evalBatchSize,
        }));
    } catch (error) {
      await dp.close();
      throw error;
    }
    return dp;
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** True after `close()` (or after a worker failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Copies `data` once into shared memory (images stay uint8) and hands it to every worker. */
  async setData(split: "train" | "test", data: TrainData, augment: Augment = {}): Promise<void> {
    await this.#exclusive("setData", async () => {
      const shared = shareData(data);
      await this.#pool.run(
        "DataParallel.setData",
        (remote) => remote.setData(split, shared, augment),
      );
      this.#sizes[split] = data.shape[0];
    });
  }

  /** One optimizer step on the global batch `indices` of "train" (sharded in order over the workers). */
  async step(indices: Int32Array): Promise<StepResult> {
    return await this.#exclusive(
      "step",
      async () => (await this.#train("step", [indices], {}))[0],
    );
  }

  /**
   * Several steps in one call: the workers run them back to back, meeting only at their
   * barriers, with no message to or from this thread between steps (the fast path for
   * a whole epoch). Step i uses `hyperparameters[i]` if given (a per-step schedule's
   * param group, e.g. OneCycle's lr and momentum), else `paramGroups[0]`, with its lr
   * replaced by `lr[i]` if given. `lastStepTimings` then holds per-step averages.
   */
  async trainSteps(
    batches: readonly Int32Array[],
    { lr, hyperparameters }: TrainStepsOptions = {},
  ): Promise<StepResult[]> {
    return await this.#exclusive("trainSteps", async () => {
      const where = "Cannot run DataParallel.trainSteps";
      if (lr !== undefined && lr.length !== batches.length) {
        throw new TypeError(
          `${where}: ${batches.length} batches but ${lr.length} learning rates`,
        );
      }
      if (hyperparameters !== undefined && hyperparameters.length !== batches.length) {
        throw new TypeError(
          `${where}: ${batches.length} batches but ${hyperparameters.length} sets of hyperparameters`,
        );
      }
      return await this.#train("trainSteps", batches, { lr, hyperparameters });
    });
  }

  async #train(
    method: string,
    batches: readonly Int32Array[],
    { lr, hyperparameters }: TrainStepsOptions,
  ): Promise<StepResult[]> {
    const where = `Cannot run DataParallel.${method}`;
    const n = this.#sizes.train;
    if (n === undefined) {
      throw new Error(`${where}: no "train" data; call setData("train", ...) first`);
    }
    for (const indices of batches) {
      if (indices.length === 0) throw new RangeError(`${where}: the batch is empty`);
      checkIndices(indices, n, where);
    }
    const start = performance.now();
    const group = this.paramGroups[0] as Record<string, unknown>;
    const hps = batches.map((_, s) => {
      const { params: _params, ...hp } = { ...group, ...hyperparameters?.[s] };
      if (lr !== undefined) hp.lr = lr[s];
      return hp;
    });
    for (const hp of hps) this.#ensureState(hp as unknown as BaseHyperparameters);
    await this.#addMissingState();
    const shards = batches.map((indices) => splitRange(indices.length, this.workers));
    const replies: StepReply[][] = await this.#pool.run(
      `DataParallel.${method}`,
      (remote, w) =>
        remote.step(
          batches.map((indices, s) => ({
            indices: indices.slice(shards[s][w][0], shards[s][w][1]),
            globalCount: indices.length,
            hp: hps[s],
          })),
          this.#steps + 1,
        ),
      this.#barrier,
    );
    const wallMs = (performance.now() - start) / batches.length;
    let computeMs = 0;
    let updateMs = 0;
    const results = batches.map((indices, s) => {
      const step = replies.map((r) => r[s]);
      if (step[0].updated) this.#steps++;
      computeMs += Math.max(...step.map((r) => r.computeMs)) / batches.length;
      updateMs += Math.max(...step.map((r) => r.updateMs)) / batches.length;
      return {
        loss: step.reduce((sum, r) => sum + r.loss, 0),
        correct: step.reduce((sum, r) => sum + r.correct, 0),
        count: indices.length,
      };
    });
    this.lastStepTimings = { wallMs, computeMs, updateMs, syncMs: wallMs - computeMs - updateMs };
    return results;
  }

  /** Eval mode, no gradients, over `indices` (default: the whole split), sharded over the workers. */
  async evaluate(split: "train" | "test", indices?: Int32Array): Promise<EvalResult> {
    return await this.#exclusive("evaluate", async () => {
      const n = this.#sizes[split];
      if (n === undefined) {
        throw new Error(
          `Cannot run DataParallel.evaluate: no "${split}" data; call setData("${split}", ...) first`,
        );
      }
      if (indices !== undefined) checkIndices(indices, n, "Cannot run DataParallel.evaluate");
      const all = indices ?? Int32Array.from({ length: n }, (_, i) => i);
      const shards = splitRange(all.length, this.workers);
      const replies = await this.#pool.run(
        "DataParallel.evaluate",
        (remote, i) => remote.evaluate(split, all.slice(shards[i][0], shards[i][1])),
      );
      const predictions = new Int32Array(all.length);
      replies.forEach((r, i) => predictions.set(r.predictions, shards[i][0]));
      const lossSum = replies.reduce((sum, r) => sum + r.lossSum, 0);
      return {
        loss: all.length > 0 ? lossSum / all.length : NaN,
        correct: replies.reduce((sum, r) => sum + r.correct, 0),
        count: all.length,
        predictions,
      };
    });
  }

  /** Copies of the weights and buffers (worker 0's running statistics), PyTorch keys. */
  async stateDict(): Promise<Record<string, Tensor>> {
    return await this.#exclusive("stateDict", () => {
      this.#pullBuffers();
      const out: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(this.model.stateDict())) out[key] = t.clone();
      return Promise.resolve(out);
    });
  }

  /** Loads weights (into shared memory) and buffers (into every worker); strict, PyTorch keys. */
  async loadStateDict(state: Record<string, Tensor>): Promise<void> {
    await this.#exclusive("loadStateDict", async () => {
      this.model.loadStateDict(state);
      packTensors(
        this.#bufferTensors(),
        this.#layouts.buffers,
        new Float32Array(this.#arenas.buffers),
      );
      await this.#pool.run("DataParallel.loadStateDict", (remote) => remote.loadBuffers());
    });
  }

  /** The optimizer state in optim/'s `Optimizer.stateDict()` format (`state` empty before the first step). */
  async optimizerStateDict(): Promise<OptimizerStateDict> {
    return await this.#exclusive("optimizerStateDict", () =>
      Promise.resolve(
        exportOptimizerState(
          this.rule,
          this.paramGroups[0],
          this.#layouts.params,
          this.#arenas.state,
          this.#steps,
        ),
      ));
  }

  /** Restores a state written by either trainer's `optimizerStateDict()` (checked by optim/ first). */
  async loadOptimizerStateDict(stateDict: OptimizerStateDict): Promise<void> {
    await this.#exclusive("loadOptimizerStateDict", async () => {
      const loaded = checkOptimizerState(
        this.rule,
        this.model.parameters(),
        this.paramGroups[0],
        stateDict,
      );
      for (const name of this.rule.stateNames(loaded.group)) this.#stateBuffer(name, loaded.group);
      await this.#addMissingState();
      loaded.copyInto(this.#layouts.params, this.#arenas.state);
      for (const key of Object.keys(this.paramGroups[0])) delete this.paramGroups[0][key];
      Object.assign(this.paramGroups[0], loaded.group);
      this.#steps = loaded.steps;
    });
  }

  /**
   * Restarts dropout and augmentation streams from `seed` (worker 0 from `seed` itself,
   * as LocalTrainer.reseed; the others from streams derived from it and their index).
   */
  async reseed(seed: number): Promise<void> {
    await this.#exclusive("reseed", async () => {
      await this.#pool.run("DataParallel.reseed", (remote) => remote.reseed(seed));
    });
  }

  /** Terminates every worker; idempotent. Later calls reject. */
  close(): Promise<void> {
    this.#closed = true;
    this.#pool.terminate();
    return Promise.resolve();
  }

  /** Runs `body` unless closed or another call is in flight; a worker failure closes the trainer. */
  async #exclusive<T>(method: string, body: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      const failure = this.#pool.failure;
      const why = failure !== null && failure.index >= 0
        ? ` after worker ${failure.index} failed`
        : "";
      throw new Error(
        `Cannot run DataParallel.${method}: the trainer is closed${why}; create a new one`,
      );
    }
    if (this.#busy) {
      throw new Error(
        `Cannot run DataParallel.${method}: another call is still running; await it first`,
      );
    }
    this.#busy = true;
    try {
      return await body();
    } catch (error) {
      if (error instanceof WorkerError) await this.close();
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  #bufferTensors(): Tensor[] {
    return this.model.namedBuffers().map(([, t]) => t);
  }

  #pullBuffers(): void {
    unpackTensors(
      new Float32Array(this.#arenas.buffers),
      this.#layouts.buffers,
      this.#bufferTensors(),
    );
  }

  /** Allocates any state buffer the (possibly scheduler-changed) hyperparameters need. */
  #ensureState(hp: BaseHyperparameters): void {
    for (const name of this.rule.stateNames(hp)) this.#stateBuffer(name, hp);
  }

  #stateBuffer(name: string, hp: BaseHyperparameters): void {
    if (!(name in this.#arenas.state)) {
      this.#arenas.state[name] = allocateState(
        this.#layouts.params.total,
        this.rule.initialState(name, hp),
      );
      this.#unsent.add(name);
    }
  }

  async #addMissingState(): Promise<void> {
    for (const name of this.#unsent) {
      const buffer = this.#arenas.state[name];
      await this.#pool.run("DataParallel.step", (remote) => remote.addState(name, buffer));
      this.#unsent.delete(name);
    }
  }
}

/** Bad row numbers are the caller's error, found here rather than as a worker failure (which closes the trainer). */
function checkIndices(indices: Int32Array, n: number, where: string): void {
  if (!(indices instanceof Int32Array)) {
    throw new TypeError(`${where}: expected indices as an Int32Array`);
  }
  for (let i = 0; i < indices.length; i++) {
    if (!(indices[i] >= 0 && indices[i] < n)) {
      throw new RangeError(
        `${where}: index ${indices[i]} (at position ${i}) is outside the data's [0, ${n})`,
      );
    }
  }
}
