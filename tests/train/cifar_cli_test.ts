import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "../../tensor/rng.ts";
import { readSafetensorsHeader } from "../../train/safetensors.ts";
import { gzip, makeCifarBatch, makeTar, tempDir } from "../_helpers/data_fixtures.ts";
import { spawnCli } from "./_run_cli.ts";

/** A CIFAR-10 binary archive in the real layout with 8 random images per batch file. */
async function tinyCifar(dir: string): Promise<void> {
  const rng = new Rng(0);
  const files = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
  ];
  const tar = makeTar([
    ...files.map((name, i) => ({
      path: `cifar-10-batches-bin/${name}`,
      data: makeCifarBatch(8, rng, i),
    })),
    {
      path: "cifar-10-batches-bin/batches.meta.txt",
      data: new TextEncoder().encode("airplane\nautomobile\n"),
    },
  ]);
  await writeFile(join(dir, "cifar-10-binary.tar.gz"), await gzip(tar));
}

for (const model of ["cifar-cnn", "resnet-small"]) {
  test(`train.ts --dataset cifar10 --model ${model} trains (augmented by default) on a tiny archive in the real layout`, async () => {
    const { path: dir, cleanup } = await tempDir("shardgrad-cifar-");
    try {
      await tinyCifar(dir);
      const run = await spawnCli(
        [
          "--dataset",
          "cifar10",
          "--model",
          model,
          "--mirror",
          dir,
          "--allow-unverified-data", // 8 records per batch: a custom archive, structure only
          "--epochs",
          "1",
          "--batch-size",
          "16",
          "--workers",
          "1",
          "--json",
          "--out",
          join(dir, "run"),
        ],
        // A private cache: the fake archive must never land in the real CIFAR-10 cache.
        { env: { SHARDGRAD_CACHE: join(dir, "cache") } },
      );
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines[0].config.augment, true);
      assert.match(lines[0].verification, /structure only/, `the start line names the check: ${lines[0].verification}`);
      assert.deepEqual(lines.at(-1).count, 8);
      const { entries } = readSafetensorsHeader(
        new Uint8Array(await readFile(join(dir, "run", "model.safetensors"))),
      );
      assert.deepEqual(entries["0.weight"].shape.slice(0, 2), [model === "cifar-cnn" ? 32 : 16, 3]);
      assert.ok(
        Object.keys(entries).some((k) =>
          k.endsWith("num_batches_tracked") && entries[k].dtype === "I64"
        ),
      );
    } finally {
      await cleanup();
    }
  });
}

test("train.ts --dataset cifar10 refuses a tiny custom archive without --allow-unverified-data, naming the flag", async () => {
  const { path: dir, cleanup } = await tempDir("shardgrad-cifar-");
  try {
    await tinyCifar(dir);
    const args = ["--dataset", "cifar10", "--mirror", dir, "--epochs", "1", "--workers", "1"];
    const run = await spawnCli([...args, "--out", join(dir, "run")], {
      env: { SHARDGRAD_CACHE: join(dir, "cache") },
    });
    assert.notEqual(run.code, 0, run.stdout);
    assert.match(run.stderr, /holds 8 records, not the 10000 of the real set/);
    assert.match(run.stderr, /--allow-unverified-data/);
  } finally {
    await cleanup();
  }
});
