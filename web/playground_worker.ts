/**
 * The playground's one-worker trainer, for a page that is not cross-origin isolated (no
 * SharedArrayBuffer, so no DataParallel): a `LocalTrainer` in a module Web Worker, driven
 * through comlink. Weights cross as `{ data, shape }` records (a Tensor's prototype does not
 * survive structured cloning).
 */

import * as Comlink from "comlink";
import { LocalTrainer } from "../trainer/local_trainer.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { EvalResult, StepResult, TrainData, TrainerConfig } from "../trainer/trainer.ts";

/** Weights by PyTorch key as plain records. */
export type PlainWeights = Record<string, { data: Float32Array; shape: number[] }>;

let trainer: LocalTrainer | null = null;

function current(): LocalTrainer {
  if (trainer === null) throw new Error("playground_worker: call create(config) first");
  return trainer;
}

/** The calls the page makes; `trainSteps` runs several steps with one lr each. */
export const playgroundWorkerApi = {
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

export type PlaygroundWorkerApi = typeof playgroundWorkerApi;

Comlink.expose(playgroundWorkerApi);
