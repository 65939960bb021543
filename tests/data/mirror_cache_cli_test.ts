/**
 * Issue 11 item 12: a local `--mirror` goes through the cache, so `--eval` and `--resume` of an
 * MNIST run find the files without repeating `--mirror` (here with a private SHARDGRAD_CACHE
 * and no SHARDGRAD_DATA_MIRROR: a cache miss would have to reach the public hosts and fail).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { listFiles, tempDir } from "../_helpers/data_fixtures.ts";
import { MNIST_MIRROR, spawnCli } from "../train/_run_cli.ts";

test("train.ts --mirror DIR caches MNIST; --eval and --resume then run without --mirror", {
  skip: existsSync(MNIST_MIRROR) ? false : `no MNIST copy at ${MNIST_MIRROR}`,
  timeout: 120_000, // three train.ts processes; `bun test` alone defaults to 5 s
}, async () => {
  const tmp = await tempDir();
  try {
    const out = join(tmp.path, "run");
    const cache = join(tmp.path, "cache");
    const env = { SHARDGRAD_CACHE: cache, SHARDGRAD_DATA_MIRROR: "" };
    const small = [
      "--model",
      "mlp",
      "--workers",
      "1",
      "--limit-train",
      "300",
      "--limit-test",
      "100",
    ];
    const first = await spawnCli(
      ["--mirror", MNIST_MIRROR, ...small, "--epochs", "1", "--json", "--out", out],
      { env },
    );
    assert.equal(first.code, 0, first.stderr);
    assert.match(JSON.parse(first.stdout.split("\n")[0]).verification, /sha256/);
    assert.deepEqual((await listFiles(cache)).filter((f) => !f.endsWith(".meta.json")), [
      "mnist/t10k-images-idx3-ubyte",
      "mnist/t10k-labels-idx1-ubyte",
      "mnist/train-images-idx3-ubyte",
      "mnist/train-labels-idx1-ubyte",
    ]);
    const evaluated = await spawnCli(["--eval", out, "--json"], { env });
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.equal(JSON.parse(evaluated.stdout.trimEnd().split("\n").at(-1)!).count, 100);
    const resumed = await spawnCli(["--resume", out, "--epochs", "2", "--json"], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
  } finally {
    await tmp.cleanup();
  }
});
