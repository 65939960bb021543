/**
 * The training functions that take options objects check their calls at run time (scripts
 * run by `deno run`/`bun` are not type-checked): an unknown key is one TypeError naming the
 * function, the key and the nearest valid name; an extra positional argument is refused.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { createTrainer } from "../../train/create_trainer.ts";
import { createScheduler, fit, type RunConfig, writeMetrics } from "../../train/loop.ts";
import { loadDataset } from "../../train/datasets.ts";
import { Progress } from "../../train/progress.ts";
import { printResult } from "../../train/report.ts";
import { parseCli } from "../../train/cli.ts";
import { runCli } from "../../train/run_cli.ts";
import type { TrainerConfig, VectorData } from "../../train/trainer.ts";

const CONFIG: TrainerConfig = {
  model: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2 }] },
  loss: { type: "cross_entropy" },
  optimizer: { type: "sgd", lr: 0.1 },
  seed: 0,
  workers: 1,
};
const RUN: RunConfig = {
  dataset: "moons",
  model: "test",
  epochs: 1,
  batchSize: 2,
  optimizer: "sgd",
  lr: 0.1,
  momentum: 0,
  weightDecay: 0,
  scheduler: "none",
  augment: false,
  seed: 0,
  limitTrain: null,
  limitTest: null,
};
const DATA: VectorData = {
  kind: "vectors",
  x: new Float32Array([0, 1, 1, 0]),
  shape: [2, 2],
  labels: new Int32Array([1, 0]),
};
const quiet = () => new Progress("quiet", () => {});
const io = { stdout: () => {}, stderr: () => {}, isTTY: false };

/** [call, the start of the one-line message]. Each call would otherwise run (or fail later). */
const CASES: [string, () => unknown, RegExp][] = [
  [
    "createTrainer({ ..., worker: 2 })",
    () => createTrainer({ ...CONFIG, worker: 2 } as unknown as TrainerConfig),
    /^Cannot create a trainer: config: unknown option "worker" \(did you mean "workers"\?/,
  ],
  [
    "createTrainer(config, 2)",
    () => (createTrainer as (...a: unknown[]) => unknown)(CONFIG, 2),
    /^Cannot create a trainer: expected at most 1 argument, got 2$/,
  ],
  [
    "createTrainer()",
    () => (createTrainer as (...a: unknown[]) => unknown)(),
    /^Cannot create a trainer: expected a config, got undefined$/,
  ],
  [
    "fit({ ..., outDir: dir })",
    async () =>
      fit({
        trainer: await createTrainer(CONFIG),
        config: RUN,
        train: DATA,
        test: null,
        spec: CONFIG.model,
        progress: quiet(),
        outDir: "/tmp/never",
      } as never),
    /^Cannot run fit: unknown option "outDir" \(known options: trainer, config, train, test, augment, spec, progress, out, resume\)$/,
  ],
  [
    "fit(options, extra)",
    () => (fit as (...a: unknown[]) => unknown)({}, 1),
    /^Cannot run fit: expected at most 1 argument, got 2$/,
  ],
  [
    "loadDataset('moons', { limit_train: 10 })",
    () => loadDataset("moons", { limit_train: 10 } as never),
    /^Cannot run loadDataset: unknown option "limit_train" \(did you mean "limitTrain"\?/,
  ],
  [
    "loadDataset('moons', 10)",
    () => loadDataset("moons", 10 as never),
    /^Cannot run loadDataset: expected an options object .* got 10$/,
  ],
  [
    "new Progress('quiet', write, { barwidth: 10 })",
    () => new Progress("quiet", () => {}, { barwidth: 10 } as never),
    /^Cannot create Progress: unknown option "barwidth" \(did you mean "barWidth"\?/,
  ],
  [
    "new Progress('jsonl', write)",
    () => new Progress("jsonl" as never, () => {}),
    /^Cannot create Progress: mode must be one of tty, lines, json, quiet, got "jsonl"$/,
  ],
  [
    "printResult(..., { second: 1 })",
    () =>
      printResult(
        { loss: 0, correct: 0, count: 0, predictions: new Int32Array() },
        { test: DATA, numClasses: 2, classNames: [] },
        quiet(),
        io,
        { second: 1 } as never,
      ),
    /^Cannot run printResult: context: unknown option "second" \(did you mean "seconds"\?/,
  ],
  [
    "createScheduler(trainer, config, 6, 'cosine')",
    async () =>
      (createScheduler as (...a: unknown[]) => unknown)(
        await createTrainer(CONFIG),
        RUN,
        6,
        "cosine",
      ),
    /^Cannot run createScheduler: expected at most 3 arguments, got 4$/,
  ],
  [
    "writeMetrics(out, config, history, extra)",
    () => (writeMetrics as (...a: unknown[]) => unknown)("/tmp/never", RUN, [], {}),
    /^Cannot run writeMetrics: expected at most 3 arguments, got 4$/,
  ],
  [
    "parseCli('--epochs 3')",
    () => parseCli("--epochs 3" as never),
    /^Cannot run parseCli: expected an array of strings, got "--epochs 3"$/,
  ],
  [
    "runCli([], { ..., is_tty: true })",
    () => runCli([], { ...io, is_tty: true } as never),
    /^Cannot run runCli: io: unknown option "is_tty" \(did you mean "isTTY"\?/,
  ],
];

for (const [call, body, message] of CASES) {
  test(`${call} is refused with one line naming the key or the argument count`, async () => {
    await assert.rejects(async () => await body(), (error: Error) => {
      assert.equal(error.name, "TypeError");
      assert.match(error.message, message);
      assert.equal(error.message.split("\n").length, 1);
      return true;
    });
  });
}

test("createTrainer, fit and loadDataset still run with every documented option", async () => {
  const data = await loadDataset("moons", {
    mirror: undefined,
    limitTrain: 8,
    limitTest: 4,
    splits: "both",
    onProgress: () => {},
  });
  const trainer = await createTrainer(CONFIG);
  try {
    const result = await fit({
      trainer,
      config: { ...RUN, batchSize: 4 },
      train: data.train,
      test: data.test,
      augment: undefined,
      spec: CONFIG.model,
      progress: new Progress("quiet", () => {}, { now: () => 0, redrawMs: 10, barWidth: 8 }),
      out: undefined,
      resume: undefined,
    });
    assert.equal(result.history.length, 1);
    assert.equal(result.test!.count, 4);
  } finally {
    await trainer.close();
  }
});
