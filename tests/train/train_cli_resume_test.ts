/**
 * train.ts end to end, as a child process: extending a run with `--resume --epochs`
 * (the schedule is re-laid over the new total) and a diverging run (stopped with one
 * error, the last good checkpoint kept).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCli } from "./_run_cli.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "shardgrad-cli-"));
}

function epochs(stdout: string): { epoch: number; lr: number; trainLoss: number }[] {
  return stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).filter((l) => l.event === "epoch");
}

for (const scheduler of ["cosine", "onecycle", "step"]) {
  test(`train.ts --resume --epochs 6 of a 3-epoch run re-lays the ${scheduler} schedule (epochs 4-6 at the 6-epoch lr, not 0)`, async () => {
    const split = await tempDir();
    try {
      const flags = ["--dataset", "moons", "--workers", "1", "--scheduler", scheduler];
      const first = await spawnCli([...flags, "--epochs", "3", "--quiet", "--out", split]);
      assert.equal(first.code, 0, first.stderr);
      const text = await spawnCli(["--resume", split, "--epochs", "4", "--workers", "1"]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(
          `\\nresume: ${scheduler} schedule re-laid over 4 epochs \\(saved run planned 3\\); lr [\\d.e-]+ from epoch 4\\n`,
        ),
      );
      const extended = await spawnCli([
        "--resume",
        split,
        "--epochs",
        "6",
        "--workers",
        "1",
        "--json",
      ]);
      assert.equal(extended.code, 0, extended.stderr);
      const straight = await spawnCli([
        ...flags,
        "--epochs",
        "6",
        "--json",
        "--out",
        join(split, "straight"),
      ]);
      assert.equal(straight.code, 0, straight.stderr);
      const resumed = epochs(extended.stdout);
      assert.deepEqual(resumed.map((e) => e.epoch), [5, 6]);
      assert.deepEqual(
        resumed.map((e) => e.lr),
        epochs(straight.stdout).slice(4).map((e) => e.lr),
        "the lr of a 6-epoch schedule",
      );
      assert.ok(resumed[0].lr > 0, `epoch 5 lr ${resumed[0].lr}`);
      const relaid = extended.stdout.split("\n").filter((l) => l.includes('"event":"schedule"'));
      assert.equal(relaid.length, 1);
      assert.deepEqual(
        { ...JSON.parse(relaid[0]), lr: 0 },
        { event: "schedule", scheduler, epochs: 6, savedEpochs: 4, fromEpoch: 5, lr: 0 },
      );
      const metrics = JSON.parse(await readFile(join(split, "metrics.json"), "utf8"));
      assert.equal(metrics.epochs.length, 6);
      assert.equal(metrics.config.epochs, 6);
    } finally {
      await rm(split, { recursive: true });
    }
  });
}

test("train.ts with a diverging lr stops with one error naming the epoch, keeping the last good checkpoint", async () => {
  const out = await tempDir();
  try {
    // lr 3.6 on moons: epoch 1 trains with finite (huge) losses, then epoch 2 turns NaN (with
    // every kernel version; lr 3 stopped diverging when SGD took PyTorch's float32 arithmetic).
    const run = await spawnCli([
      "--dataset",
      "moons",
      "--workers",
      "1",
      "--epochs",
      "3",
      "--optimizer",
      "sgd",
      "--scheduler",
      "none",
      "--lr",
      "3.6",
      "--quiet",
      "--out",
      out,
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
    const match =
      /^error: Training diverged: .* (?:at|after) epoch (\d)\b.*; (?:the checkpoint in .* is from epoch (\d)|no checkpoint was written)\. Try a smaller --lr\.\n$/
        .exec(run.stderr);
    assert.ok(match, run.stderr);
    const [, failed, kept] = match;
    assert.ok(Number(failed) >= 2, `diverged in epoch ${failed}, after a good epoch`);
    assert.equal(Number(kept), Number(failed) - 1);
    const state = JSON.parse(await readFile(join(out, "state.json"), "utf8"));
    assert.equal(state.epoch, Number(kept));
    const evaluated = await spawnCli(["--eval", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.ok(
      Number.isFinite(JSON.parse(evaluated.stdout).testLoss),
      "the kept checkpoint is finite",
    );
  } finally {
    await rm(out, { recursive: true });
  }
});
