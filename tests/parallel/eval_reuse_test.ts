/**
 * Evaluation in DataParallel's workers reuses the eval-mode layers' buffers (reusingBuffers,
 * issue 16): the results must equal a fresh-allocating eval forward, chunk by chunk, and the
 * training that follows must not see that the buffers were shared.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferCache, reusingBuffers } from "../../tensor/buffers.ts";
import { DataParallel } from "../../parallel/data_parallel.ts";
import { buildModel, type ModelSpec } from "../../layers/spec.ts";
import { CrossEntropyLoss } from "../../losses/cross_entropy.ts";
import { countCorrect } from "../../train/local_trainer.ts";
import type { TrainerConfig } from "../../train/trainer.ts";
import { batches, gather, images } from "./_fixtures.ts";

test("reusingBuffers() makes BufferCache reuse where the caller asks for fresh buffers, only inside it", () => {
  const buffers = new BufferCache();
  const kept = buffers.tensor("output", [2, 3], true);
  const floats = buffers.floats("mean", 4, true);
  assert.notEqual(buffers.tensor("output", [2, 3], false), kept);
  assert.notEqual(buffers.floats("mean", 4, false), floats);
  reusingBuffers(() => {
    assert.equal(buffers.tensor("output", [2, 3], false), kept);
    assert.equal(buffers.floats("mean", 4, false), floats);
    // Nested scopes: the inner one ending leaves the outer one in force.
    reusingBuffers(() => assert.equal(buffers.tensor("output", [2, 3], false), kept));
    assert.equal(buffers.tensor("output", [2, 3], false), kept);
  });
  assert.throws(() =>
    reusingBuffers(() => {
      throw new Error("inside");
    }), /inside/);
  assert.notEqual(buffers.tensor("output", [2, 3], false), kept, "a throw ends the scope too");
  assert.equal(reusingBuffers(() => 7), 7);
});

/** Conv, BatchNorm (eval: running statistics), ReLU, max-pool, linear on [N, 1, 8, 8]. */
const CNN_BN: ModelSpec = {
  layers: [
    { type: "conv2d", inChannels: 1, outChannels: 4, kernelSize: 3 },
    { type: "batchnorm2d", numFeatures: 4 },
    { type: "relu" },
    { type: "maxpool2d", kernelSize: 2 },
    { type: "flatten" },
    { type: "linear", inFeatures: 36, outFeatures: 3 },
  ],
};

const CONFIG: TrainerConfig = {
  model: CNN_BN,
  loss: { type: "cross_entropy" },
  optimizer: { type: "sgd", lr: 0.1, momentum: 0.9 },
  seed: 4,
  workers: 2,
};

test("DataParallel.evaluate() in chunks of 4 (15 rows per worker: 4, 4, 4, 3) equals a fresh eval forward, and training after it is unchanged", async () => {
  const data = images(30);
  const steps = batches(6, 10, 30);
  const evaluated = await DataParallel.create(CONFIG, { evalBatchSize: 4 });
  const plain = await DataParallel.create(CONFIG);
  try {
    await evaluated.setData("train", data);
    await plain.setData("train", data);
    for (const [i, indices] of steps.entries()) {
      await evaluated.step(indices);
      await plain.step(indices);
      if (i % 2 === 1) {
        const result = await evaluated.evaluate("train");
        const reference = buildModel(CNN_BN);
        reference.loadStateDict(await evaluated.stateDict());
        reference.eval();
        const { x, labels } = gather(data, Int32Array.from({ length: 30 }, (_, r) => r));
        const out = reference.forward(x);
        const predictions = new Int32Array(30);
        assert.equal(result.correct, countCorrect(out, labels, predictions));
        assert.deepEqual(result.predictions, predictions);
        const loss = new CrossEntropyLoss().forward(out, labels);
        assert.ok(
          Math.abs(result.loss - loss) < 1e-5,
          `loss ${result.loss} vs ${loss} after step ${i}`,
        );
      }
    }
    // Same steps with and without evaluations between them: the same weights, bit for bit.
    const [a, b] = [await evaluated.stateDict(), await plain.stateDict()];
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const key of Object.keys(b)) assert.deepEqual(a[key].data, b[key].data, key);
  } finally {
    await evaluated.close();
    await plain.close();
  }
});
