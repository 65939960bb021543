import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultRng, manualSeed, Rng } from "../../tensor/rng.ts";

test("Rng: the same seed gives the same stream", () => {
  const a = new Rng(42), b = new Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextU32(), b.nextU32());
});

test("Rng: different seeds give different streams", () => {
  const a = new Rng(1), b = new Rng(2);
  const same = Array.from({ length: 20 }, () => a.nextU32() === b.nextU32()).filter(Boolean).length;
  assert.ok(same < 2);
});

test("Rng.random() is uniform in [0, 1): mean ≈ 0.5, variance ≈ 1/12", () => {
  const rng = new Rng(7);
  let sum = 0, sumSq = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(sumSq / n - mean * mean - 1 / 12) < 0.005);
});

test("Rng.normal() has mean ≈ 0 and std ≈ 1", () => {
  const rng = new Rng(3);
  let sum = 0, sumSq = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.02);
  assert.ok(Math.abs(Math.sqrt(sumSq / n) - 1) < 0.02);
});

test("Rng.randint(n) covers [0, n) evenly and rejects bad n", () => {
  const rng = new Rng(5);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[rng.randint(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts}`);
  assert.throws(() => rng.randint(0), RangeError);
  assert.throws(() => rng.randint(2.5), RangeError);
});

test("Rng.permutation(n) is a permutation and depends on the seed", () => {
  const p = new Rng(9).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual([...p], [...new Rng(10).permutation(1000)]);
});

test("Rng.fork(i) gives distinct reproducible streams without advancing the parent", () => {
  const parent = new Rng(11);
  const before = parent.getState();
  const f0 = parent.fork(0), f1 = parent.fork(1);
  assert.deepEqual(parent.getState(), before);
  assert.notEqual(f0.nextU32(), f1.nextU32());
  assert.equal(new Rng(11).fork(1).nextU32(), new Rng(11).fork(1).nextU32());
});

test("Rng.getState()/setState() resume the stream exactly", () => {
  const a = new Rng(12);
  a.nextU32();
  const state = a.getState();
  const expected = [a.nextU32(), a.nextU32(), a.nextU32()];
  const b = new Rng(0);
  b.setState(state);
  assert.deepEqual([b.nextU32(), b.nextU32(), b.nextU32()], expected);
  assert.throws(() => b.setState([0, 0, 0, 0]), RangeError);
});

test("manualSeed() resets the default generator", () => {
  manualSeed(123);
  const first = defaultRng().random();
  manualSeed(123);
  assert.equal(defaultRng().random(), first);
});
