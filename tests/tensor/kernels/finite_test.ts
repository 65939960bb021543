/** The divergence guard's kernels: firstNonFinite and the checked reduce sumIntoFinite. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { firstNonFinite, sumIntoFinite } from "../../../tensor/kernels/finite.ts";

test("firstNonFinite() finds the first NaN or ±Infinity in [lo, hi), -1 when all are finite", () => {
  const a = new Float32Array([0, -3.4e38, 1, NaN, Infinity, -Infinity]);
  assert.equal(firstNonFinite(a), 3);
  assert.equal(firstNonFinite(a, 4), 4);
  assert.equal(firstNonFinite(a, 5, 6), 5);
  assert.equal(firstNonFinite(a, 0, 3), -1);
  assert.equal(firstNonFinite(new Float32Array(0)), -1);
});

test("sumIntoFinite() sums the addends into sum over [lo, hi) only and reports the first non-finite total", () => {
  const sum = new Float32Array([1, 2, 3, 4]);
  const bad = sumIntoFinite(sum, [new Float32Array([10, 10, 10, 10]), new Float32Array([1, NaN, 1, 1])], 1, 4);
  assert.equal(bad, 1);
  assert.ok(Number.isNaN(sum[1]));
  assert.deepEqual(Array.from(sum), [1, NaN, 14, 15]);
  const ok = new Float32Array([1, 2]);
  assert.equal(sumIntoFinite(ok, [new Float32Array([3, 4])]), -1);
  assert.deepEqual(Array.from(ok), [4, 6]);
});

test("sumIntoFinite() catches an Infinity in an earlier addend and an overflow of finite addends", () => {
  const a = new Float32Array([1, 1, 3e38]);
  assert.equal(sumIntoFinite(a, [new Float32Array([0, Infinity, 0]), new Float32Array([0, 0, 3e38])]), 1);
  const b = new Float32Array([3e38]);
  assert.equal(sumIntoFinite(b, [new Float32Array([3e38])]), 0);
  assert.equal(b[0], Infinity);
  assert.equal(sumIntoFinite(new Float32Array([NaN, 1]), []), 0);
});
