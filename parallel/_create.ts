/**
 * Internal: the steps of `DataParallel.create` around building the model: checking the
 * config and options on the main thread (so a bad value fails before any worker starts),
 * the optimizer state's initial values, and starting the workers on the shared arenas.
 */

import { type AnyUpdateRule, type OptimizerName, optimizerRules } from "../optim/rules.ts";
import type { BaseHyperparameters } from "../optim/optimizer.ts";
import type { TrainerConfig } from "../trainer/trainer.ts";
import { checkTrainerConfig, createLoss } from "../trainer/_trainer_shared.ts";
import { checkOptions } from "../tensor/options.ts";
import type { Arenas, FlatLayout } from "./arena.ts";
import type { DataParallelOptions } from "./data_parallel.ts";
import type { WorkerPool } from "./_pool.ts";

/** A checked config: the worker count, the options with their defaults, and the optimizer's rule. */
export interface CheckedConfig {
  workers: number;
  timeoutMs: number;
  evalBatchSize: number;
  optimizer: OptimizerName;
  rule: AnyUpdateRule;
  /** The optimizer's options, validated by its rule. */
  hp: BaseHyperparameters;
}

/**
 * Throws the first problem with `config` and `options` (unknown keys, more than 2 arguments
 * in `argumentCount`, workers, timeouts, optimizer, loss).
 */
export function checkConfig(
  config: TrainerConfig,
  options: DataParallelOptions,
  argumentCount: number,
): CheckedConfig {
  const where = "Cannot create DataParallel";
  checkTrainerConfig(where, config, argumentCount, 2);
  checkOptions(where, options, ["timeoutMs", "evalBatchSize"]);
  const workers = config.workers ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`${where}: expected workers to be an integer ≥ 1, got ${workers}`);
  }
  const { timeoutMs = 60_000, evalBatchSize = 32 } = options;
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
  return { workers, timeoutMs, evalBatchSize, optimizer: optimizerType as OptimizerName, rule, hp };
}

/** Each optimizer-state buffer's initial value (name → value) for the hyperparameters `hp`. */
export function initialStateValues(
  rule: AnyUpdateRule,
  hp: BaseHyperparameters,
): Record<string, number> {
  const initialState: Record<string, number> = {};
  for (const name of rule.stateNames(hp)) initialState[name] = rule.initialState(name, hp);
  return initialState;
}

/** Waits for every worker to load, then has each build its model and bind it to the arenas. */
export async function startWorkers(
  pool: WorkerPool,
  config: TrainerConfig,
  checked: CheckedConfig,
  arenas: Arenas,
  layouts: { params: FlatLayout; buffers: FlatLayout },
): Promise<void> {
  await pool.ready("DataParallel.create");
  await pool.run("DataParallel.create", (remote, i) =>
    remote.init({
      workerIndex: i,
      workers: checked.workers,
      model: config.model,
      loss: config.loss,
      optimizer: checked.optimizer,
      seed: config.seed,
      arenas,
      params: layouts.params,
      buffers: layouts.buffers,
      timeoutMs: checked.timeoutMs,
      evalBatchSize: checked.evalBatchSize,
    }));
}
