/**
 * DataParallel's guards: non-finite losses, gradients and parameters stop a step with a
 * NonFiniteError (the parameters stay the last finite ones), batch-norm models never
 * train on a 1-row shard (same results for 1, 2 and 3 workers) and a 1-row batch is
 * PyTorch's error, and config, options and arguments are checked at run time.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { DataParallel } from "../../parallel/data_parallel.ts";
import { shardRanges } from "../../parallel/_steps.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { NonFiniteError, type TrainerConfig, type VectorData } from "../../train/trainer.ts";
import type { ModelSpec } from "../../layers/spec.ts";
import { maxRelativeError, vectors } from "./_fixtures.ts";

const NAN_GRAD: TrainerConfig = {
  model: { moduleUrl: new URL("./fixtures/nan_grad_model.ts", import.meta.url).href },
  loss: { type: "cross_entropy" },
  optimizer: { type: "sgd", lr: 0.1, momentum: 0.9 },
  seed: 0,
  workers: 2,
};

/** 10 rows of 4 features; row 9 is 1e5 everywhere (finite loss, NaN gradients in the fixture), row 8 holds a NaN. */
function poisoned(): VectorData {
  const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  x.fill(1e5, 36, 40);
  x[33] = NaN;
  return { kind: "vectors", x, shape: [10, 4], labels: Int32Array.from({ length: 10 }, (_, i) => i % 3) };
}

const rows = (...r: number[]) => Int32Array.from(r);

test("DataParallel.trainSteps() stops at a NaN gradient with a finite loss, naming parameter and step; earlier steps stay applied", async () => {
  const dp = await DataParallel.create(NAN_GRAD);
  try {
    await dp.setData("train", poisoned());
    await dp.step(rows(0, 1, 2, 3));
    const before = await dp.stateDict();
    await assert.rejects(dp.trainSteps([rows(0, 1, 2, 3), rows(4, 5, 6, 7), rows(6, 7, 9, 0)]), (error: unknown) => {
      assert.ok(error instanceof NonFiniteError, String(error));
      assert.equal(error.kind, "gradient");
      assert.equal(error.parameter, "0.weight");
      assert.equal(error.stepIndex, 2);
      assert.equal(error.applied, false);
      assert.match(
        error.message,
        /^Cannot run DataParallel\.trainSteps: the gradient of "0\.weight" is NaN \(element 0\) at optimizer step 4 \(batch 3 of 3 in this call\); the step was not applied/,
      );
      return true;
    });
    assert.equal(dp.steps, 3);
    assert.equal(dp.closed, false);
    // The two good steps were applied, the bad one not: replaying the good ones on a fresh trainer gives the same weights.
    const after = await dp.stateDict();
    assert.ok(Object.values(after).every((t) => t.data.every(Number.isFinite)));
    assert.ok(maxRelativeError(after, before).error > 0);
    const replay = await DataParallel.create(NAN_GRAD);
    try {
      await replay.setData("train", poisoned());
      await replay.trainSteps([rows(0, 1, 2, 3), rows(0, 1, 2, 3), rows(4, 5, 6, 7)]);
      assert.equal(maxRelativeError(after, await replay.stateDict()).error, 0);
    } finally {
      await replay.close();
    }
    // The trainer goes on after the error.
    assert.ok(Number.isFinite((await dp.step(rows(0, 1))).loss));
  } finally {
    await dp.close();
  }
});

test("DataParallel.step() rejects a NaN loss before the update; the parameters are unchanged", async () => {
  const dp = await DataParallel.create(NAN_GRAD);
  try {
    await dp.setData("train", poisoned());
    const before = await dp.stateDict();
    await assert.rejects(dp.step(rows(0, 8)), (error: unknown) => {
      assert.ok(error instanceof NonFiniteError);
      assert.equal(error.kind, "loss");
      assert.match(error.message, /^Cannot run DataParallel\.step: the loss is NaN at optimizer step 1; the step was not applied/);
      return true;
    });
    assert.equal(maxRelativeError(await dp.stateDict(), before).error, 0);
    assert.equal(dp.steps, 0);
  } finally {
    await dp.close();
  }
});

const OVERFLOW: TrainerConfig = {
  model: { layers: [{ type: "linear", inFeatures: 4, outFeatures: 3 }] },
  loss: { type: "cross_entropy" },
  optimizer: { type: "sgd", lr: 1e37 },
  seed: 0,
};

test("both trainers reject an update that overflows a parameter to ±Infinity, naming it", async () => {
  const data: VectorData = { kind: "vectors", x: new Float32Array(40).fill(1e4), shape: [10, 4], labels: new Int32Array(10) };
  for (const workers of [1, 2, 0]) {
    const trainer = workers === 0
      ? await LocalTrainer.fromConfig(OVERFLOW)
      : await DataParallel.create({ ...OVERFLOW, workers });
    try {
      await trainer.setData("train", data);
      await assert.rejects(trainer.step(rows(0, 1, 2, 3)), (error: unknown) => {
        assert.ok(error instanceof NonFiniteError, String(error));
        assert.equal(error.kind, "parameter");
        assert.equal(error.applied, true);
        assert.match(error.message, /parameter "0\.(weight|bias)" is -?Infinity \(element \d+\).*the update produced it/);
        return true;
      });
    } finally {
      await trainer.close();
    }
  }
});

const BN: ModelSpec = {
  layers: [
    { type: "linear", inFeatures: 6, outFeatures: 8 },
    { type: "batchnorm1d", numFeatures: 8 },
    { type: "relu" },
    { type: "linear", inFeatures: 8, outFeatures: 3 },
  ],
};
const BN_CONFIG: TrainerConfig = { model: BN, loss: { type: "cross_entropy" }, optimizer: { type: "sgd", lr: 0.1 }, seed: 3 };

test("shardRanges() gives batch-norm models ≥ 2 rows per non-empty shard", () => {
  assert.deepEqual(shardRanges(3, 2, 2), [[0, 3], [3, 3]]);
  assert.deepEqual(shardRanges(5, 3, 2), [[0, 3], [3, 5], [5, 5]]);
  assert.deepEqual(shardRanges(1, 3, 2), [[0, 1], [1, 1], [1, 1]]);
  assert.deepEqual(shardRanges(10, 3, 1), [[0, 4], [4, 7], [7, 10]]);
  assert.deepEqual(shardRanges(2, 3, 1), [[0, 1], [1, 2], [2, 2]]);
});

test("BatchNorm1d with a last batch of 3 rows trains on 1, 2 and 3 workers exactly as LocalTrainer; 5 rows on 3 workers run", async () => {
  const data = vectors(40);
  const local = await LocalTrainer.fromConfig(BN_CONFIG);
  await local.setData("train", data);
  await local.step(rows(10, 11, 12));
  const expected = await local.stateDict();
  for (const workers of [1, 2, 3]) {
    const dp = await DataParallel.create({ ...BN_CONFIG, workers });
    try {
      await dp.setData("train", data);
      await dp.step(rows(10, 11, 12));
      const { error, where } = maxRelativeError(await dp.stateDict(), expected);
      assert.ok(error < 1e-6, `${workers} workers: ${where}`);
      assert.ok(Number.isFinite((await dp.step(rows(0, 1, 2, 3, 4))).loss));
    } finally {
      await dp.close();
    }
  }
});

test("BatchNorm1d with a 1-row batch: PyTorch's error before the step, for any worker count and LocalTrainer", async () => {
  const data = vectors(40);
  for (const workers of [1, 2, 3]) {
    const dp = await DataParallel.create({ ...BN_CONFIG, workers });
    try {
      await dp.setData("train", data);
      const before = await dp.stateDict();
      await assert.rejects(
        dp.step(rows(7)),
        {
          name: "RangeError",
          message:
            'Cannot run DataParallel.step: expected more than 1 value per channel when training, got input [1, 8] at BatchNorm1d "1" (batch statistics need 2 rows; use batches of 2 or more)',
        },
      );
      assert.equal(dp.closed, false);
      assert.equal(maxRelativeError(await dp.stateDict(), before).error, 0);
    } finally {
      await dp.close();
    }
  }
  const local = await LocalTrainer.fromConfig(BN_CONFIG);
  await local.setData("train", data);
  await assert.rejects(local.step(rows(7)), /expected more than 1 value per channel when training, got input \[1, 8\]/);
});

test("DataParallel rejects unknown config and option keys and extra arguments, naming the nearest key", async () => {
  const base: TrainerConfig = { ...BN_CONFIG, workers: 1 };
  const create = DataParallel.create as (...args: unknown[]) => Promise<DataParallel>;
  await assert.rejects(create(base, { timeoutMS: 10 }), {
    name: "TypeError",
    message: /^Cannot create DataParallel: unknown option "timeoutMS" \(did you mean "timeoutMs"\?/,
  });
  await assert.rejects(create({ ...base, worker: 2 }), {
    name: "TypeError",
    message: /^Cannot create DataParallel: config: unknown option "worker" \(did you mean "workers"\?/,
  });
  await assert.rejects(create(base, {}, 3), /^TypeError: Cannot create DataParallel: expected at most 2 arguments, got 3/);
  await assert.rejects(create(), /Cannot create DataParallel: expected a config/);
  await assert.rejects(create({ ...base, model: undefined }), /config\.model is missing/);
  const dp = await DataParallel.create(base);
  try {
    const setData = dp.setData.bind(dp) as (...args: unknown[]) => Promise<void>;
    await assert.rejects(setData("train", vectors(), { flipp: true }), /augment: unknown option "flipp" \(did you mean "flip"\?/);
    await assert.rejects(setData("train", vectors(), {}, 1), /expected at most 3 arguments, got 4/);
    await dp.setData("train", vectors());
    const trainSteps = dp.trainSteps.bind(dp) as (...args: unknown[]) => Promise<unknown>;
    await assert.rejects(trainSteps([rows(0, 1)], { lrs: [0.1] }), /unknown option "lrs" \(did you mean "lr"\?/);
    assert.equal(dp.closed, false);
  } finally {
    await dp.close();
  }
});
