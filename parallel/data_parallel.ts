/**
 * DataParallel: one model trained on N Workers that share parameters, gradients and
 * optimizer state through SharedArrayBuffer (the `Trainer` of trainer/trainer.ts).
 */

import type { Tensor } from "../tensor/tensor.ts";
import { manualSeed } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import type { BaseHyperparameters, OptimizerStateDict } from "../optim/optimizer.ts";
import type { AnyUpdateRule } from "../optim/rules.ts";
import type {
  Augment,
  EvalResult,
  StepResult,
  TrainData,
  Trainer,
  TrainerConfig,
  TrainStepsOptions,
} from "../trainer/trainer.ts";
import { instantiateModel } from "../trainer/_trainer_shared.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import {
  type Arenas,
  arenasForModel,
  type FlatLayout,
  modelLayouts,
  packTensors,
  regionFloats,
  splitRange,
  unpackTensors,
} from "./arena.ts";
import { Barrier } from "./barrier.ts";
import { controlWords, shareData, type StepReply, WorkerError } from "./protocol.ts";
import { WorkerPool } from "./_pool.ts";
import { checkOptimizerState, exportOptimizerState } from "./_optimizer_state.ts";
import { checkConfig, type CheckedConfig, initialStateValues, startWorkers } from "./_create.ts";
import { CallGuard } from "./_call_guard.ts";
import { StateBuffers } from "./_state_buffers.ts";
import {
  checkBatches,
  checkBatchNormBatch,
  checkIndices,
  checkSchedule,
  collectEval,
  collectSteps,
  faultError,
  type ShardNeeds,
  shardNeeds,
  shardRanges,
  stepHyperparameters,
  stepRequests,
} from "./_steps.ts";

export { WorkerError };

/** Options of `DataParallel.create` beyond the `TrainerConfig`. */
export interface DataParallelOptions {
  /**
   * How long a worker may make no progress before the call fails with a `WorkerError`
   * naming it: progress is its heartbeat (bumped per step phase, per eval chunk and while
   * it waits at a barrier), and only time in which this process ran counts (a process
   * stopped with SIGSTOP and continued goes on). Raise it if one forward/backward of a
   * shard, or one eval chunk, may take longer. @default 60000
   */
  timeoutMs?: number;
  /**
   * Samples per forward pass in `evaluate`, per worker. Eval-mode layers allocate new outputs
   * (training mode reuses its buffers), and the garbage of large chunks outgrows the GC:
   * cifar-cnn at 128 peaks ~460 MB (Deno) / ~1.1 GB (Bun) a thread, at 32 as training does
   * (issue 16, README "Memory"). @default 32
   */
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
 * BatchNorm uses per-shard batch statistics; running statistics are worker 0's. A model
 * with batch norm gets shards of ≥ 2 rows (a small batch goes to fewer workers), and a
 * 1-row batch through BatchNorm1d is PyTorch's error, before the step. Dropout and
 * augmentation draw from per-worker streams (worker 0 uses `seed` itself, so one worker
 * reproduces LocalTrainer).
 *
 * A non-finite loss or gradient (checked in the reduce, before any slice is updated)
 * rejects with a `NonFiniteError` and leaves the parameters as they were; so does a
 * parameter the update made non-finite (after it). A worker that throws, exits, or makes
 * no progress for `timeoutMs` makes the call reject with a `WorkerError` naming it, after
 * its threads are terminated. `close()` (or `await using`) terminates every worker, also
 * one stuck in a loop; idle workers do not keep the process alive.
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
  readonly #guard: CallGuard;
  readonly #state: StateBuffers;
  readonly #sizes: Partial<Record<"train" | "test", number>> = {};
  readonly #shardNeeds: ShardNeeds;
  #steps = 0;

  private constructor(
    checked: CheckedConfig,
    model: Module,
    pool: WorkerPool,
    arenas: Arenas,
    barrier: Barrier,
  ) {
    const { workers, rule, hp } = checked;
    this.workers = workers;
    this.model = model;
    this.rule = rule;
    this.paramGroups = [{ ...hp }];
    this.#pool = pool;
    this.#arenas = arenas;
    this.#layouts = modelLayouts(model);
    this.#barrier = barrier;
    this.#shardNeeds = shardNeeds(model);
    this.#guard = new CallGuard(pool);
    this.#state = new StateBuffers(rule, arenas, pool);
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
    const checked = checkConfig(config, options, arguments.length);
    const { workers, rule, hp, timeoutMs } = checked;
    manualSeed(config.seed);
    const model = await instantiateModel(config.model, { workerIndex: null, workers });
    const initialState = initialStateValues(rule, hp);
    const { layouts, arenas } = arenasForModel(model, workers, controlWords(workers), initialState);

    const barrier = new Barrier(new Int32Array(arenas.control), workers, timeoutMs);
    const pool = new WorkerPool(workers, barrier, timeoutMs);
    const dp = new DataParallel(checked, model, pool, arenas, barrier);
    try {
      await startWorkers(pool, config, checked, arenas, layouts);
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
    return this.#guard.closed;
  }

  /** Copies `data` once into shared memory (images stay uint8) and hands it to every worker. */
  async setData(split: "train" | "test", data: TrainData, augment: Augment = {}): Promise<void> {
    checkArgumentCount("Cannot run DataParallel.setData", arguments.length, 3);
    checkOptions("Cannot run DataParallel.setData: augment", augment, ["cropPadding", "flip"]);
    await this.#guard.run("setData", async () => {
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
    return await this.#guard.run(
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
    options: TrainStepsOptions = {},
  ): Promise<StepResult[]> {
    checkArgumentCount("Cannot run DataParallel.trainSteps", arguments.length, 2);
    checkOptions("Cannot run DataParallel.trainSteps", options, ["lr", "hyperparameters"]);
    const { lr, hyperparameters } = options;
    return await this.#guard.run("trainSteps", async () => {
      checkSchedule(batches, { lr, hyperparameters }, "Cannot run DataParallel.trainSteps");
      return await this.#train("trainSteps", batches, { lr, hyperparameters });
    });
  }

  async #train(
    method: string,
    batches: readonly Int32Array[],
    schedule: TrainStepsOptions,
  ): Promise<StepResult[]> {
    const where = `Cannot run DataParallel.${method}`;
    checkBatches(batches, this.#size("train", where), where);
    for (const indices of batches) checkBatchNormBatch(indices.length, this.#shardNeeds, where);
    const start = performance.now();
    const hps = stepHyperparameters(this.paramGroups[0], batches.length, schedule);
    for (const hp of hps) this.#state.ensure(hp as unknown as BaseHyperparameters);
    await this.#state.send();
    const { minRows } = this.#shardNeeds;
    const shards = batches.map((indices) => shardRanges(indices.length, this.workers, minRows));
    const firstStep = this.#steps + 1;
    const replies: StepReply[][] = await this.#pool.run(
      `DataParallel.${method}`,
      (remote, w) => remote.step(stepRequests(batches, hps, shards, w), firstStep),
    );
    const { results, computeMs, updateMs, updated, fault } = collectSteps(batches, replies);
    const wallMs = (performance.now() - start) / results.length;
    this.#steps += updated;
    this.lastStepTimings = { wallMs, computeMs, updateMs, syncMs: wallMs - computeMs - updateMs };
    if (fault !== null) {
      throw faultError(where, fault, this.#layouts.params, firstStep, batches.length);
    }
    return results;
  }

  /** Eval mode, no gradients, over `indices` (default: the whole split), sharded over the workers. */
  async evaluate(split: "train" | "test", indices?: Int32Array): Promise<EvalResult> {
    return await this.#guard.run("evaluate", async () => {
      const where = "Cannot run DataParallel.evaluate";
      const n = this.#size(split, where);
      if (indices !== undefined) checkIndices(indices, n, where);
      const all = indices ?? Int32Array.from({ length: n }, (_, i) => i);
      const shards = splitRange(all.length, this.workers);
      const replies = await this.#pool.run(
        "DataParallel.evaluate",
        (remote, i) => remote.evaluate(split, all.slice(shards[i][0], shards[i][1])),
      );
      return collectEval(all.length, shards, replies);
    });
  }

  /** Copies of the weights and buffers (worker 0's running statistics), PyTorch keys. */
  async stateDict(): Promise<Record<string, Tensor>> {
    return await this.#guard.run("stateDict", () => {
      this.#pullBuffers();
      const out: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(this.model.stateDict())) out[key] = t.clone();
      return Promise.resolve(out);
    });
  }

  /** Loads weights (into shared memory) and buffers (into every worker); strict, PyTorch keys. */
  async loadStateDict(state: Record<string, Tensor>): Promise<void> {
    await this.#guard.run("loadStateDict", async () => {
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
    return await this.#guard.run("optimizerStateDict", () =>
      Promise.resolve(
        exportOptimizerState(
          this.rule,
          this.paramGroups[0],
          this.#layouts.params,
          this.#stateFloats(),
          this.#steps,
        ),
      ));
  }

  /** Restores a state written by either trainer's `optimizerStateDict()` (checked by optim/ first). */
  async loadOptimizerStateDict(stateDict: OptimizerStateDict): Promise<void> {
    await this.#guard.run("loadOptimizerStateDict", async () => {
      const loaded = checkOptimizerState(
        this.rule,
        this.model.parameters(),
        this.paramGroups[0],
        stateDict,
      );
      this.#state.ensure(loaded.group);
      await this.#state.send();
      loaded.copyInto(this.#layouts.params, this.#stateFloats());
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
    await this.#guard.run("reseed", async () => {
      await this.#pool.run("DataParallel.reseed", (remote) => remote.reseed(seed));
    });
  }

  /**
   * Terminates every worker, also one stuck in a loop, and resolves once all threads
   * have ended; idempotent. Later calls reject.
   */
  async close(): Promise<void> {
    await this.#guard.close();
  }

  /** `await using dp = await DataParallel.create(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Rows of `split`, or the error of a call that needs it before `setData`. */
  #size(split: "train" | "test", where: string): number {
    const n = this.#sizes[split];
    if (n === undefined) {
      throw new Error(`${where}: no "${split}" data; call setData("${split}", ...) first`);
    }
    return n;
  }

  /** The optimizer state's floats by name (views of the arenas). */
  #stateFloats(): Record<string, Float32Array> {
    const arenas = this.#arenas;
    return Object.fromEntries(
      Object.entries(arenas.state).map(([name, region]) => [name, regionFloats(arenas, region)]),
    );
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
}
