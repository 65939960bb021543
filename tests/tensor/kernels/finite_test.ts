/** The divergence guard's kernels: firstNonFinite and the checked reduce sumIntoFinite. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { firstNonFinite, sumIntoFinite } from "../../../tensor/kernels/finite.ts";

test("firstNonFinite() finds the first NaN or ±Infinity in [lo, hi), -1 when all are finite", () => {
  const a = new Float32Array([0, -3.4e38, 1, NaN, Infinity, -Infinity]);
  assert.equal(firstNonFinite(a, 0, a.length), 3);
  assert.equal(firstNonFinite(a, 4, a.length), 4);
  assert.equal(firstNonFinite(a, 5, 6), 5);
  assert.equal(firstNonFinite(a, 0, 3), -1);
  assert.equal(firstNonFinite(new Float32Array(0), 0, 0), -1);
});

test("sumIntoFinite() sums the addends into sum over [lo, hi) only and reports the first non-finite total", () => {
  const sum = new Float32Array([1, 2, 3, 4]);
  const bad = sumIntoFinite(
    sum,
    [new Float32Array([10, 10, 10, 10]), new Float32Array([1, NaN, 1, 1])],
    1,
    4,
  );
  assert.equal(bad, 1);
  assert.ok(Number.isNaN(sum[1]));
  assert.deepEqual(Array.from(sum), [1, NaN, 14, 15]);
  const ok = new Float32Array([1, 2]);
  assert.equal(sumIntoFinite(ok, [new Float32Array([3, 4])], 0, ok.length), -1);
  assert.deepEqual(Array.from(ok), [4, 6]);
});

test("sumIntoFinite() catches an Infinity in an earlier addend and an overflow of finite addends", () => {
  const a = new Float32Array([1, 1, 3e38]);
  assert.equal(
    sumIntoFinite(
      a,
      [new Float32Array([0, Infinity, 0]), new Float32Array([0, 0, 3e38])],
      0,
      a.length,
    ),
    1,
  );
  const b = new Float32Array([3e38]);
  assert.equal(sumIntoFinite(b, [new Float32Array([3e38])], 0, b.length), 0);
  assert.equal(b[0], Infinity);
  assert.equal(sumIntoFinite(new Float32Array([NaN, 1]), [], 0, 2), 0);
});

test("firstNonFinite() and sumIntoFinite() (checked 8 elements at a time) agree with a plain scan for every position, range and block edge", () => {
  const naive = (a: Float32Array, lo: number, hi: number) => {
    for (let j = lo; j < hi; j++) if (!Number.isFinite(a[j])) return j;
    return -1;
  };
  // Finite extremes that a float32 sum would overflow but a float64 one does not.
  const base = Float32Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? 3.4e38 : -1.5 * i));
  assert.equal(firstNonFinite(base, 0, base.length), -1);
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (let at = 0; at < base.length; at++) {
      const a = base.slice();
      a[at] = bad;
      if (at + 3 < a.length) a[at + 3] = -bad; // a second one later in the block: ∞ + −∞ = NaN
      for (
        const [lo, hi] of [[0, a.length], [1, a.length], [at, at + 1], [
          Math.max(0, at - 9),
          a.length - 2,
        ], [at + 1, a.length]]
      ) {
        if (hi < lo) continue;
        assert.equal(
          firstNonFinite(a, lo, hi),
          naive(a, lo, hi),
          `bad ${bad} at ${at}, [${lo}, ${hi})`,
        );
        const sum = new Float32Array(a.length);
        const got = sumIntoFinite(sum, [a.slice(), new Float32Array(a.length).fill(1)], lo, hi);
        assert.equal(got, naive(sum, lo, hi), `sumIntoFinite: bad ${bad} at ${at}, [${lo}, ${hi})`);
        // The whole range is summed, also after the bad element.
        for (let j = lo; j < hi; j++) {
          assert.ok(Object.is(sum[j], Math.fround(a[j] + 1)), `sum[${j}]`);
        }
      }
    }
  }
  // An overflow on store (float32) in the middle of a block, past the first block.
  const sum = new Float32Array(20).fill(1);
  const addend = new Float32Array(20).fill(2);
  sum[13] = 3e38;
  addend[13] = 3e38;
  assert.equal(sumIntoFinite(sum, [addend], 0, sum.length), 13);
  assert.equal(sum[13], Infinity);
  assert.equal(sum[19], 3);
});
