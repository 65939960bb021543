import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../tensor/rng.ts";
import { makeSpirals } from "../../data/synthetic.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { DataParallel } from "../../parallel/data_parallel.ts";
import { epochSeed, fit, type RunConfig } from "../../train/loop.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { Progress } from "../../train/progress.ts";
import type { StepResult, Trainer, TrainerConfig, VectorData } from "../../train/trainer.ts";

const SPEC = {
  layers: [
    { type: "linear", inFeatures: 2, outFeatures: 16 },
    { type: "relu" },
    { type: "dropout", p: 0.1 },
    { type: "linear", inFeatures: 16, outFeatures: 3 },
  ],
} as TrainerConfig["model"];

function data(): VectorData {
  const { x, y } = makeSpirals(96, { rng: new Rng(3) });
  return { kind: "vectors", x: x.data, shape: [96, 2], labels: y };
}

function config(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    dataset: "spirals",
    model: "test",
    epochs: 4,
    batchSize: 16,
    optimizer: "sgd",
    lr: 0.2,
    momentum: 0.9,
    weightDecay: 0,
    scheduler: "onecycle",
    augment: false,
    seed: 5,
    limitTrain: null,
    limitTest: null,
    ...overrides,
  };
}

async function trainer(): Promise<LocalTrainer> {
  return await LocalTrainer.fromConfig({
    model: SPEC,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.2, momentum: 0.9 },
    seed: 5,
  });
}

/** Wraps a trainer so that step number `failAt` (1-based, counted over the wrapper's life) misbehaves. */
function faulty(inner: LocalTrainer, failAt: number, how: "throw" | "nan"): Trainer {
  let steps = 0;
  return {
    get paramGroups() {
      return inner.paramGroups;
    },
    setData: (s, d, a) => inner.setData(s, d, a),
    async step(indices): Promise<StepResult> {
      if (++steps === failAt) {
        if (how === "throw") throw new Error("killed (simulated)");
        return { loss: NaN, correct: 0, count: indices.length };
      }
      return await inner.step(indices);
    },
    evaluate: (s, i) => inner.evaluate(s, i),
    stateDict: () => inner.stateDict(),
    loadStateDict: (s) => inner.loadStateDict(s),
    optimizerStateDict: () => inner.optimizerStateDict(),
    loadOptimizerStateDict: (s) => inner.loadOptimizerStateDict(s),
    reseed: (seed: number) => inner.reseed(seed),
    close: () => inner.close(),
  } as Trainer;
}

const quiet = () => new Progress("quiet", () => {});

test("fit() resumed after a crash in epoch 3 equals the uninterrupted run (OneCycle with momentum, dropout)", async () => {
  const straightDir = await mkdtemp(join(tmpdir(), "shardgrad-loop-"));
  const crashedDir = await mkdtemp(join(tmpdir(), "shardgrad-loop-"));
  try {
    const straight = await fit({
      trainer: await trainer(),
      config: config(),
      train: data(),
      test: data(),
      spec: SPEC,
      progress: quiet(),
      out: straightDir,
    });
    const stepsPerEpoch = 6;
    await assert.rejects(
      fit({
        trainer: faulty(await trainer(), 2 * stepsPerEpoch + 3, "throw"),
        config: config(),
        train: data(),
        test: data(),
        spec: SPEC,
        progress: quiet(),
        out: crashedDir,
      }),
      /killed/,
    );
    const checkpoint = await loadCheckpoint(crashedDir);
    assert.equal((checkpoint.state as { epoch: number }).epoch, 2);
    const resumed = await fit({
      trainer: await trainer(),
      config: config(),
      train: data(),
      test: data(),
      spec: SPEC,
      progress: quiet(),
      out: crashedDir,
      resume: checkpoint,
    });
    assert.deepEqual(
      resumed.history.map((e) => e.trainLoss),
      straight.history.map((e) => e.trainLoss),
    );
    const a = await readFile(join(straightDir, "model.safetensors"));
    const b = await readFile(join(crashedDir, "model.safetensors"));
    const header = (bytes: Uint8Array) =>
      8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.deepEqual(b.subarray(header(b)), a.subarray(header(a)), "identical weights");
  } finally {
    await rm(straightDir, { recursive: true });
    await rm(crashedDir, { recursive: true });
  }
});

test("fit() stops on a non-finite loss naming epoch and step, keeping the last good checkpoint", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-loop-"));
  try {
    await assert.rejects(
      fit({
        trainer: faulty(await trainer(), 6 + 4, "nan"),
        config: config(),
        train: data(),
        test: data(),
        spec: SPEC,
        progress: quiet(),
        out: dir,
      }),
      /^RangeError: Training diverged: the loss is NaN at epoch 2, step 4 of 6 \(lr [\d.e-]+\); the checkpoint in .* is from epoch 1\./,
    );
    assert.equal(((await loadCheckpoint(dir)).state as { epoch: number }).epoch, 1);
    assert.equal(JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")).epochs.length, 1);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("fit() steps OneCycle per batch and ends near zero lr; cosine per epoch", async () => {
  const one = await fit({
    trainer: await trainer(),
    config: config(),
    train: data(),
    test: null,
    spec: SPEC,
    progress: quiet(),
  });
  assert.ok(one.history[1].lr > one.history[3].lr);
  assert.ok(one.history[3].lr < 0.2 / 25, `last lr ${one.history[3].lr}`);
  assert.equal(one.test, null);
  const cos = await fit({
    trainer: await trainer(),
    config: config({ scheduler: "cosine" }),
    train: data(),
    test: null,
    spec: SPEC,
    progress: quiet(),
  });
  assert.deepEqual(cos.history.map((e) => Number(e.lr.toFixed(6))), [0.2, 0.170711, 0.1, 0.029289]);
});

test("fit() reports each epoch through Progress and evaluates the test split", async () => {
  const lines: string[] = [];
  const result = await fit({
    trainer: await trainer(),
    config: config({ epochs: 2 }),
    train: data(),
    test: data(),
    spec: SPEC,
    progress: new Progress("json", (s) => lines.push(s)),
  });
  assert.deepEqual(lines.map((l) => JSON.parse(l).epoch), [1, 2]);
  assert.equal(result.test!.count, 96);
  assert.equal(result.test!.predictions.length, 96);
});

test("fit() through DataParallel.trainSteps equals fit() through step(), bit for bit (OneCycle with momentum, dropout)", async () => {
  const runs: { losses: number[]; lrs: number[]; weights: Float32Array[]; updates: number[] }[] = [];
  for (const chunked of [false, true]) {
    const dp = await DataParallel.create({
      model: SPEC,
      loss: { type: "cross_entropy" },
      optimizer: { type: "sgd", lr: 0.2, momentum: 0.9 },
      seed: 5,
      workers: 2,
    });
    const calls: number[] = [];
    const trainer: Trainer = chunked ? dp : {
      get paramGroups() {
        return dp.paramGroups;
      },
      setData: (s, d, a) => dp.setData(s, d, a),
      step: (indices) => dp.step(indices),
      evaluate: (s, i) => dp.evaluate(s, i),
      stateDict: () => dp.stateDict(),
      loadStateDict: (s) => dp.loadStateDict(s),
      optimizerStateDict: () => dp.optimizerStateDict(),
      loadOptimizerStateDict: (s) => dp.loadOptimizerStateDict(s),
      reseed: (seed: number) => dp.reseed(seed),
      close: () => dp.close(),
    };
    const progress = quiet();
    progress.update = (done) => void calls.push(done);
    try {
      const result = await fit({
        trainer,
        config: config({ epochs: 3 }),
        train: data(),
        test: null,
        spec: SPEC,
        progress,
      });
      const weights = Object.values(await dp.stateDict()).map((t) => t.data);
      runs.push({
        losses: result.history.map((e) => e.trainLoss),
        lrs: result.history.map((e) => e.lr),
        weights,
        updates: calls,
      });
    } finally {
      await dp.close();
    }
  }
  assert.deepEqual(runs[1].losses, runs[0].losses);
  assert.deepEqual(runs[1].lrs, runs[0].lrs);
  assert.deepEqual(runs[1].weights, runs[0].weights);
  assert.equal(runs[0].updates.length, 18, "one progress update per step");
  assert.ok(runs[1].updates.length >= 3, "at least one progress update per epoch");
  assert.equal(runs[1].updates.at(-1), 96);
});

test("epochSeed() differs across epochs and seeds", () => {
  assert.notEqual(epochSeed(0, 1), epochSeed(0, 2));
  assert.notEqual(epochSeed(1, 1), epochSeed(2, 1));
  assert.equal(epochSeed(7, 3), epochSeed(7, 3));
});
