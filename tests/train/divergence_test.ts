/**
 * fit() and non-finite values: a NaN/Inf test loss, parameter or optimizer state stops
 * training with one error naming the epoch and what was non-finite, and no checkpoint is
 * written from that state (the last good one stays in place).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../tensor/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { makeSpirals } from "../../data/synthetic.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { fit, type RunConfig } from "../../train/loop.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { Progress } from "../../train/progress.ts";
import type {
  EvalResult,
  StepResult,
  Trainer,
  TrainerConfig,
  VectorData,
} from "../../train/trainer.ts";

const SPEC = {
  layers: [
    { type: "linear", inFeatures: 2, outFeatures: 16 },
    { type: "relu" },
    { type: "linear", inFeatures: 16, outFeatures: 3 },
  ],
} as TrainerConfig["model"];
const STEPS_PER_EPOCH = 6;

function data(): VectorData {
  const { x, y } = makeSpirals(96, { rng: new Rng(3) });
  return { kind: "vectors", x: x.data, shape: [96, 2], labels: y };
}

const CONFIG: RunConfig = {
  dataset: "spirals",
  model: "test",
  epochs: 3,
  batchSize: 16,
  optimizer: "sgd",
  lr: 0.2,
  momentum: 0.9,
  weightDecay: 0,
  scheduler: "cosine",
  augment: false,
  seed: 5,
  limitTrain: null,
  limitTest: null,
};

/** What goes wrong, and when: after step `afterStep` (1-based), or in evaluation number `evaluation`. */
type Fault =
  | { afterStep: number; corrupt: (trainer: LocalTrainer) => void | Promise<void> }
  | { evaluation: number; loss: number };

/** A LocalTrainer that turns non-finite at one point while every step still reports a finite loss. */
async function faulty(fault: Fault): Promise<Trainer> {
  const inner = await LocalTrainer.fromConfig({
    model: SPEC,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.2, momentum: 0.9 },
    seed: 5,
  });
  let steps = 0;
  let evaluations = 0;
  return {
    get paramGroups() {
      return inner.paramGroups;
    },
    setData: (s, d, a) => inner.setData(s, d, a),
    async step(indices): Promise<StepResult> {
      const result = await inner.step(indices);
      if ("afterStep" in fault && ++steps === fault.afterStep) await fault.corrupt(inner);
      return result;
    },
    async evaluate(s, i): Promise<EvalResult> {
      const result = await inner.evaluate(s, i);
      if ("evaluation" in fault && ++evaluations === fault.evaluation) {
        return { ...result, loss: fault.loss };
      }
      return result;
    },
    stateDict: () => inner.stateDict(),
    loadStateDict: (s) => inner.loadStateDict(s),
    optimizerStateDict: () => inner.optimizerStateDict(),
    loadOptimizerStateDict: (s) => inner.loadOptimizerStateDict(s),
    reseed: (seed: number) => inner.reseed(seed),
    close: () => inner.close(),
  } as Trainer;
}

const CASES: [string, Fault, boolean, RegExp][] = [
  [
    "a NaN test loss",
    { evaluation: 2, loss: NaN },
    true,
    /^RangeError: Training diverged: the test loss is NaN after epoch 2 \(lr [\d.e-]+\); the checkpoint in .* is from epoch 1\. Try a smaller --lr\.$/,
  ],
  [
    "an infinite test loss",
    { evaluation: 1, loss: Infinity },
    true,
    /^RangeError: Training diverged: the test loss is Infinity after epoch 1 \(lr [\d.e-]+\); no checkpoint was written\./,
  ],
  [
    "a NaN parameter after the last step of an epoch (no test split)",
    {
      afterStep: 2 * STEPS_PER_EPOCH,
      corrupt: (t) => void (t.model.parameters()[2].data.data[5] = NaN),
    },
    false,
    /^RangeError: Training diverged: parameter "2\.weight" is NaN \(element 5 of 48\) after epoch 2 \(lr [\d.e-]+\); the checkpoint in .* is from epoch 1\./,
  ],
  [
    "an infinite optimizer state with finite parameters",
    {
      afterStep: 2 * STEPS_PER_EPOCH,
      corrupt: async (t) => {
        const state = await t.optimizerStateDict();
        const states = state.state as unknown as Record<string, { momentum_buffer: Tensor }>;
        const buffer = states["1"].momentum_buffer;
        buffer.data[3] = Infinity;
        await t.loadOptimizerStateDict(state);
      },
    },
    false,
    /^RangeError: Training diverged: optimizer state "state\.1\.momentum_buffer" is Infinity \(element 3 of 16\) after epoch 2 .*the checkpoint in .* is from epoch 1\./,
  ],
];

for (const [name, fault, withTest, message] of CASES) {
  test(`fit() stops on ${name} and keeps the last good checkpoint`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardgrad-diverge-"));
    try {
      await assert.rejects(
        fit({
          trainer: await faulty(fault),
          config: CONFIG,
          train: data(),
          test: withTest ? data() : null,
          spec: SPEC,
          progress: new Progress("quiet", () => {}),
          out: dir,
        }),
        (error: Error) => {
          assert.match(`${error.name}: ${error.message}`, message);
          return true;
        },
      );
      const saved = /from epoch (\d)/.exec(message.source)?.[1];
      if (saved === undefined) {
        await assert.rejects(readFile(join(dir, "state.json")), { code: "ENOENT" });
        return;
      }
      const checkpoint = await loadCheckpoint(dir);
      assert.equal((checkpoint.state as { epoch: number }).epoch, Number(saved));
      for (const [key, tensor] of Object.entries(checkpoint.model)) {
        assert.ok(tensor.data.every(Number.isFinite), `${key} is finite in the checkpoint`);
      }
      const metrics = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8"));
      assert.equal(metrics.epochs.length, Number(saved));
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}

test("fit() resumed and diverging before its first save says the resumed checkpoint is untouched", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-diverge-"));
  try {
    const common = { train: data(), test: data(), spec: SPEC, out: dir };
    const progress = () => new Progress("quiet", () => {});
    await fit({
      ...common,
      trainer: await faulty({ evaluation: 0, loss: 0 }),
      config: { ...CONFIG, epochs: 1 },
      progress: progress(),
    });
    await assert.rejects(
      fit({
        ...common,
        trainer: await faulty({ evaluation: 1, loss: NaN }),
        config: { ...CONFIG, epochs: 1 + 1 },
        progress: progress(),
        resume: await loadCheckpoint(dir),
      }),
      /the test loss is NaN after epoch 2 .*; nothing was written to .* \(the checkpoint resumed from is from epoch 1\)\./,
    );
    assert.equal(((await loadCheckpoint(dir)).state as { epoch: number }).epoch, 1);
  } finally {
    await rm(dir, { recursive: true });
  }
});
