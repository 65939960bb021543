import { test } from "node:test";
import assert from "node:assert/strict";
import {
  makeBlobs,
  makeCircles,
  makeMoons,
  makeSpirals,
  trainTestSplit,
} from "../../data/synthetic.ts";
import { Rng } from "../../tensor/rng.ts";

function counts(y: Int32Array): number[] {
  const c: number[] = [];
  for (const v of y) c[v] = (c[v] ?? 0) + 1;
  return c;
}

const generators = [
  {
    name: "makeMoons",
    make: (n: number, rng: Rng) => makeMoons(n, { noise: 0.1, rng }),
    classes: 2,
  },
  {
    name: "makeCircles",
    make: (n: number, rng: Rng) => makeCircles(n, { noise: 0.05, rng }),
    classes: 2,
  },
  { name: "makeBlobs", make: (n: number, rng: Rng) => makeBlobs(n, { rng }), classes: 3 },
  { name: "makeSpirals", make: (n: number, rng: Rng) => makeSpirals(n, { rng }), classes: 3 },
];

for (const g of generators) {
  test(`${g.name}() returns x [N, 2] float32 and balanced Int32Array labels`, () => {
    const { x, y } = g.make(101, new Rng(1));
    assert.deepEqual(x.shape, [101, 2]);
    assert.ok(x.data instanceof Float32Array && y instanceof Int32Array);
    const c = counts(y);
    assert.equal(c.length, g.classes);
    assert.ok(Math.max(...c) - Math.min(...c) <= 1, `class counts ${c}`);
    assert.ok(x.data.every(Number.isFinite));
  });
  test(`${g.name}() same seed gives the same data, another seed differs`, () => {
    const a = g.make(50, new Rng(7));
    const b = g.make(50, new Rng(7));
    const c = g.make(50, new Rng(8));
    assert.deepEqual(a.x.data, b.x.data);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.x.data, c.x.data);
  });
}

test("makeMoons() without noise or shuffle puts points on sklearn's two half circles", () => {
  const { x, y } = makeMoons(6, { shuffle: false });
  assert.deepEqual(Array.from(y), [0, 0, 0, 1, 1, 1]);
  const p = x.toArray() as number[][];
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  close(p[0][0], 1);
  close(p[0][1], 0);
  close(p[1][0], 0);
  close(p[1][1], 1);
  close(p[2][0], -1);
  close(p[3][0], 0);
  close(p[3][1], 0.5);
  close(p[4][0], 1);
  close(p[4][1], -0.5);
  close(p[5][0], 2);
});

test("makeCircles() without noise puts class 1 at radius factor", () => {
  const { x, y } = makeCircles(20, { factor: 0.5, rng: new Rng(0) });
  for (let i = 0; i < 20; i++) {
    const r = Math.hypot(x.data[2 * i], x.data[2 * i + 1]);
    assert.ok(Math.abs(r - (y[i] === 1 ? 0.5 : 1)) < 1e-6);
  }
});

test("makeBlobs() clusters around the returned centers with clusterStd", () => {
  const { x, y, centers } = makeBlobs(3000, {
    centers: [[0, 0, 0], [10, 10, 10]],
    clusterStd: [0.5, 2],
    rng: new Rng(3),
  });
  assert.deepEqual(x.shape, [3000, 3]);
  assert.deepEqual(centers.shape, [2, 3]);
  for (const k of [0, 1]) {
    const rows = Array.from(y.keys()).filter((i) => y[i] === k);
    const vals = rows.map((i) => x.data[i * 3]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    assert.ok(Math.abs(mean - k * 10) < 0.2, `mean ${mean}`);
    assert.ok(Math.abs(sd - [0.5, 2][k]) < 0.15, `sd ${sd}`);
  }
});

test("makeSpirals() honours nClasses and radius ≤ 1", () => {
  const { x, y } = makeSpirals(40, { nClasses: 4, rng: new Rng(0) });
  assert.deepEqual(counts(y), [10, 10, 10, 10]);
  for (let i = 0; i < 40; i++) assert.ok(Math.hypot(x.data[2 * i], x.data[2 * i + 1]) <= 1 + 1e-6);
});

test("trainTestSplit() takes ceil(0.25·N) test rows and keeps rows paired with labels", () => {
  const data = makeBlobs(10, { rng: new Rng(0) });
  const { train, test: held } = trainTestSplit(data, { rng: new Rng(1) });
  assert.equal(held.y.length, 3);
  assert.equal(train.y.length, 7);
  const key = (x: Float32Array, i: number) => `${x[2 * i]},${x[2 * i + 1]}`;
  const original = new Map(Array.from(data.y, (v, i) => [key(data.x.data, i), v]));
  for (const part of [train, held]) {
    for (let i = 0; i < part.y.length; i++) {
      assert.equal(original.get(key(part.x.data, i)), part.y[i]);
    }
  }
  const all = new Set([
    ...Array.from({ length: 7 }, (_, i) => key(train.x.data, i)),
    ...Array.from({ length: 3 }, (_, i) => key(held.x.data, i)),
  ]);
  assert.equal(all.size, 10);
});

test("trainTestSplit() without shuffle keeps the order; stratify keeps class proportions", () => {
  const data = makeMoons(8, { shuffle: false });
  const plain = trainTestSplit(data, { shuffle: false, testSize: 2 });
  assert.deepEqual(Array.from(plain.test.y), [1, 1]);
  const strat = trainTestSplit(makeBlobs(90, { rng: new Rng(2) }), {
    stratify: true,
    testSize: 0.2,
    rng: new Rng(3),
  });
  assert.deepEqual(counts(strat.test.y), [6, 6, 6]);
  assert.deepEqual(counts(strat.train.y), [24, 24, 24]);
});

test("trainTestSplit() rejects a testSize that leaves a part empty", () => {
  assert.throws(() => trainTestSplit(makeMoons(4), { testSize: 4 }), RangeError);
});
