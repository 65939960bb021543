import { test } from "node:test";
import assert from "node:assert/strict";
import { copyCifarBatch, parseCifarBatches, sharedBytes } from "../../data/cifar_binary.ts";
import { shareData } from "../../parallel/protocol.ts";
import { makeCifarBatch } from "../_helpers/data_fixtures.ts";
import { Rng } from "../../tensor/rng.ts";

// Issue 16: a CIFAR-sized set is held once. The loader parses into a SharedArrayBuffer and
// DataParallel's shareData hands that very buffer to the workers instead of a copy.

const MEAN = [0.5, 0.5, 0.5];
const STD = [0.25, 0.25, 0.25];

test("parseCifarBatches() puts the images in a SharedArrayBuffer of exactly their size", () => {
  const rng = new Rng(1);
  const { images, n } = parseCifarBatches([
    { name: "a", bytes: makeCifarBatch(3, rng) },
    { name: "b", bytes: makeCifarBatch(2, rng, 3) },
  ]);
  assert.equal(n, 5);
  assert.ok(images.buffer instanceof SharedArrayBuffer);
  assert.equal(images.byteOffset, 0);
  assert.equal(images.buffer.byteLength, 5 * 3072);
});

test("shareData() shares loader images as they are, and copies a view of part of a buffer", () => {
  const { images, labels, n } = parseCifarBatches([{
    name: "a",
    bytes: makeCifarBatch(4, new Rng(2)),
  }]);
  const whole = shareData({
    kind: "images",
    images,
    labels,
    shape: [n, 3, 32, 32],
    mean: MEAN,
    std: STD,
  });
  assert.equal(whole.kind, "images");
  if (whole.kind !== "images") return;
  assert.equal(whole.images, images.buffer, "the loader's buffer itself, not a copy");
  // The first 2 images (what --limit-train takes) are a view: they are copied into a buffer of their own.
  const part = images.subarray(0, 2 * 3072);
  const cut = shareData({
    kind: "images",
    images: part,
    labels: labels.subarray(0, 2),
    shape: [2, 3, 32, 32],
    mean: MEAN,
    std: STD,
  });
  if (cut.kind !== "images") return assert.fail("expected images");
  assert.notEqual(cut.images, images.buffer);
  assert.equal(cut.images.byteLength, 2 * 3072);
  assert.deepEqual(new Uint8Array(cut.images), part);
});

test("shareData() copies images held in an ordinary ArrayBuffer", () => {
  const images = Uint8Array.from({ length: 3072 }, (_, i) => i % 251);
  const shared = shareData({
    kind: "images",
    images,
    labels: new Uint8Array([3]),
    shape: [1, 3, 32, 32],
    mean: MEAN,
    std: STD,
  });
  if (shared.kind !== "images") return assert.fail("expected images");
  assert.ok(shared.images instanceof SharedArrayBuffer);
  assert.deepEqual(new Uint8Array(shared.images), images);
});

test("sharedBytes() gives zeroed shared bytes and refuses a bad length, naming it", () => {
  const bytes = sharedBytes(10);
  assert.ok(bytes.buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...bytes], new Array(10).fill(0));
  assert.throws(
    () => sharedBytes(-1),
    /Cannot run sharedBytes: expected a length ≥ 0 \(an integer\), got -1/,
  );
  assert.throws(() => sharedBytes(1.5), /got 1.5/);
  // @ts-expect-error: an extra argument is refused
  assert.throws(() => sharedBytes(1, 2), /Cannot run sharedBytes/);
});

test("copyCifarBatch() copies records into preallocated arrays from a row on, as parseCifarBatches does", () => {
  const rng = new Rng(3);
  const files = [
    { name: "a", bytes: makeCifarBatch(2, rng) },
    { name: "b", bytes: makeCifarBatch(3, rng, 2) },
  ];
  const whole = parseCifarBatches(files);
  const into = { images: sharedBytes(5 * 3072), labels: new Uint8Array(5), n: 5 };
  assert.equal(copyCifarBatch(files[1], into, 2), 3);
  assert.equal(copyCifarBatch(files[0], into, 0), 2);
  assert.deepEqual(into.images, whole.images);
  assert.deepEqual(into.labels, whole.labels);
});

test("copyCifarBatch() refuses records that do not fit, a bad row and a broken file, naming the file", () => {
  const into = { images: sharedBytes(2 * 3072), labels: new Uint8Array(2), n: 2 };
  const file = {
    name: "cifar-10-batches-bin/data_batch_9.bin",
    bytes: makeCifarBatch(2, new Rng(4)),
  };
  assert.throws(
    () => copyCifarBatch(file, into, 1),
    /Cannot copy CIFAR batch cifar-10-batches-bin\/data_batch_9\.bin: its 2 records from image 1 on do not fit the 2 images allocated/,
  );
  assert.throws(() => copyCifarBatch(file, into, -1), /from image -1 on do not fit/);
  assert.throws(() => copyCifarBatch(file, into, 0, 3), /expected 3 records/);
  const broken = { name: "cut.bin", bytes: file.bytes.subarray(0, 3000) };
  assert.throws(
    () => copyCifarBatch(broken, into, 0),
    /Cannot read CIFAR batch cut\.bin: 3000 bytes is not a whole number/,
  );
  assert.deepEqual([...into.labels], [0, 0], "nothing copied by a refused call");
});
