/**
 * The test page's fallback trainer: one module Web Worker running a `LocalTrainer`, for a
 * page that is not cross-origin isolated (no SharedArrayBuffer, so no DataParallel). The
 * page drives it through comlink with the `Trainer` calls it needs, so training still
 * leaves the page's own thread free.
 */

import * as Comlink from "comlink";
import { LocalTrainer } from "../trainer/local_trainer.ts";
import type { EvalResult, StepResult, TrainData, TrainerConfig } from "../trainer/trainer.ts";

let trainer: LocalTrainer | null = null;

function current(): LocalTrainer {
  if (trainer === null) throw new Error("local_worker: call create(config) first");
  return trainer;
}

/** The calls the page makes; `trainSteps` runs several steps with one lr each. */
export const localWorkerApi = {
  async create(config: TrainerConfig): Promise<void> {
    trainer = await LocalTrainer.fromConfig(config);
  },
  setData(split: "train" | "test", data: TrainData): Promise<void> {
    return current().setData(split, data);
  },
  async trainSteps(batches: Int32Array[], lr: number[]): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (let i = 0; i < batches.length; i++) {
      current().paramGroups[0].lr = lr[i];
      results.push(await current().step(batches[i]));
    }
    return results;
  },
  evaluate(split: "train" | "test"): Promise<EvalResult> {
    return current().evaluate(split);
  },
  async close(): Promise<void> {
    await trainer?.close();
    trainer = null;
  },
};

export type LocalWorkerApi = typeof localWorkerApi;

Comlink.expose(localWorkerApi);
