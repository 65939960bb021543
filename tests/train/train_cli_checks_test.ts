/**
 * train.ts refuses what does not fit before it trains, as a child process: a state.json
 * that breaks the command line's rules, a checkpoint evaluated on a dataset it was not
 * trained on, a broken model.json, an `--out` that cannot be written, too many workers.
 * Every refusal is one line; exit 2 for the command line, 1 for a broken checkpoint.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliRun, spawnCli } from "./_run_cli.ts";
import { checkWorkers } from "../../train/_cli_checks.ts";
import { ConfigError, SCHEDULERS } from "../../train/cli.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "shardgrad-cli-"));
}

/** A one-epoch moons run in a fresh folder; `body` gets the folder. */
async function withRun(body: (out: string) => Promise<void>): Promise<void> {
  const out = await tempDir();
  try {
    const run = await spawnCli([
      "--dataset",
      "moons",
      "--workers",
      "1",
      "--epochs",
      "1",
      "--quiet",
      "--out",
      join(out, "run"),
    ]);
    assert.equal(run.code, 0, run.stderr);
    await body(join(out, "run"));
  } finally {
    await rm(out, { recursive: true });
  }
}

/** Asserts exit code `code` and exactly one stderr line matching `message`, and no training output. */
function assertOneLine(run: CliRun, code: number, message: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  assert.match(run.stderr, message);
  assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
  assert.doesNotMatch(run.stdout, /^epoch /m);
}

/** Rewrites the checkpoint's real state.json (through the folder's links) with `edit`. */
async function editState(run: string, edit: (state: Record<string, unknown>) => void) {
  const path = await realpath(join(run, "state.json"));
  const state = JSON.parse(await readFile(path, "utf8"));
  edit(state);
  await writeFile(path, JSON.stringify(state));
  return path;
}

const BAD_STATES: [string, (s: Record<string, unknown>) => void, string][] = [
  [
    "config.batchSize -5",
    (s) => void ((s.config as Record<string, unknown>).batchSize = -5),
    "config.batchSize: expected a positive integer, got -5",
  ],
  ["epoch -3", (s) => void (s.epoch = -3), "epoch: expected a non-negative integer, got -3"],
  [
    'config.scheduler "warp"',
    (s) => void ((s.config as Record<string, unknown>).scheduler = "warp"),
    `config.scheduler: expected one of ${SCHEDULERS.join(", ")}`,
  ],
  [
    "an unknown config key",
    (s) => void ((s.config as Record<string, unknown>).batch_size = 8),
    'config.batch_size: unknown setting (did you mean "batchSize"? known: dataset, model, epochs, batchSize, optimizer, lr, momentum, weightDecay, scheduler, augment, seed, limitTrain, limitTest)',
  ],
  [
    "format missing",
    (s) => void delete s.format,
    'format: expected "shardgrad-train-state" (not a shardgrad training state), got nothing',
  ],
];
for (const [name, edit, message] of BAD_STATES) {
  test(`train.ts --resume and --eval refuse a state.json with ${name}, naming the file and field (exit 1)`, async () => {
    await withRun(async (run) => {
      const path = await editState(run, edit);
      const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      for (
        const [args, action] of [[["--resume", run, "--epochs", "2"], "resume from"], [[
          "--eval",
          run,
        ], "evaluate"]]
      ) {
        const result = await spawnCli(args as string[]);
        assertOneLine(
          result,
          1,
          new RegExp(`^error: Cannot ${action} ${escaped(path)}: ${escaped(message)}`),
        );
      }
    });
  });
}

test("train.ts --eval of a folder whose state.json is not JSON names the file (exit 1)", async () => {
  await withRun(async (run) => {
    const path = await realpath(join(run, "state.json"));
    await writeFile(path, "{");
    assertOneLine(
      await spawnCli(["--eval", run]),
      1,
      new RegExp(`^error: .*${path}.*not valid JSON`),
    );
  });
});

test("train.ts --eval of a folder without state.json needs --dataset (no silent MNIST)", async () => {
  await withRun(async (run) => {
    await unlink(await realpath(join(run, "state.json")));
    assertOneLine(
      await spawnCli(["--eval", run]),
      2,
      /^error: Cannot evaluate .*: it has no state\.json to say which dataset it was trained on; pass --dataset\n$/,
    );
    const withFlag = await spawnCli(["--eval", run, "--dataset", "moons", "--quiet"]);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.match(withFlag.stdout, /^test accuracy /);
  });
});

test("train.ts --eval of a moons checkpoint on another dataset names the model file and the mismatch (exit 2)", async () => {
  await withRun(async (run) => {
    assertOneLine(
      await spawnCli(["--eval", run, "--dataset", "blobs"]),
      2,
      /^error: Cannot evaluate .* on blobs: the model in .*model\.json outputs 2 classes, dataset blobs has 4\n$/,
    );
  });
});

test("train.ts --resume and --eval of a checkpoint with a broken model.json name the file (exit 1)", async () => {
  await withRun(async (run) => {
    const path = await realpath(join(run, "model.json"));
    await writeFile(path, JSON.stringify({ layers: [{ type: "linear", inFeatures: 2 }] }));
    for (const args of [["--eval", run], ["--resume", run, "--epochs", "2"]]) {
      assertOneLine(
        await spawnCli(args),
        1,
        new RegExp(`^error: Invalid model spec in ${path}: layers\\[0\\]\\.outFeatures: `),
      );
    }
  });
});

test("train.ts --model with a spec whose output does not fit the dataset exits 2 before training", async () => {
  const dir = await tempDir();
  try {
    const spec = join(dir, "five.json");
    await writeFile(
      spec,
      JSON.stringify({ layers: [{ type: "linear", inFeatures: 2, outFeatures: 5 }] }),
    );
    assertOneLine(
      await spawnCli(["--dataset", "moons", "--model", spec, "--out", join(dir, "run")]),
      2,
      /^error: --model .*five\.json cannot train on moons: the model in .*five\.json outputs 5 classes, dataset moons has 2\n$/,
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("train.ts --out that is a file, under a file or unwritable exits 2 with one line before training", async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, "a-file");
    await writeFile(file, "");
    // As root permissions do not stop a write, so a folder that cannot be created stands in.
    const unwritable = "/proc/shardgrad-cannot-create";
    for (
      const [out, message] of [
        [file, `^error: Cannot write checkpoints to ${file}: it is a file, not a folder`],
        [
          join(file, "run"),
          `^error: Cannot write checkpoints to ${file}/run: ${file} is a file, not a folder`,
        ],
        [unwritable, `^error: Cannot write checkpoints to ${unwritable}: E[A-Z]+`],
      ]
    ) {
      const run = await spawnCli([
        "--dataset",
        "moons",
        "--workers",
        "1",
        "--epochs",
        "1",
        "--out",
        out,
      ]);
      assertOneLine(run, 2, new RegExp(message));
      assert.equal(run.stdout, "", "nothing trained");
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("train.ts --workers far above the cores exits 2 with one line", async () => {
  const cores = navigator.hardwareConcurrency;
  for (const workers of [1000, Math.min(256, 4 * cores) + 1]) {
    const run = await spawnCli(["--dataset", "moons", "--workers", String(workers)]);
    assertOneLine(
      run,
      2,
      new RegExp(
        `^error: --workers ${workers}: at most ${Math.min(256, 4 * cores)} on this machine`,
      ),
    );
    assert.equal(run.stdout, "");
  }
});

/** checkWorkers(requested, cores) → the count, a warning, or a refusal. */
const WORKER_CASES: [number | undefined, number, number | null, boolean][] = [
  [undefined, 2, 2, false],
  [1, 2, 1, false],
  [2, 2, 2, false],
  [3, 2, 3, true],
  [8, 2, 8, true],
  [9, 2, null, false],
  [1000, 2, null, false],
  [256, 128, 256, true],
  [257, 128, null, false],
];
for (const [requested, cores, expected, warns] of WORKER_CASES) {
  test(`checkWorkers(${requested}) on ${cores} cores ${expected === null ? "refuses" : `gives ${expected}${warns ? " with a warning" : ""}`}`, () => {
    const warnings: string[] = [];
    if (expected === null) {
      assert.throws(() => checkWorkers(requested, (l) => warnings.push(l), cores), ConfigError);
      return;
    }
    assert.equal(checkWorkers(requested, (l) => warnings.push(l), cores), expected);
    assert.equal(warnings.length, warns ? 1 : 0);
    if (warns) {
      assert.match(
        warnings[0],
        new RegExp(`^warning: --workers ${expected} is more than the ${cores} cores`),
      );
    }
  });
}
