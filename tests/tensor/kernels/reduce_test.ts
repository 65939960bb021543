import { test } from "node:test";
import assert from "node:assert/strict";
import {
  logSoftmaxBackward,
  logSoftmaxForward,
  logSumExp,
  logSumExpForward,
  meanAxis,
  softmaxBackward,
  softmaxForward,
  sumAxis,
  sumRange,
} from "../../../tensor/kernels/reduce.ts";
import { assertClose } from "../../_helpers/assert_close.ts";
import { gradcheck, randomTensor } from "../../_helpers/gradcheck.ts";

/** [outer, size, inner] layouts, with the scale of the random inputs (1000: stability). */
const LAYOUTS: { outer: number; size: number; inner: number; scale: number }[] = [
  { outer: 1, size: 5, inner: 1, scale: 3 },
  { outer: 3, size: 4, inner: 1, scale: 3 },
  { outer: 2, size: 3, inner: 5, scale: 3 },
  { outer: 1, size: 1, inner: 7, scale: 3 },
  { outer: 4, size: 7, inner: 3, scale: 3 },
  { outer: 2, size: 6, inner: 2, scale: 1000 },
];

const label = (l: { outer: number; size: number; inner: number; scale: number }) =>
  `[${l.outer}, ${l.size}, ${l.inner}] with inputs in ±${l.scale}`;

/** Row (o, j) of a [outer, size, inner] array, as float64 numbers. */
function row(x: ArrayLike<number>, o: number, j: number, size: number, inner: number): number[] {
  return Array.from({ length: size }, (_, i) => x[(o * size + i) * inner + j]);
}

/** Float64 softmax of one row straight from the definition, shifted by the max. */
function softmaxRef(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Applies `f` to every row of x and scatters the results back into a flat float64 array. */
function perRow(
  l: { outer: number; size: number; inner: number },
  f: (o: number, j: number) => number[],
): number[] {
  const out = new Array<number>(l.outer * l.size * l.inner);
  for (let o = 0; o < l.outer; o++) {
    for (let j = 0; j < l.inner; j++) {
      f(o, j).forEach((v, i) => (out[(o * l.size + i) * l.inner + j] = v));
    }
  }
  return out;
}

for (const [k, l] of LAYOUTS.entries()) {
  const n = l.outer * l.size * l.inner;

  test(`softmaxForward() matches a float64 reference: ${label(l)}`, () => {
    const x = randomTensor([n], 10 + k, -l.scale, l.scale).data;
    const y = new Float32Array(n).fill(NaN);
    softmaxForward(x, y, l.outer, l.size, l.inner, 0, l.outer);
    const expected = perRow(l, (o, j) => softmaxRef(row(x, o, j, l.size, l.inner)));
    assertClose(y, expected, { rtol: 1e-5, atol: 1e-7 });
  });

  test(`logSoftmaxForward() matches a float64 reference: ${label(l)}`, () => {
    const x = randomTensor([n], 20 + k, -l.scale, l.scale).data;
    const y = new Float32Array(n).fill(NaN);
    logSoftmaxForward(x, y, l.outer, l.size, l.inner, 0, l.outer);
    const expected = perRow(l, (o, j) => {
      const z = row(x, o, j, l.size, l.inner);
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      return z.map((v) => v - lse);
    });
    assert.ok(y.every(Number.isFinite));
    assertClose(y, expected, { rtol: 1e-6, atol: 1e-6 });
  });

  test(`softmaxBackward() equals gy times the explicit Jacobian: ${label(l)}`, () => {
    const x = randomTensor([n], 30 + k, -l.scale, l.scale).data;
    const gy = randomTensor([n], 40 + k).data;
    const y = new Float32Array(n);
    softmaxForward(x, y, l.outer, l.size, l.inner, 0, l.outer);
    const gx = new Float32Array(n).fill(NaN);
    softmaxBackward(y, gy, gx, l.outer, l.size, l.inner, 0, l.outer);
    const expected = perRow(l, (o, j) => {
      const p = softmaxRef(row(x, o, j, l.size, l.inner));
      const g = row(gy, o, j, l.size, l.inner);
      // dy_i/dx_k = p_i (δ_ik − p_k)
      return p.map((_, kk) =>
        g.reduce((a, gi, i) => a + gi * p[i] * ((i === kk ? 1 : 0) - p[kk]), 0)
      );
    });
    assertClose(gx, expected, { rtol: 1e-4, atol: 1e-6 });
  });

  test(`logSoftmaxBackward() equals gy times the explicit Jacobian: ${label(l)}`, () => {
    const x = randomTensor([n], 50 + k, -l.scale, l.scale).data;
    const gy = randomTensor([n], 60 + k).data;
    const y = new Float32Array(n);
    logSoftmaxForward(x, y, l.outer, l.size, l.inner, 0, l.outer);
    const gx = new Float32Array(n).fill(NaN);
    logSoftmaxBackward(y, gy, gx, l.outer, l.size, l.inner, 0, l.outer);
    const expected = perRow(l, (o, j) => {
      const p = softmaxRef(row(x, o, j, l.size, l.inner));
      const g = row(gy, o, j, l.size, l.inner);
      // d log p_i / dx_k = δ_ik − p_k
      return p.map((_, kk) => g.reduce((a, gi, i) => a + gi * ((i === kk ? 1 : 0) - p[kk]), 0));
    });
    assertClose(gx, expected, { rtol: 1e-4, atol: 1e-6 });
  });
}

const SMALL = { outer: 2, size: 4, inner: 3 };
const FINITE_DIFFERENCE_ROWS = [
  { name: "softmax", forward: softmaxForward, backward: softmaxBackward },
  { name: "logSoftmax", forward: logSoftmaxForward, backward: logSoftmaxBackward },
];
for (const { name, forward, backward } of FINITE_DIFFERENCE_ROWS) {
  test(`${name}Backward() matches finite differences of ${name}Forward() on [2, 4, 3]`, () => {
    const { outer, size, inner } = SMALL;
    const x = randomTensor([outer * size * inner], 70, -2, 2).data;
    const r = randomTensor([x.length], 71).data;
    const y = new Float32Array(x.length);
    forward(x, y, outer, size, inner, 0, outer);
    const gx = new Float32Array(x.length);
    backward(y, r, gx, outer, size, inner, 0, outer);
    const evaluate = () => {
      forward(x, y, outer, size, inner, 0, outer);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r[i] * y[i];
      return s;
    };
    gradcheck(evaluate, [{ name: "x", values: x, analytic: gx }], { eps: 1e-3 });
  });
}

test("softmaxForward() stays finite and exact for rows like [1000, -1000, 0]", () => {
  const x = new Float32Array([1000, -1000, 0, -1000, -1000, -1000]);
  const y = new Float32Array(6);
  softmaxForward(x, y, 2, 3, 1, 0, 2);
  assertClose(y, [1, 0, 0, 1 / 3, 1 / 3, 1 / 3], { atol: 1e-7 });
});

test("logSoftmaxForward() gives x − max − log Σ exp for logits of ±1000", () => {
  const x = new Float32Array([1000, -1000, 999]);
  const y = new Float32Array(3);
  logSoftmaxForward(x, y, 1, 3, 1, 0, 1);
  const lse = 1000 + Math.log(1 + Math.exp(-1));
  assertClose(y, [1000 - lse, -1000 - lse, 999 - lse], { rtol: 1e-6 });
});

test("softmaxForward() and logSoftmaxForward() give NaN for an all −Infinity row, as PyTorch", () => {
  const x = new Float32Array([-Infinity, -Infinity]);
  const y = new Float32Array(2);
  softmaxForward(x, y, 1, 2, 1, 0, 1);
  assert.ok(y.every(Number.isNaN));
  logSoftmaxForward(x, y, 1, 2, 1, 0, 1);
  assert.ok(y.every(Number.isNaN));
});

test("softmaxForward() and logSoftmaxForward() work in place (y === x)", () => {
  const x = randomTensor([24], 80, -3, 3).data;
  for (const f of [softmaxForward, logSoftmaxForward]) {
    const expected = new Float32Array(24);
    f(x, expected, 2, 4, 3, 0, 2);
    const inPlace = x.slice();
    f(inPlace, inPlace, 2, 4, 3, 0, 2);
    assertClose(inPlace, expected, { rtol: 0, atol: 0 });
  }
});

test("softmaxBackward() and logSoftmaxBackward() work in place (gx === gy)", () => {
  const y = new Float32Array(24);
  softmaxForward(randomTensor([24], 81, -3, 3).data, y, 2, 4, 3, 0, 2);
  const gy = randomTensor([24], 82).data;
  for (const [f, yy] of [[softmaxBackward, y], [logSoftmaxBackward, y.map(Math.log)]] as const) {
    const expected = new Float32Array(24);
    f(yy, gy, expected, 2, 4, 3, 0, 2);
    const inPlace = gy.slice();
    f(yy, inPlace, inPlace, 2, 4, 3, 0, 2);
    assertClose(inPlace, expected, { rtol: 0, atol: 0 });
  }
});

test("softmaxForward() with lo/hi writes only the outer slice [lo, hi)", () => {
  const x = randomTensor([30], 83, -3, 3).data;
  const full = new Float32Array(30);
  softmaxForward(x, full, 5, 3, 2, 0, 5);
  const part = new Float32Array(30).fill(-1);
  softmaxForward(x, part, 5, 3, 2, 1, 3);
  assertClose(part.subarray(6, 18), full.subarray(6, 18), { rtol: 0, atol: 0 });
  assert.ok(part.subarray(0, 6).every((v) => v === -1) && part.subarray(18).every((v) => v === -1));
});

const LOG_SUM_EXP_ROWS: {
  name: string;
  x: number[];
  offset: number;
  count: number;
  stride: number;
  expected: number;
}[] = [
  {
    name: "three small values",
    x: [1, 2, 3],
    offset: 0,
    count: 3,
    stride: 1,
    expected: 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)),
  },
  {
    name: "±1000 (stable)",
    x: [1000, -1000, 1000],
    offset: 0,
    count: 3,
    stride: 1,
    expected: 1000 + Math.log(2),
  },
  {
    name: "−1000 only",
    x: [-1000, -1000],
    offset: 0,
    count: 2,
    stride: 1,
    expected: -1000 + Math.log(2),
  },
  {
    name: "strided with an offset",
    x: [9, 1, 9, 2, 9, 3],
    offset: 1,
    count: 3,
    stride: 2,
    expected: 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2)),
  },
  {
    name: "an empty row is −Infinity",
    x: [5],
    offset: 0,
    count: 0,
    stride: 1,
    expected: -Infinity,
  },
  {
    name: "an all −Infinity row is −Infinity",
    x: [-Infinity, -Infinity],
    offset: 0,
    count: 2,
    stride: 1,
    expected: -Infinity,
  },
  {
    name: "a +Infinity element gives +Infinity",
    x: [1, Infinity],
    offset: 0,
    count: 2,
    stride: 1,
    expected: Infinity,
  },
  {
    name: "a NaN element gives NaN",
    x: [1, NaN, 2],
    offset: 0,
    count: 3,
    stride: 1,
    expected: NaN,
  },
];
for (const r of LOG_SUM_EXP_ROWS) {
  test(`logSumExp() ${r.name}`, () => {
    const got = logSumExp(new Float32Array(r.x), r.offset, r.count, r.stride);
    if (Number.isNaN(r.expected)) assert.ok(Number.isNaN(got), `expected NaN, got ${got}`);
    else if (!Number.isFinite(r.expected)) assert.equal(got, r.expected);
    else assertClose(got, r.expected, { rtol: 1e-12, atol: 1e-12 });
  });
}

test("logSumExpForward() reduces every row of [2, 3, 2]", () => {
  const x = randomTensor([12], 84, -5, 5).data;
  const out = new Float32Array(4);
  logSumExpForward(x, out, 2, 3, 2, 0, 2);
  const expected = [0, 1, 2, 3].map((s) => {
    const z = row(x, Math.floor(s / 2), s % 2, 3, 2);
    return Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
  });
  assertClose(out, expected, { rtol: 1e-6 });
});

test("sumRange() adds a slice in float64 (1e8 + 1 − 1e8 = 1)", () => {
  assert.equal(sumRange(new Float32Array([1e8, 1, -1e8]), 0, 3), 1);
  assert.equal(sumRange([1, 2, 3, 4], 1, 3), 5);
  assert.equal(sumRange(new Float32Array(0), 0, 0), 0);
});

test("sumAxis() and meanAxis() reduce the middle axis of [2, 3, 4]", () => {
  const x = randomTensor([24], 85).data;
  const s = new Float32Array(8);
  const m = new Float32Array(8);
  sumAxis(x, s, 2, 3, 4, 0, 2);
  meanAxis(x, m, 2, 3, 4, 0, 2);
  const expected = Array.from(
    { length: 8 },
    (_, k) => row(x, Math.floor(k / 4), k % 4, 3, 4).reduce((a, b) => a + b, 0),
  );
  assertClose(s, expected, { rtol: 1e-6 });
  assertClose(m, expected.map((v) => v / 3), { rtol: 1e-6 });
});

test("sumAxis() with outer 1 is the column sum of an [N, C] matrix", () => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const out = new Float32Array(3);
  sumAxis(x, out, 1, 2, 3, 0, 1);
  assert.deepEqual([...out], [5, 7, 9]);
});

test("meanAxis() over an empty axis is NaN, as PyTorch", () => {
  const out = new Float32Array(2);
  meanAxis(new Float32Array(0), out, 1, 0, 2, 0, 1);
  assert.ok(out.every(Number.isNaN));
});

test("a row range outside the rows is an error naming the kernel, not a partial pass", () => {
  const x = new Float32Array(6), y = new Float32Array(6);
  assert.throws(
    () => softmaxForward(x, y, 2, 3, 1, 0, 3),
    {
      name: "RangeError",
      message: /Cannot run softmaxForward: expected 0 ≤ lo ≤ hi ≤ 2 .*got lo 0, hi 3/,
    },
  );
  assert.throws(() => sumAxis(x, y, 2, 3, 1, 1, 0), /Cannot run sumAxis/);
  assert.throws(() => logSoftmaxForward(x, y, 2, 3, 1, -1, 1), /Cannot run logSoftmaxForward/);
});
