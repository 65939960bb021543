import { test } from "node:test";
import assert from "node:assert/strict";
import {
  crossEntropyBackward,
  crossEntropyForward,
  findInvalidTarget,
  targetWeightSum,
} from "../../../tensor/kernels/loss.ts";
import { randomTensor } from "../../_helpers/gradcheck.ts";

test("findInvalidTarget() returns the first index outside [0, C) that is not ignoreIndex", () => {
  assert.equal(findInvalidTarget(new Int32Array([0, 2, -100, 1]), 3, -100), -1);
  assert.equal(findInvalidTarget(new Int32Array([0, 3, -1]), 3, -100), 1);
  assert.equal(findInvalidTarget(new Int32Array([0, -1, 5]), 3, -1), 2);
  assert.equal(findInvalidTarget(new Uint8Array([0, 255]), 10, -100), 1);
});

test("targetWeightSum() adds w[t] over non-ignored targets (a count without weights)", () => {
  const t = new Int32Array([0, 2, -100, 2]);
  assert.equal(targetWeightSum(t, null, -100, 0, t.length), 3);
  assert.equal(targetWeightSum(t, new Float32Array([0.5, 1, 4]), -100, 0, t.length), 8.5);
});

test("crossEntropyForward() and crossEntropyBackward() on sample slices [lo, hi) add up to the whole", () => {
  const [n, c, inner] = [4, 3, 2];
  const logits = randomTensor([n * c * inner], 1, -2, 2).data;
  const target = new Int32Array([0, 2, 1, -100, 2, 2, 0, 1]);
  const weight = new Float32Array([1, 2, 0.5]);
  const logp = new Float32Array(logits.length);
  const whole = crossEntropyForward(
    logits,
    logp,
    target,
    weight,
    -100,
    0.1,
    null,
    n,
    c,
    inner,
    0,
    n,
  );
  const parts =
    crossEntropyForward(logits, logp, target, weight, -100, 0.1, null, n, c, inner, 0, 1) +
    crossEntropyForward(logits, logp, target, weight, -100, 0.1, null, n, c, inner, 1, 4);
  assert.ok(Math.abs(whole - parts) < 1e-12);
  const gWhole = new Float32Array(logits.length);
  crossEntropyBackward(logp, target, weight, -100, 0.1, null, 0.25, gWhole, n, c, inner, 0, n);
  const gParts = new Float32Array(logits.length).fill(NaN);
  crossEntropyBackward(logp, target, weight, -100, 0.1, null, 0.25, gParts, n, c, inner, 0, 2);
  crossEntropyBackward(logp, target, weight, -100, 0.1, null, 0.25, gParts, n, c, inner, 2, 4);
  assert.deepEqual([...gParts], [...gWhole]);
});
