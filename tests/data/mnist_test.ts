import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { fashionMnist, mnist } from "../../data/mnist.ts";
import { FetchError, sha256Hex } from "../../data/fetch_cached.ts";
import type { ImageDataset } from "../../data/dataset.ts";
import { listFiles, tempDir } from "../_helpers/data_fixtures.ts";
import { startLoopbackServer } from "../_helpers/loopback_server.ts";

const MNIST_DIR = fileURLToPath(new URL("../../../shared/data/mnist/", import.meta.url));
const FASHION_DIR = "/usr/share/datasets/fashion-mnist";
const noMnist = existsSync(MNIST_DIR)
  ? false
  : `no MNIST copy at ${MNIST_DIR} (shared/ must sit beside the repo)`;
const noFashion = existsSync(FASHION_DIR)
  ? false
  : `${FASHION_DIR} missing (apt-get install dataset-fashion-mnist)`;

/** sha256 of the IDX files rebuilt from a dataset: header + pixels, header + labels (values from DATASETS.md). */
async function idxHashes(ds: ImageDataset): Promise<[string, string]> {
  const [n, , h, w] = ds.shape;
  const images = new Uint8Array(16 + ds.images.length);
  const iv = new DataView(images.buffer);
  [0x803, n, h, w].forEach((v, i) => iv.setUint32(4 * i, v, false));
  images.set(ds.images, 16);
  const labels = new Uint8Array(8 + n);
  const lv = new DataView(labels.buffer);
  [0x801, n].forEach((v, i) => lv.setUint32(4 * i, v, false));
  labels.set(ds.labels, 8);
  return [await sha256Hex(images), await sha256Hex(labels)];
}

const REAL = [
  {
    name: "mnist",
    load: mnist,
    dir: MNIST_DIR,
    skip: noMnist,
    train: {
      n: 60000,
      first: [5, 0, 4, 1, 9],
      sha: [
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      ],
    },
    test: {
      n: 10000,
      first: [7, 2, 1, 0, 4],
      sha: [
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
      ],
    },
  },
  {
    name: "fashionMnist",
    load: fashionMnist,
    dir: FASHION_DIR,
    skip: noFashion,
    train: {
      n: 60000,
      first: [9, 0, 0, 3, 0],
      sha: [
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
      ],
    },
    test: {
      n: 10000,
      first: [9, 2, 1, 1, 6],
      sha: [
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
      ],
    },
  },
];

for (const set of REAL) {
  for (const split of ["train", "test"] as const) {
    const want = set[split];
    test(
      `${set.name}({ train: ${
        split === "train"
      } }) from a directory mirror: ${want.n} images, known sha256s, first labels ${want.first}`,
      { skip: set.skip },
      async () => {
        const tmp = await tempDir();
        try {
          const ds = await set.load({
            train: split === "train",
            mirrors: [set.dir],
            cacheDir: tmp.path,
          });
          assert.deepEqual(ds.shape, [want.n, 1, 28, 28]);
          assert.deepEqual(Array.from(ds.labels.subarray(0, 5)), want.first);
          assert.deepEqual(await idxHashes(ds), want.sha);
          assert.equal(ds.classes.length, 10);
          assert.equal(ds.verification, "per-file sha256");
          // A local mirror goes through the cache too: a later run without it (train.ts
          // --resume/--eval without --mirror) finds the files, verified.
          const folder = set.name === "mnist" ? "mnist" : "fashion-mnist";
          const prefix = split === "train" ? "train" : "t10k";
          assert.deepEqual(await listFiles(tmp.path), [
            `${folder}/${prefix}-images-idx3-ubyte`,
            `${folder}/${prefix}-images-idx3-ubyte.meta.json`,
            `${folder}/${prefix}-labels-idx1-ubyte`,
            `${folder}/${prefix}-labels-idx1-ubyte.meta.json`,
          ]);
          const again = await set.load({
            train: split === "train",
            mirrors: [],
            cacheDir: tmp.path,
          });
          assert.deepEqual(again.labels, ds.labels);
          assert.equal(again.verification, "per-file sha256");
        } finally {
          await tmp.cleanup();
        }
      },
    );
  }
}

test("fashionMnist() finds the Debian package directory without any mirror option", {
  skip: noFashion,
}, async () => {
  const tmp = await tempDir();
  try {
    const ds = await fashionMnist({ train: false, cacheDir: tmp.path, retries: 0 });
    assert.equal(ds.length, 10000);
    assert.equal(ds.classes[9], "Ankle boot");
  } finally {
    await tmp.cleanup();
  }
});

test(
  "mnist() reads $SHARDGRAD_DATA_MIRROR when no mirrors are given",
  { skip: noMnist },
  async () => {
    const saved = process.env.SHARDGRAD_DATA_MIRROR;
    const tmp = await tempDir();
    try {
      process.env.SHARDGRAD_DATA_MIRROR = MNIST_DIR;
      const ds = await mnist({ train: false, cacheDir: tmp.path, retries: 0, timeoutMs: 1 });
      assert.equal(ds.length, 10000);
    } finally {
      if (saved === undefined) delete process.env.SHARDGRAD_DATA_MIRROR;
      else process.env.SHARDGRAD_DATA_MIRROR = saved;
      await tmp.cleanup();
    }
  },
);

test("mnist() over HTTP caches the decompressed files, then loads with zero requests", {
  skip: noMnist,
}, async () => {
  const routes: Record<string, { body: Uint8Array }> = {};
  for (const f of ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) {
    routes[`/mnist/${f}`] = { body: new Uint8Array(await readFile(`${MNIST_DIR}/${f}`)) };
  }
  const server = await startLoopbackServer(routes);
  const tmp = await tempDir();
  try {
    const opts = { train: false, mirrors: [`${server.url}/mnist/`], cacheDir: tmp.path };
    const first = await mnist(opts);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(await listFiles(tmp.path), [
      "mnist/t10k-images-idx3-ubyte",
      "mnist/t10k-images-idx3-ubyte.meta.json",
      "mnist/t10k-labels-idx1-ubyte",
      "mnist/t10k-labels-idx1-ubyte.meta.json",
    ]);
    const again = await mnist(opts);
    assert.equal(server.requests.length, 2, "served from the cache");
    assert.deepEqual(again.labels, first.labels);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

test("mnist() offline with no cache → FetchError naming the URLs tried and how to use a local copy", async () => {
  const closed = await startLoopbackServer();
  await closed.close();
  const tmp = await tempDir();
  try {
    const error = await mnist({ mirrors: [`${closed.url}/mnist/`], cacheDir: tmp.path, retries: 0 })
      .catch((e) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.ok(error.message.includes(`${closed.url}/mnist/train-images-idx3-ubyte.gz`));
    assert.match(error.message, /SHARDGRAD_DATA_MIRROR/);
  } finally {
    await tmp.cleanup();
  }
});
