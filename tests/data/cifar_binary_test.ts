import { test } from "node:test";
import assert from "node:assert/strict";
import { checkCifarBatch, parseCifarBatches } from "../../data/cifar_binary.ts";
import { makeCifarBatch } from "../_helpers/data_fixtures.ts";
import { Rng } from "../../tensor/rng.ts";

test("parseCifarBatches() concatenates batches into images [N, 3, 32, 32] and labels", () => {
  const a = makeCifarBatch(3, new Rng(0));
  const b = makeCifarBatch(2, new Rng(1), 3);
  const { images, labels, n } = parseCifarBatches([{ name: "a", bytes: a }, {
    name: "b",
    bytes: b,
  }]);
  assert.equal(n, 5);
  assert.deepEqual(Array.from(labels), [0, 1, 2, 3, 4]);
  assert.equal(images.length, 5 * 3072);
  assert.deepEqual(images.subarray(3 * 3072, 4 * 3072), b.subarray(1, 3073));
  assert.deepEqual(
    images.subarray(2 * 3072 + 1024, 2 * 3072 + 1030),
    a.subarray(2 * 3073 + 1 + 1024, 2 * 3073 + 1 + 1030),
  );
});

test("checkCifarBatch() rejects a size that is not whole records, naming file and size", () => {
  assert.throws(
    () => checkCifarBatch({ name: "data_batch_1.bin", bytes: new Uint8Array(3073 * 2 + 5) }),
    /data_batch_1\.bin: 6151 bytes is not a whole number of 3073-byte records/,
  );
});

test("checkCifarBatch() rejects a record count other than expected", () => {
  assert.throws(
    () => checkCifarBatch({ name: "t", bytes: new Uint8Array(3073) }, 10000),
    /expected 10000 records \(30730000 bytes\), the file holds 1 \(3073 bytes\)/,
  );
});

test("checkCifarBatch() rejects a label above 9", () => {
  const bytes = makeCifarBatch(2, new Rng(0));
  bytes[3073] = 10;
  assert.throws(() => checkCifarBatch({ name: "t", bytes }), /record 1 has label 10/);
});
