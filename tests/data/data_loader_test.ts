import { test } from "node:test";
import assert from "node:assert/strict";
import { DataLoader } from "../../data/data_loader.ts";
import { ImageDataset, TensorDataset } from "../../data/dataset.ts";
import { makeBlobs } from "../../data/synthetic.ts";
import { compose, normalize, randomHorizontalFlip, toFloat } from "../../data/transforms.ts";
import { Rng } from "../../tensor/rng.ts";

/** 10 images [1, 2, 2]; every pixel of image i is i, label i mod 3. */
const ds = new ImageDataset(
  Uint8Array.from({ length: 40 }, (_, k) => Math.floor(k / 4)),
  Uint8Array.from({ length: 10 }, (_, i) => i % 3),
  [10, 1, 2, 2],
);

function epoch(loader: DataLoader): number[] {
  return [...loader].flatMap((b) => Array.from(b.indices));
}

test("DataLoader without shuffle yields samples in order with x [B, C, H, W] and Int32Array y", () => {
  const batches = [...new DataLoader(ds, { batchSize: 4 })];
  assert.deepEqual(batches.map((b) => b.x.shape), [[4, 1, 2, 2], [4, 1, 2, 2], [2, 1, 2, 2]]);
  assert.deepEqual(Array.from(batches[1].x.data), [4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7]);
  assert.ok(batches[0].y instanceof Int32Array);
  assert.deepEqual(Array.from(batches[2].y), [8 % 3, 9 % 3]);
});

test("DataLoader same seed → same order; new epochs reshuffle", () => {
  const a = new DataLoader(ds, { batchSize: 3, shuffle: true, rng: new Rng(42) });
  const b = new DataLoader(ds, { batchSize: 3, shuffle: true, rng: new Rng(42) });
  const a1 = epoch(a), a2 = epoch(a);
  assert.deepEqual(a1, epoch(b));
  assert.deepEqual(a2, epoch(b));
  assert.notDeepEqual(a1, a2);
  assert.notDeepEqual(a1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("DataLoader shuffle visits every sample exactly once per epoch", () => {
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, rng: new Rng(1) });
  for (let e = 0; e < 3; e++) {
    const seen = epoch(loader);
    assert.deepEqual([...seen].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  for (const { x, y, indices } of loader) {
    indices.forEach((i, b) => {
      assert.equal(x.data[b * 4], i, "pixels belong to the index");
      assert.equal(y[b], i % 3, "label belongs to the index");
    });
  }
});

test("DataLoader dropLast skips the short batch; length follows PyTorch", () => {
  const keep = new DataLoader(ds, { batchSize: 4 });
  const drop = new DataLoader(ds, { batchSize: 4, dropLast: true, shuffle: true, rng: new Rng(0) });
  assert.equal(keep.length, 3);
  assert.equal(drop.length, 2);
  const batches = [...drop];
  assert.equal(batches.length, 2);
  assert.ok(batches.every((b) => b.x.shape[0] === 4));
  assert.equal(new DataLoader(ds, { batchSize: 20, dropLast: true }).length, 0);
});

test("DataLoader applies the transform to each batch with its rng", () => {
  const loader = new DataLoader(ds, {
    batchSize: 5,
    transform: compose([toFloat(), normalize([0.5], [0.25])]),
  });
  const [first] = loader;
  assert.ok(Math.abs(first.x.data[4] - (1 / 255 - 0.5) / 0.25) < 1e-6);
  const aug = (seed: number) =>
    [
      ...new DataLoader(ds, {
        batchSize: 5,
        shuffle: true,
        rng: new Rng(seed),
        transform: randomHorizontalFlip(),
      }),
    ]
      .map((b) => Array.from(b.x.data));
  assert.deepEqual(aug(3), aug(3));
});

test("DataLoader batches a TensorDataset of synthetic [N, F] rows", () => {
  const data = makeBlobs(25, { nFeatures: 3, rng: new Rng(0) });
  const loader = new DataLoader(TensorDataset.from(data), {
    batchSize: 8,
    shuffle: true,
    rng: new Rng(2),
  });
  const batches = [...loader];
  assert.deepEqual(batches.map((b) => b.x.shape), [[8, 3], [8, 3], [8, 3], [1, 3]]);
  const b = batches[0];
  const i = b.indices[0];
  assert.deepEqual(
    Array.from(b.x.data.subarray(0, 3)),
    Array.from(data.x.data.subarray(i * 3, i * 3 + 3)),
  );
  assert.equal(b.y[0], data.y[i]);
});

test("DataLoader rejects a non-positive batchSize", () => {
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), RangeError);
});
