/**
 * Resume and the learning-rate schedule, for every `--scheduler` the CLI offers: an unchanged
 * horizon resumes bit for bit; a changed `--epochs` re-lays the schedule over the new total,
 * so the resumed epochs train at the lr an uninterrupted run of that length has there.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../tensor/rng.ts";
import { makeSpirals } from "../../data/synthetic.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { fit, type RunConfig } from "../../train/loop.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { SCHEDULERS } from "../../train/cli.ts";
import { Progress } from "../../train/progress.ts";
import type { StepResult, Trainer, TrainerConfig, VectorData } from "../../train/trainer.ts";

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

function config(scheduler: RunConfig["scheduler"], epochs: number): RunConfig {
  return {
    dataset: "spirals",
    model: "test",
    epochs,
    batchSize: 16,
    optimizer: "sgd",
    lr: 0.2,
    momentum: 0.9,
    weightDecay: 0,
    scheduler,
    augment: false,
    seed: 5,
    limitTrain: null,
    limitTest: null,
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

/** A trainer whose step number `failAt` throws, as a killed process would stop there. */
function crashing(inner: LocalTrainer, failAt: number): Trainer {
  let steps = 0;
  return {
    get paramGroups() {
      return inner.paramGroups;
    },
    setData: (s, d, a) => inner.setData(s, d, a),
    async step(indices): Promise<StepResult> {
      if (++steps === failAt) throw new Error("killed (simulated)");
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

async function run(
  scheduler: RunConfig["scheduler"],
  epochs: number,
  out: string,
  options: { resume?: boolean; crashAt?: number; lines?: string[] } = {},
) {
  const inner = await trainer();
  return await fit({
    trainer: options.crashAt !== undefined ? crashing(inner, options.crashAt) : inner,
    config: config(scheduler, epochs),
    train: data(),
    test: data(),
    spec: SPEC,
    progress: new Progress("lines", (text) => options.lines?.push(text)),
    out,
    resume: options.resume ? await loadCheckpoint(out) : undefined,
  });
}

async function weights(dir: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(join(dir, "model.safetensors")));
  const header = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return bytes.subarray(header);
}

async function withDirs(count: number, body: (dirs: string[]) => Promise<void>): Promise<void> {
  const dirs = await Promise.all(
    Array.from({ length: count }, () => mkdtemp(join(tmpdir(), "shardgrad-relay-"))),
  );
  try {
    await body(dirs);
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true });
  }
}

/** Schedules whose lr depends on the planned number of epochs: these must re-lay. */
const HORIZON = new Set(["step", "cosine", "onecycle"]);

for (const scheduler of SCHEDULERS) {
  test(`fit() resumed with an unchanged horizon equals the uninterrupted run, bit for bit (--scheduler ${scheduler})`, async () => {
    await withDirs(2, async ([straightDir, crashedDir]) => {
      const straight = await run(scheduler, 4, straightDir);
      await assert.rejects(
        run(scheduler, 4, crashedDir, { crashAt: 2 * STEPS_PER_EPOCH + 3 }),
        /killed/,
      );
      const lines: string[] = [];
      const resumed = await run(scheduler, 4, crashedDir, { resume: true, lines });
      assert.ok(!lines.some((l) => l.startsWith("resume:")), "no re-lay announced");
      assert.deepEqual(
        resumed.history,
        straight.history.map((e, i) => ({
          ...e,
          seconds: resumed.history[i].seconds,
          samplesPerSecond: resumed.history[i].samplesPerSecond,
        })),
      );
      assert.deepEqual(await weights(crashedDir), await weights(straightDir));
    });
  });

  test(`fit() resumed with more epochs trains them at the lr of a schedule over the new total (--scheduler ${scheduler})`, async () => {
    await withDirs(2, async ([straightDir, extendedDir]) => {
      const straight = await run(scheduler, 4, straightDir);
      const short = await run(scheduler, 2, extendedDir);
      const lines: string[] = [];
      const extended = await run(scheduler, 4, extendedDir, { resume: true, lines });
      assert.deepEqual(extended.history.slice(0, 2), short.history);
      const lrs = (h: { lr: number }[]) => h.slice(2).map((e) => e.lr);
      assert.deepEqual(lrs(extended.history), lrs(straight.history), "epochs 3-4 lr");
      assert.ok(extended.history[2].lr > 1e-3, `lr ${extended.history[2].lr} in epoch 3`);
      const announced = lines.filter((l) => l.startsWith("resume:"));
      if (HORIZON.has(scheduler)) assert.equal(announced.length, 1, lines.join(""));
      if (announced.length > 0) {
        assert.equal(announced.length, 1, lines.join(""));
        assert.match(
          announced[0],
          new RegExp(
            `^resume: ${scheduler} schedule re-laid over 4 epochs \\(saved run planned 2\\); lr [\\d.e-]+ from epoch 3\\n$`,
          ),
        );
      } else {
        // A schedule that ignores the horizon continues exactly as the longer run.
        assert.deepEqual(await weights(extendedDir), await weights(straightDir));
      }
      const state = (await loadCheckpoint(extendedDir)).state as { epoch: number };
      assert.equal(state.epoch, 4);
    });
  });
}

test("fit() re-laid once resumes bit for bit from its own checkpoints afterwards (cosine, 2 -> 4 epochs, crash in epoch 4)", async () => {
  await withDirs(2, async ([a, b]) => {
    await run("cosine", 2, a);
    await run("cosine", 4, a, { resume: true });
    await run("cosine", 2, b);
    await assert.rejects(
      run("cosine", 4, b, { resume: true, crashAt: STEPS_PER_EPOCH + 2 }),
      /killed/,
    );
    assert.equal(((await loadCheckpoint(b)).state as { epoch: number }).epoch, 3);
    const lines: string[] = [];
    await run("cosine", 4, b, { resume: true, lines });
    assert.ok(!lines.some((l) => l.startsWith("resume:")), "the horizon is 4 in both");
    assert.deepEqual(await weights(b), await weights(a));
  });
});
