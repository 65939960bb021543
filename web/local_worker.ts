/**
 * The pages' fallback trainer (the test page's and the playground's): one module Web Worker
 * running a `LocalTrainer`, for a page that is not cross-origin isolated (no
 * SharedArrayBuffer, so no DataParallel). The page drives it through comlink with the
 * `Trainer` calls it needs, so training still leaves the page's own thread free. Weights
 * cross as `{ data, shape }` records (a Tensor's prototype does not survive structured cloning).
 */

import * as Comlink from "comlink";
import { LocalTrainer } from "../trainer/local_trainer.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { EvalResult, StepResult, TrainData, TrainerConfig } from "../trainer/trainer.ts";

/** Weights by PyTorch key as plain records. */
export type PlainWeights = Record<string, { data: Float32Array; shape: number[] }>;

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
  async stateDict(): Promise<PlainWeights> {
    const out: PlainWeights = {};
    for (const [key, t] of Object.entries(await current().stateDict())) {
      out[key] = { data: t.data, shape: [...t.shape] };
    }
    return out;
  },
  loadStateDict(state: PlainWeights): Promise<void> {
    const tensors: Record<string, Tensor> = {};
    for (const [key, t] of Object.entries(state)) tensors[key] = new Tensor(t.data, t.shape);
    return current().loadStateDict(tensors);
  },
  async close(): Promise<void> {
    await trainer?.close();
    trainer = null;
  },
};

export type LocalWorkerApi = typeof localWorkerApi;

Comlink.expose(localWorkerApi);
