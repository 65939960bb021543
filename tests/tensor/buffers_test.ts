/** BufferCache: reuse for the same key and shape, fresh buffers otherwise. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferCache } from "../../tensor/buffers.ts";

test("BufferCache.tensor() returns the same tensor, old values kept, for the same key and shape", () => {
  const buffers = new BufferCache();
  const a = buffers.tensor("y", [2, 3], true);
  a.data.fill(7);
  const b = buffers.tensor("y", [2, 3], true);
  assert.equal(b, a);
  assert.deepEqual([...b.data], [7, 7, 7, 7, 7, 7]);
  assert.notEqual(buffers.tensor("gx", [2, 3], true), a, "another key gets its own buffer");
});

test("BufferCache.tensor() keeps the memory for a new shape of the same size, and replaces it for a new size", () => {
  const buffers = new BufferCache();
  const a = buffers.tensor("y", [2, 3], true);
  const b = buffers.tensor("y", [3, 2], true);
  assert.deepEqual(b.shape, [3, 2]);
  assert.equal(b.data, a.data);
  const c = buffers.tensor("y", [4, 2], true);
  assert.equal(c.size, 8);
  assert.notEqual(c.data, a.data);
  assert.equal(buffers.tensor("y", [4, 2], true), c, "the new size is the one kept");
});

test("BufferCache.tensor() without reuse, or when the kept buffer is `avoid`, returns a new zeroed tensor and keeps the old one", () => {
  const buffers = new BufferCache();
  const a = buffers.tensor("y", [4], true);
  a.data.fill(1);
  const fresh = buffers.tensor("y", [4], false);
  assert.notEqual(fresh.data, a.data);
  assert.deepEqual([...fresh.data], [0, 0, 0, 0]);
  const avoided = buffers.tensor("y", [4], true, a.data);
  assert.notEqual(avoided.data, a.data);
  assert.deepEqual([...avoided.data], [0, 0, 0, 0]);
  assert.equal(buffers.tensor("y", [4], true, new Float32Array(4)), avoided, "the replacement is kept");
});

test("BufferCache.floats() and ints() reuse by key and length", () => {
  const buffers = new BufferCache();
  const f = buffers.floats("mean", 5, true);
  assert.ok(f instanceof Float32Array);
  assert.equal(buffers.floats("mean", 5, true), f);
  assert.notEqual(buffers.floats("mean", 6, true), f);
  assert.notEqual(buffers.floats("mean", 6, false), buffers.floats("mean", 6, true));
  const i = buffers.ints("argmax", 3, true);
  assert.ok(i instanceof Int32Array);
  assert.equal(buffers.ints("argmax", 3, true), i);
});
