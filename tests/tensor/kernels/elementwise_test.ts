/** The activation rows with loops of their own (relu) against their own f and df, and PyTorch's edge cases. */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  activationBackward,
  activationForward,
  type ActivationRow,
  ACTIVATIONS,
} from "../../../tensor/kernels/elementwise.ts";
import { Rng } from "../../../tensor/rng.ts";

const rng = new Rng(3);
const specials = [0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, Infinity, -Infinity];
const x = Float32Array.from([...specials, ...Array.from({ length: 1000 }, () => rng.normal() * 3)]);
const gy = Float32Array.from(x, () => rng.normal());

for (const [name, row] of Object.entries(ACTIVATIONS) as [string, ActivationRow][]) {
  if (row.forwardLoop === undefined && row.backwardLoop === undefined) continue;
  test(`${name}: its own loops give exactly f and gy·df on finite and infinite inputs, and on a sub-range`, () => {
    const y = new Float32Array(x.length), gx = new Float32Array(x.length);
    activationForward(row, x, y, 0.1, 0);
    activationBackward(row, x, y, gy, gx, 0.1, 0);
    for (let i = 0; i < x.length; i++) {
      assert.equal(y[i], Math.fround(row.f(x[i], 0.1, 0)), `y at x = ${x[i]}`);
      assert.equal(gx[i], Math.fround(gy[i] * row.df(x[i], y[i], 0.1, 0)) + 0, `gx at x = ${x[i]}`);
    }
    const part = new Float32Array(x.length).fill(9);
    activationForward(row, x, part, 0.1, 0, 3, 7);
    assert.deepEqual([...part.subarray(0, 3), ...part.subarray(7)], new Array(x.length - 4).fill(9));
  });
}

test("relu keeps NaN (as PyTorch) and gives dL/dx exactly 0 where x ≤ 0 even when dL/dy is NaN or ∞", () => {
  const xs = Float32Array.from([NaN, -1, 0, -0, 2]);
  const y = new Float32Array(5);
  activationForward(ACTIVATIONS.relu, xs, y);
  assert.ok(Number.isNaN(y[0]));
  assert.deepEqual([...y.subarray(1)], [0, 0, 0, 2]);
  const gx = new Float32Array(5);
  activationBackward(ACTIVATIONS.relu, xs, y, Float32Array.from([1, NaN, Infinity, -Infinity, 5]), gx);
  assert.deepEqual([...gx.subarray(1)], [0, 0, 0, 5]);
  assert.ok(Object.is(gx[1], 0) && Object.is(gx[3], 0), "+0, not −0");
});
