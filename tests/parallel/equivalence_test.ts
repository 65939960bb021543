/**
 * The N-equals-1 suite: DataParallel with 1, 2 and 3 workers against single-threaded
 * training in the main thread (same seed, same global batches), for an MLP and a CNN,
 * SGD with momentum and Adam; a global batch of 10 splits unevenly over 3 workers.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { DataParallel } from "../../parallel/data_parallel.ts";
import type { ModelSpec } from "../../layers/spec.ts";
import type { OptimizerConfig, TrainData } from "../../train/trainer.ts";
import {
  batches,
  CNN,
  images,
  maxRelativeError,
  MLP,
  trainReference,
  vectors,
} from "./_fixtures.ts";

const STEPS = 20;
const BATCH = 10;
const SEED = 5;

const MODELS: { name: string; spec: ModelSpec; data: () => TrainData }[] = [
  { name: "MLP", spec: MLP, data: () => vectors() },
  { name: "CNN", spec: CNN, data: () => images() },
];
const OPTIMIZERS: { name: string; config: OptimizerConfig }[] = [
  { name: "SGD with momentum", config: { type: "sgd", lr: 0.05, momentum: 0.9 } },
  { name: "Adam", config: { type: "adam", lr: 0.01 } },
];

for (const model of MODELS) {
  for (const optimizer of OPTIMIZERS) {
    const data = model.data();
    const steps = batches(STEPS, BATCH, data.shape[0]);
    let reference: ReturnType<typeof trainReference> | null = null;
    for (const workers of [1, 2, 3]) {
      test(`DataParallel.step() with ${workers} worker(s) matches single-threaded ${optimizer.name} on the ${model.name} within 1e-5 after ${STEPS} steps`, async () => {
        reference ??= trainReference(model.spec, optimizer.config, data, steps, SEED);
        const dp = await DataParallel.create({
          model: model.spec,
          loss: { type: "cross_entropy" },
          optimizer: optimizer.config,
          seed: SEED,
          workers,
        });
        try {
          await dp.setData("train", data);
          for (const indices of steps) {
            const result = await dp.step(indices);
            assert.equal(result.count, BATCH);
            assert.ok(Number.isFinite(result.loss));
          }
          const { error, where } = maxRelativeError(await dp.stateDict(), reference);
          assert.ok(error <= 1e-5, `worst relative error ${error.toExponential(2)} at ${where}`);
        } finally {
          await dp.close();
        }
      });
    }
  }
}
