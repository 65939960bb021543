/** createTrainer: the in-process trainer for one worker, the worker-based one for more. */

import { DataParallel } from "../parallel/data_parallel.ts";
import { LocalTrainer } from "./local_trainer.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import type { Trainer, TrainerConfig } from "./trainer.ts";

/**
 * Builds a `Trainer` from a config: `LocalTrainer` (main thread) when `workers` is 1,
 * else parallel/'s `DataParallel` with that many workers.
 * `workers` defaults to all cores (`navigator.hardwareConcurrency`).
 */
export async function createTrainer(config: TrainerConfig): Promise<Trainer> {
  const where = "Cannot create a trainer";
  checkArgumentCount(where, arguments.length, 1);
  if (config === undefined) throw new TypeError(`${where}: expected a config, got undefined`);
  checkOptions(`${where}: config`, config, ["model", "loss", "optimizer", "seed", "workers"]);
  const workers = config.workers ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`Cannot create a trainer: expected workers ≥ 1, got ${workers}`);
  }
  if (workers === 1) return await LocalTrainer.fromConfig(config);
  return await DataParallel.create({ ...config, workers });
}
