import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCli, UsageError } from "../../train/cli.ts";
import { encodeMat, MI } from "../_helpers/mat_writer.ts";
import { tempDir } from "../_helpers/data_fixtures.ts";
import { spawnCli } from "./_run_cli.ts";

/** An SVHN-layout file of `n` images (X uint8 [32, 32, 3, n] column-major, y [n, 1] with 10 for the digit 0). */
function svhnFile(n: number, seed: number): Promise<Uint8Array> {
  const x = Uint8Array.from({ length: 3072 * n }, (_, k) => (k * 31 + seed * 17) % 251);
  const y = Array.from({ length: n }, (_, i) => ((i + seed) % 10) + 1);
  return encodeMat([
    { name: "X", class: "uint8", dims: [32, 32, 3, n], data: x },
    { name: "y", class: "double", dims: [n, 1], data: y, storage: MI.UINT8 },
  ], { compress: true });
}

async function svhnMirror(dir: string): Promise<void> {
  await writeFile(join(dir, "train_32x32.mat"), await svhnFile(16, 1));
  await writeFile(join(dir, "extra_32x32.mat"), await svhnFile(8, 2));
  await writeFile(join(dir, "test_32x32.mat"), await svhnFile(8, 3));
}

const common = ["--epochs", "1", "--batch-size", "8", "--workers", "1", "--json"];

for (const extra of [false, true]) {
  test(`train.ts --dataset svhn${extra ? " --svhn-extra" : ""} trains cifar-cnn on custom files with --allow-unverified-data`, async () => {
    const { path: dir, cleanup } = await tempDir("shardgrad-svhn-");
    try {
      await svhnMirror(dir);
      const run = await spawnCli(
        [
          "--dataset",
          "svhn",
          ...(extra ? ["--svhn-extra"] : []),
          "--mirror",
          dir,
          "--allow-unverified-data",
          ...common,
          "--out",
          join(dir, "run"),
        ],
        // A private cache: the fake files must never land in the real SVHN cache.
        { env: { SHARDGRAD_CACHE: join(dir, "cache") } },
      );
      assert.equal(run.code, 0, run.stderr);
      const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
      const start = events.find((e) => e.event === "start");
      assert.equal(start.config.dataset, extra ? "svhn-extra" : "svhn");
      assert.equal(start.config.model, "cifar-cnn");
      assert.equal(start.trainSamples, extra ? 24 : 16);
      assert.equal(start.testSamples, 8);
      const state = JSON.parse(await readFile(join(dir, "run", "state.json"), "utf8"));
      assert.equal(state.config.dataset, extra ? "svhn-extra" : "svhn");
    } finally {
      await cleanup();
    }
  });
}

test("train.ts --dataset svhn refuses files that are not the published ones, naming the md5 and the flag (exit 1)", async () => {
  const { path: dir, cleanup } = await tempDir("shardgrad-svhn-");
  try {
    await svhnMirror(dir);
    const run = await spawnCli(
      ["--dataset", "svhn", "--mirror", dir, ...common, "--out", join(dir, "run")],
      { env: { SHARDGRAD_CACHE: join(dir, "cache") } },
    );
    assert.equal(run.code, 1, run.stdout);
    assert.match(
      run.stderr,
      /test_32x32\.mat: its md5 is [0-9a-f]{32}, expected eb5a983be6a315427106f1b164d9cef3 .*--allow-unverified-data/,
    );
  } finally {
    await cleanup();
  }
});

test("parseCli: --svhn-extra selects svhn-extra, needs --dataset svhn, and --allow-unverified-data is a switch", () => {
  assert.equal(parseCli(["--dataset", "svhn", "--svhn-extra"]).dataset, "svhn-extra");
  assert.equal(parseCli(["--dataset", "svhn"]).dataset, "svhn");
  assert.equal(parseCli(["--dataset", "svhn", "--no-svhn-extra"]).dataset, "svhn");
  assert.throws(
    () => parseCli(["--dataset", "cifar10", "--svhn-extra"]),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        "--svhn-extra adds SVHN's extra split to its training set: it needs --dataset svhn, got --dataset cifar10",
  );
  assert.equal(
    parseCli(["--dataset", "svhn", "--allow-unverified-data"]).allowUnverifiedData,
    true,
  );
  assert.equal(parseCli(["--dataset", "svhn"]).allowUnverifiedData, false);
  assert.throws(
    () => parseCli(["--allow-unverified-data=yes"]),
    /--allow-unverified-data is a switch and takes no value/,
  );
});
