import { test } from "node:test";
import assert from "node:assert/strict";
import { ImageDataset, TensorDataset } from "../../data/dataset.ts";
import { makeMoons } from "../../data/synthetic.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";

const images = Uint8Array.from({ length: 3 * 2 * 2 * 2 }, (_, i) => i * 10);
const ds = new ImageDataset(images, Uint8Array.from([4, 5, 6]), [3, 2, 2, 2], ["a", "b"]);

test("ImageDataset exposes shape [N, C, H, W], sampleShape and per-item views", () => {
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.shape, [3, 2, 2, 2]);
  assert.deepEqual(ds.sampleShape, [2, 2, 2]);
  const { image, label } = ds.get(1);
  assert.deepEqual(Array.from(image), [80, 90, 100, 110, 120, 130, 140, 150]);
  assert.equal(label, 5);
  assert.equal(image.buffer, images.buffer);
});

test("ImageDataset.gather() converts only the requested samples to float32", () => {
  const out = new Float32Array(2 * 8);
  ds.gather([2, 0], out);
  assert.deepEqual(Array.from(out), [
    160,
    170,
    180,
    190,
    200,
    210,
    220,
    230,
    0,
    10,
    20,
    30,
    40,
    50,
    60,
    70,
  ]);
  assert.throws(() => ds.gather([3], new Float32Array(8)), RangeError);
  assert.throws(() => ds.gather([0], new Float32Array(7)), TypeError);
});

test("ImageDataset.slice() shares memory and keeps labels aligned", () => {
  const tail = ds.slice(1);
  assert.equal(tail.length, 2);
  assert.equal(tail.get(0).label, 5);
  assert.equal(tail.images.buffer, images.buffer);
});

test("ImageDataset rejects pixel or label counts that do not match the shape", () => {
  assert.throws(
    () => new ImageDataset(new Uint8Array(7), new Uint8Array(1), [1, 1, 2, 4]),
    /needs 8 pixels, got 7/,
  );
  assert.throws(
    () => new ImageDataset(new Uint8Array(8), new Uint8Array(2), [1, 1, 2, 4]),
    /1 images but 2 labels/,
  );
});

test("TensorDataset wraps synthetic [N, F] data and gathers rows", () => {
  const data = makeMoons(6, { rng: new Rng(0) });
  const t = TensorDataset.from(data);
  assert.equal(t.length, 6);
  assert.deepEqual(t.sampleShape, [2]);
  const out = new Float32Array(4);
  t.gather([5, 1], out);
  assert.deepEqual(Array.from(out), [
    data.x.data[10],
    data.x.data[11],
    data.x.data[2],
    data.x.data[3],
  ]);
  assert.throws(() => new TensorDataset(Tensor.zeros([3, 2]), new Int32Array(2)), TypeError);
});
