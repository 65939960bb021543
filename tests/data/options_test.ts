/**
 * Every public data/ function and class that takes options rejects an unknown key (naming
 * the nearest valid one) and every one rejects extra positional arguments, at run time
 * (issue 11 item 3: scripts run by `deno run`/`bun` are not type-checked).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as data from "../../data/mod.ts";
import * as fetchCachedModule from "../../data/fetch_cached.ts";
import * as gunzipModule from "../../data/gunzip.ts";
import * as tarModule from "../../data/tar.ts";
import * as idxModule from "../../data/idx.ts";
import * as cifarBinaryModule from "../../data/cifar_binary.ts";
import * as mnistModule from "../../data/mnist.ts";
import * as cifar10Module from "../../data/cifar10.ts";
import * as datasetModule from "../../data/dataset.ts";
import * as dataLoaderModule from "../../data/data_loader.ts";
import * as transformsModule from "../../data/transforms.ts";
import * as syntheticModule from "../../data/synthetic.ts";
import { Tensor } from "../../tensor/tensor.ts";

// deno-lint-ignore no-explicit-any
type Loose = (...args: any[]) => unknown;
const call = (fn: unknown, ...args: unknown[]) => () => (fn as Loose)(...args);
// deno-lint-ignore no-explicit-any
const build = (cls: any, ...args: unknown[]) => () => new cls(...args);

const x = new Tensor(new Float32Array(8), [4, 2]);
const y = new Int32Array(4);
const moons = data.makeMoons(8);
const images = new data.ImageDataset(new Uint8Array(4), new Uint8Array(1), [1, 1, 2, 2]);

/** [what, a call with a misspelled key, the key, the name it should suggest] */
const UNKNOWN_KEYS: [string, () => unknown, string, string][] = [
  [
    "fetchCached",
    call(data.fetchCached, "f.gz", { mirrors: [], cache_dir: "/x" }),
    "cache_dir",
    "cacheDir",
  ],
  ["mnist", call(data.mnist, { mirror: ["/x"] }), "mirror", "mirrors"],
  ["fashionMnist", call(data.fashionMnist, { Train: false }), "Train", "train"],
  [
    "cifar10",
    call(data.cifar10, { allow_unverified: true }),
    "allow_unverified",
    "allowUnverified",
  ],
  ["gunzip", call(data.gunzip, new Uint8Array(2), { max_bytes: 1 }), "max_bytes", "maxBytes"],
  ["DataLoader", build(data.DataLoader, images, { batch_size: 2 }), "batch_size", "batchSize"],
  ["randomCrop", call(data.randomCrop, 2, { paddding: 1 }), "paddding", "padding"],
  ["makeMoons", call(data.makeMoons, 8, { noize: 0.1 }), "noize", "noise"],
  ["makeCircles", call(data.makeCircles, 8, { factr: 0.5 }), "factr", "factor"],
  ["makeBlobs", call(data.makeBlobs, 8, { cluster_std: 1 }), "cluster_std", "clusterStd"],
  ["makeSpirals", call(data.makeSpirals, 8, { n_classes: 2 }), "n_classes", "nClasses"],
  ["trainTestSplit", call(data.trainTestSplit, moons, { test_size: 0.5 }), "test_size", "testSize"],
];

/** [what, a call with one argument too many, the most allowed] */
const EXTRA_ARGUMENTS: [string, () => unknown, number][] = [
  ["fetchCached", call(data.fetchCached, "f.gz", { mirrors: [] }, {}), 2],
  ["mnist", call(data.mnist, {}, true), 1],
  ["fashionMnist", call(data.fashionMnist, {}, true), 1],
  ["cifar10", call(data.cifar10, {}, true), 1],
  ["gunzip", call(data.gunzip, new Uint8Array(2), {}, 1), 2],
  ["readTar", call(data.readTar, new Uint8Array(1024), "a", 1), 2],
  ["sharedBytes", call(cifarBinaryModule.sharedBytes, 4, {}), 1],
  [
    "copyCifarBatch",
    call(cifarBinaryModule.copyCifarBatch, { name: "b", bytes: new Uint8Array(0) }, {}, 0, 1, 2),
    4,
  ],
  ["parseIdx", call(data.parseIdx, new Uint8Array(8), "a", 1), 2],
  ["parseIdxImages", call(data.parseIdxImages, new Uint8Array(8), "a", 1), 2],
  ["parseIdxLabels", call(data.parseIdxLabels, new Uint8Array(8), "a", 10, 1), 3],
  ["encodeIdx", call(data.encodeIdx, [1], new Uint8Array(1), "uint8", 1), 3],
  [
    "checkCifarBatch",
    call(data.checkCifarBatch, { name: "a", bytes: new Uint8Array(3073) }, 1, 1),
    2,
  ],
  ["parseCifarBatches", call(data.parseCifarBatches, [], 1, 1), 2],
  [
    "ImageDataset",
    build(data.ImageDataset, new Uint8Array(4), new Uint8Array(1), [1, 1, 2, 2], [], "", 1),
    5,
  ],
  ["TensorDataset", build(data.TensorDataset, x, y, [], 1), 3],
  ["TensorDataset.from", call(data.TensorDataset.from, { x, y }, [], 1), 2],
  ["DataLoader", build(data.DataLoader, images, {}, 1), 2],
  ["toFloat", call(data.toFloat, 1), 0],
  ["normalize", call(data.normalize, [0], [1], 1), 2],
  ["randomCrop", call(data.randomCrop, 2, {}, 1), 2],
  ["randomHorizontalFlip", call(data.randomHorizontalFlip, 0.5, 1), 1],
  ["compose", call(data.compose, [], 1), 1],
  ["makeMoons", call(data.makeMoons, 8, {}, 1), 2],
  ["makeCircles", call(data.makeCircles, 8, {}, 1), 2],
  ["makeBlobs", call(data.makeBlobs, 8, {}, 1), 2],
  ["makeSpirals", call(data.makeSpirals, 8, {}, 1), 2],
  ["trainTestSplit", call(data.trainTestSplit, moons, {}, 1), 2],
];

/** Runs `fn`, awaiting it when it returns a promise, and returns what it threw. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

for (const [what, fn, key, nearest] of UNKNOWN_KEYS) {
  test(`${what}: unknown option "${key}" is a TypeError suggesting "${nearest}"`, async () => {
    const error = await thrown(fn);
    assert.ok(error instanceof TypeError, `${what} accepted ${key}: ${error}`);
    assert.ok(
      error.message.includes(`unknown option "${key}" (did you mean "${nearest}"?`),
      error.message,
    );
  });
}

for (const [what, fn, max] of EXTRA_ARGUMENTS) {
  test(`${what}: one positional argument too many is a TypeError`, async () => {
    const error = await thrown(fn);
    assert.ok(error instanceof TypeError, `${what} accepted ${max + 1} arguments: ${error}`);
    assert.ok(error.message.includes(`expected at most ${max} argument`), error.message);
  });
}

test("options that are not an object (new DataLoader(ds, 32), makeMoons(8, 0.1)) are refused by name", () => {
  assert.throws(
    () => new data.DataLoader(images, 32 as never),
    /Cannot create DataLoader: expected an options object/,
  );
  assert.throws(
    () => data.makeMoons(8, 0.1 as never),
    /Cannot run makeMoons: expected an options object .* got 0\.1/,
  );
  assert.throws(
    () => data.compose(data.toFloat() as never),
    /Cannot create compose: expected an array of transforms/,
  );
});

test("the tables cover every public function and class of this part of data/", () => {
  const covered = new Set(
    [...UNKNOWN_KEYS, ...EXTRA_ARGUMENTS].map(([what]) => what.split(".")[0]),
  );
  const modules = [
    fetchCachedModule,
    gunzipModule,
    tarModule,
    idxModule,
    cifarBinaryModule,
    mnistModule,
    cifar10Module,
    datasetModule,
    dataLoaderModule,
    transformsModule,
    syntheticModule,
  ];
  // One required argument and nothing optional: a wrong call fails on the value itself.
  const exempt = new Set([
    "isGzip",
    "sha256Hex",
    "resolveCacheDir",
    "cifar10Check",
    "defaultMirrors",
    "readCached",
    "writeCached",
    "readCacheMeta",
    "fromMirrors",
  ]);
  const errors = new Set(["ChecksumError", "FetchError", "SizeLimitError", "CacheDirError"]);
  const missing = modules.flatMap((m) => Object.entries(m))
    .filter(([name, value]) =>
      typeof value === "function" && !errors.has(name) && !exempt.has(name)
    )
    .map(([name]) => name)
    .filter((name) => !covered.has(name));
  assert.deepEqual(missing, [], "exports without an options/argument-count case");
});
