/** DataParallel's API beyond the equivalence suite: checkpoints, BatchNorm, randomness, schedulers. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { DataParallel } from "../../parallel/data_parallel.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { buildModel, type ModelSpec } from "../../layers/spec.ts";
import { BatchNorm1d } from "../../layers/normalization.ts";
import { CrossEntropyLoss } from "../../losses/cross_entropy.ts";
import { splitRange } from "../../parallel/arena.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { Trainer, TrainerConfig } from "../../train/trainer.ts";
import { countCorrect } from "../../train/local_trainer.ts";
import {
  batches,
  CNN,
  gather,
  images,
  maxRelativeError,
  MLP,
  trainReference,
  vectors,
} from "./_fixtures.ts";

const MLP_ADAM: TrainerConfig = {
  model: MLP,
  loss: { type: "cross_entropy" },
  optimizer: { type: "adam", lr: 0.01 },
  seed: 3,
};

async function run(trainer: Trainer, steps: Int32Array[]): Promise<void> {
  for (const indices of steps) await trainer.step(indices);
}

function assertSameWeights(
  actual: Record<string, Tensor>,
  expected: Record<string, Tensor>,
  tolerance = 1e-5,
) {
  assert.deepEqual(Object.keys(actual), Object.keys(expected));
  const { error, where } = maxRelativeError(actual, expected);
  assert.ok(error <= tolerance, `worst relative error ${error.toExponential(2)} at ${where}`);
}

test("DataParallel checkpoints load into LocalTrainer, which then trains like DataParallel", async () => {
  const data = vectors();
  const [first, second] = [batches(5, 10, 40, 1), batches(5, 10, 40, 2)];
  const dp = await DataParallel.create({ ...MLP_ADAM, workers: 2 });
  try {
    await dp.setData("train", data);
    await run(dp, first);
    const local = await LocalTrainer.fromConfig(MLP_ADAM);
    await local.setData("train", data);
    await local.loadStateDict(await dp.stateDict());
    await local.loadOptimizerStateDict(await dp.optimizerStateDict());
    await run(dp, second);
    await run(local, second);
    assertSameWeights(await dp.stateDict(), await local.stateDict());
  } finally {
    await dp.close();
  }
});

test("LocalTrainer checkpoints load into DataParallel, which then trains like LocalTrainer", async () => {
  const data = vectors();
  const [first, second] = [batches(5, 10, 40, 3), batches(5, 10, 40, 4)];
  const local = await LocalTrainer.fromConfig({ ...MLP_ADAM, seed: 99 });
  await local.setData("train", data);
  await run(local, first);
  const dp = await DataParallel.create({ ...MLP_ADAM, workers: 3 });
  try {
    await dp.setData("train", data);
    await dp.loadStateDict(await local.stateDict());
    await dp.loadOptimizerStateDict(await local.optimizerStateDict());
    assert.equal(dp.steps, 5);
    await run(dp, second);
    await run(local, second);
    assertSameWeights(await dp.stateDict(), await local.stateDict());
  } finally {
    await dp.close();
  }
});

test("DataParallel.optimizerStateDict() has the layout of Optimizer.stateDict(): keys, steps, groups and shapes", async () => {
  const config: TrainerConfig = {
    model: MLP,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.1, momentum: 0.9 },
    seed: 4,
  };
  const data = vectors();
  const steps = batches(3, 8, 40);
  const local = await LocalTrainer.fromConfig(config);
  await local.setData("train", data);
  const dp = await DataParallel.create({ ...config, workers: 2 });
  try {
    assert.deepEqual(await dp.optimizerStateDict(), await local.optimizerStateDict());
    await dp.setData("train", data);
    await run(dp, steps);
    await run(local, steps);
    const [ours, theirs] = [await dp.optimizerStateDict(), await local.optimizerStateDict()];
    assert.deepEqual(ours.param_groups, theirs.param_groups);
    assert.deepEqual(Object.keys(ours.state), Object.keys(theirs.state));
    for (const [k, entry] of Object.entries(theirs.state)) {
      const mine = ours.state[Number(k)];
      assert.deepEqual(Object.keys(mine), Object.keys(entry));
      assert.equal(mine.step, entry.step);
      const [a, b] = [mine.momentum_buffer as Tensor, entry.momentum_buffer as Tensor];
      assert.deepEqual(a.shape, b.shape);
      assertSameWeights({ m: a }, { m: b });
    }
  } finally {
    await dp.close();
  }
});

test("DataParallel.evaluate() equals a main-thread eval forward of its stateDict (BatchNorm: worker 0's running statistics)", async () => {
  const spec: ModelSpec = { layers: [{ type: "batchnorm1d", numFeatures: 6 }, ...MLP.layers] };
  const data = vectors();
  const dp = await DataParallel.create({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.1 },
    seed: 6,
    workers: 2,
  });
  try {
    await dp.setData("train", data);
    await run(dp, batches(4, 10, 40));
    const state = await dp.stateDict();
    const reference = buildModel(spec);
    reference.loadStateDict(state);
    reference.eval();
    const { x, labels } = gather(data, Int32Array.from({ length: 40 }, (_, i) => i));
    const out = reference.forward(x);
    const predictions = new Int32Array(40);
    const correct = countCorrect(out, labels, predictions);
    const result = await dp.evaluate("train");
    assert.deepEqual(result.predictions, predictions);
    assert.equal(result.correct, correct);
    assert.equal(result.count, 40);
    assert.ok(Math.abs(result.loss - new CrossEntropyLoss().forward(out, labels)) < 1e-5);
  } finally {
    await dp.close();
  }
});

test("DataParallel keeps BatchNorm running statistics from worker 0's shards (per-shard batch statistics)", async () => {
  const spec: ModelSpec = {
    layers: [{ type: "batchnorm1d", numFeatures: 6 }, {
      type: "linear",
      inFeatures: 6,
      outFeatures: 3,
    }],
  };
  const data = vectors();
  const steps = batches(4, 10, 40);
  const dp = await DataParallel.create({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.1 },
    seed: 7,
    workers: 2,
  });
  try {
    await dp.setData("train", data);
    await run(dp, steps);
    const bn = new BatchNorm1d(6);
    for (const indices of steps) {
      const [lo, hi] = splitRange(indices.length, 2)[0];
      bn.forward(gather(data, indices.slice(lo, hi)).x);
    }
    const state = await dp.stateDict();
    assertSameWeights(
      {
        mean: state["0.running_mean"],
        var: state["0.running_var"],
        n: state["0.num_batches_tracked"],
      },
      { mean: bn.runningMean!, var: bn.runningVar!, n: bn.stateDict().num_batches_tracked },
    );
  } finally {
    await dp.close();
  }
});

test("DataParallel with 1 worker reproduces LocalTrainer exactly with dropout, augmentation and reseed()", async () => {
  const spec: ModelSpec = {
    layers: [...CNN.layers.slice(0, 4), { type: "dropout", p: 0.3 }, CNN.layers[4]],
  };
  const config: TrainerConfig = {
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.05, momentum: 0.9 },
    seed: 8,
  };
  const data = images();
  const augment = { cropPadding: 1, flip: true };
  const steps = batches(6, 8, 30);
  const local = await LocalTrainer.fromConfig(config);
  const dp = await DataParallel.create({ ...config, workers: 1 });
  try {
    for (const trainer of [local, dp] as const) {
      await trainer.setData("train", data, augment);
      await run(trainer, steps.slice(0, 3));
      await trainer.reseed(21);
      await run(trainer, steps.slice(3));
    }
    assertSameWeights(await dp.stateDict(), await local.stateDict(), 0);
  } finally {
    await dp.close();
  }
});

test("DataParallel with 2 workers and dropout repeats a run exactly from the same seed", async () => {
  const spec: ModelSpec = {
    layers: [MLP.layers[0], { type: "dropout", p: 0.5 }, ...MLP.layers.slice(1)],
  };
  const config: TrainerConfig = {
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.1 },
    seed: 9,
    workers: 2,
  };
  const results: Record<string, Tensor>[] = [];
  for (let i = 0; i < 2; i++) {
    const dp = await DataParallel.create(config);
    try {
      await dp.setData("train", vectors());
      await run(dp, batches(4, 10, 40));
      results.push(await dp.stateDict());
    } finally {
      await dp.close();
    }
  }
  assertSameWeights(results[0], results[1], 0);
});

test("DataParallel.step() reads paramGroups[0].lr at every step (schedulers write it)", async () => {
  const dp = await DataParallel.create({
    ...MLP_ADAM,
    optimizer: { type: "sgd", lr: 0.1 },
    workers: 2,
  });
  try {
    await dp.setData("train", vectors());
    const before = await dp.stateDict();
    dp.paramGroups[0].lr = 0;
    await dp.step(batches(1, 10, 40)[0]);
    assertSameWeights(await dp.stateDict(), before, 0);
    dp.paramGroups[0].lr = 0.1;
    await dp.step(batches(1, 10, 40)[0]);
    assert.ok(maxRelativeError(await dp.stateDict(), before).error > 1e-3);
  } finally {
    await dp.close();
  }
});

test("DataParallel.trainSteps() gives exactly what the same batches through step() give, and matches the reference", async () => {
  const data = vectors();
  const steps = batches(8, 10, 40, 5);
  const results: Record<string, Tensor>[] = [];
  for (const useTrainSteps of [false, true]) {
    const dp = await DataParallel.create({ ...MLP_ADAM, workers: 3 });
    try {
      await dp.setData("train", data);
      if (useTrainSteps) {
        const out = await dp.trainSteps(steps);
        assert.equal(out.length, 8);
        assert.ok(out.every((r) => r.count === 10 && Number.isFinite(r.loss)));
      } else {
        await run(dp, steps);
      }
      assert.equal(dp.steps, 8);
      results.push(await dp.stateDict());
    } finally {
      await dp.close();
    }
  }
  assertSameWeights(results[1], results[0], 0);
  assertSameWeights(
    results[1],
    trainReference(MLP, MLP_ADAM.optimizer, data, steps, MLP_ADAM.seed),
  );
});

test("DataParallel.trainSteps() uses lr[i] for step i and rejects a length mismatch", async () => {
  const dp = await DataParallel.create({
    ...MLP_ADAM,
    optimizer: { type: "sgd", lr: 0.1 },
    workers: 2,
  });
  try {
    await dp.setData("train", vectors());
    const before = await dp.stateDict();
    await dp.trainSteps(batches(2, 10, 40), { lr: [0, 0] });
    assertSameWeights(await dp.stateDict(), before, 0);
    await assert.rejects(
      dp.trainSteps(batches(2, 10, 40), { lr: [0.1] }),
      /2 batches but 1 learning rates/,
    );
  } finally {
    await dp.close();
  }
});

test("DataParallel.step() with fewer samples than workers matches single-threaded training", async () => {
  const data = vectors();
  const steps = batches(3, 2, 40);
  const dp = await DataParallel.create({ ...MLP_ADAM, workers: 3 });
  try {
    await dp.setData("train", data);
    const results = [];
    for (const indices of steps) results.push(await dp.step(indices));
    assert.deepEqual(results.map((r) => r.count), [2, 2, 2]);
    assertSameWeights(
      await dp.stateDict(),
      trainReference(MLP, MLP_ADAM.optimizer, data, steps, MLP_ADAM.seed),
    );
  } finally {
    await dp.close();
  }
});

test("DataParallel.setData() and step() reject inconsistent data and empty batches with clear errors", async () => {
  const dp = await DataParallel.create({ ...MLP_ADAM, workers: 1 });
  try {
    await assert.rejects(
      dp.step(new Int32Array([0])),
      /no "train" data; call setData\("train", \.\.\.\) first/,
    );
    await assert.rejects(
      dp.setData("train", {
        kind: "vectors",
        x: new Float32Array(10),
        shape: [2, 6],
        labels: new Int32Array(2),
      }),
      /x holds 10 floats, shape \[2,6\] needs 12/,
    );
    await dp.setData("train", vectors());
    await assert.rejects(dp.step(new Int32Array(0)), /the batch is empty/);
    await assert.rejects(
      dp.step(new Int32Array([3, 40])),
      /index 40 \(at position 1\) is outside the data's \[0, 40\)/,
    );
    assert.equal(dp.closed, false);
    await assert.rejects(dp.evaluate("test"), /no "test" data/);
  } finally {
    await dp.close();
  }
});
