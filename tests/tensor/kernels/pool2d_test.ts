/** pool2d: max/avg pooling against the naive oracle, PyTorch's size and divisor rules, ties and NaN. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { avgPool2dSuite, base, maxPool2dSuite } from "./_pool2d_suite.ts";
import {
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  pool2dGeometry,
  type Pool2dGeometryInput,
} from "../../../tensor/kernels/pool2d.ts";
import {
  avgPool2dBackwardNaive,
  avgPool2dForwardNaive,
  maxPool2dBackwardNaive,
  maxPool2dForwardNaive,
} from "../../../tensor/kernels/pool2d_naive.ts";

/** The interchangeable versions checked against the naive oracle by the shared suites. */
const versions = [{
  maxForward: maxPool2dForward,
  maxBackward: maxPool2dBackward,
  avgForward: avgPool2dForward,
  avgBackward: avgPool2dBackward,
}];

maxPool2dSuite(versions);
avgPool2dSuite(versions);

const allVersions = [
  ...versions,
  {
    maxForward: maxPool2dForwardNaive,
    maxBackward: maxPool2dBackwardNaive,
    avgForward: avgPool2dForwardNaive,
    avgBackward: avgPool2dBackwardNaive,
  },
];

for (const v of allVersions) {
  test(`${v.maxForward.name}() sends ties to the first max in window order, and the gradient with them`, () => {
    // 3×3 stride 1 windows over a 4×4 input of equal values, except one larger value at (3, 3).
    const g = pool2dGeometry({
      ...base,
      n: 1,
      c: 1,
      h: 4,
      w: 4,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
    });
    const x = new Float32Array(16).fill(1);
    x[15] = 2;
    const y = new Float32Array(4), argmax = new Int32Array(4), gx = new Float32Array(16);
    v.maxForward(g, x, y, argmax);
    assert.deepEqual(Array.from(y), [1, 1, 1, 2]);
    assert.deepEqual(Array.from(argmax), [0, 1, 4, 15]);
    v.maxBackward(g, new Float32Array([1, 10, 100, 1000]), argmax, gx);
    assert.deepEqual(Array.from(gx), [1, 10, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000]);
  });

  test(`${v.maxForward.name}() never picks padding, even when every input value is negative`, () => {
    const g = pool2dGeometry({
      ...base,
      n: 1,
      c: 1,
      h: 2,
      w: 2,
      kh: 2,
      kw: 2,
      padH: 1,
      padW: 1,
      strideH: 1,
      strideW: 1,
    });
    const y = new Float32Array(9), argmax = new Int32Array(9);
    v.maxForward(g, new Float32Array([-4, -3, -2, -1]), y, argmax);
    assert.deepEqual(Array.from(y), [-4, -3, -3, -2, -1, -1, -2, -1, -1]);
    assert.deepEqual(Array.from(argmax), [0, 1, 1, 2, 3, 3, 2, 3, 3]);
  });

  test(`${v.maxForward.name}() propagates NaN`, () => {
    const g = pool2dGeometry({ ...base, n: 1, c: 1, h: 2, w: 2 });
    const y = new Float32Array(1), argmax = new Int32Array(1);
    v.maxForward(g, new Float32Array([1, NaN, 5, 2]), y, argmax);
    assert.ok(Number.isNaN(y[0]));
    assert.equal(argmax[0], 1);
  });

  test(`${v.avgForward.name}() uses PyTorch's divisors with padding and ceil_mode (hand-checked)`, () => {
    // 4×4 input 1..16, 3×3 stride 2 padding 1 ceil_mode → 3×3 output.
    const g = pool2dGeometry({
      ...base,
      n: 1,
      c: 1,
      h: 4,
      w: 4,
      kh: 3,
      kw: 3,
      padH: 1,
      padW: 1,
      ceilMode: true,
    });
    assert.deepEqual([g.hOut, g.wOut], [3, 3]);
    const x = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const y = new Float32Array(9);
    v.avgForward(g, x, y, true, null);
    // With count_include_pad the last row/column of windows counts 2 padded-input cells, not the 3rd cell
    // that ceil_mode puts beyond the padded input: divisors 9, 9, 6 / 9, 9, 6 / 6, 6, 4.
    assertClose(y, [14 / 9, 30 / 9, 12 / 6, 57 / 9, 99 / 9, 36 / 6, 27 / 6, 45 / 6, 16 / 4]);
    v.avgForward(g, x, y, false, null);
    assertClose(y, [14 / 4, 30 / 6, 12 / 2, 57 / 6, 99 / 9, 36 / 3, 27 / 2, 45 / 3, 16]);
    v.avgForward(g, x, y, true, 2);
    assertClose(y, [7, 15, 6, 28.5, 49.5, 18, 13.5, 22.5, 8]);
  });

  test(`${v.avgBackward.name}() spreads gy / divisor over each window (hand-checked)`, () => {
    const g = pool2dGeometry({
      ...base,
      n: 1,
      c: 1,
      h: 3,
      w: 3,
      kh: 2,
      kw: 2,
      strideH: 1,
      strideW: 1,
    });
    const gx = new Float32Array(9);
    v.avgBackward(g, new Float32Array([4, 8, 12, 16]), gx, true, null);
    assert.deepEqual(Array.from(gx), [1, 3, 2, 4, 10, 6, 3, 7, 4]);
  });
}

const sizeCases: Array<[string, Partial<Pool2dGeometryInput>, [number, number]]> = [
  ["MaxPool2d(2) on 28×28", { h: 28, w: 28 }, [14, 14]],
  ["MaxPool2d(3, stride 2) on 6×6", { kh: 3, kw: 3 }, [2, 2]],
  ["MaxPool2d(3, stride 2, ceil_mode) on 6×6", { kh: 3, kw: 3, ceilMode: true }, [3, 3]],
  ["MaxPool2d(2, stride 2, padding 1, ceil_mode) on 5×5 drops the window starting in the padding", {
    h: 5,
    w: 5,
    padH: 1,
    padW: 1,
    ceilMode: true,
  }, [3, 3]],
  ["MaxPool2d(3, stride 2, padding 1) on 112×112", {
    h: 112,
    w: 112,
    kh: 3,
    kw: 3,
    padH: 1,
    padW: 1,
  }, [56, 56]],
  ["MaxPool2d(2, dilation 2) on 7×6", {
    h: 7,
    w: 6,
    dilationH: 2,
    dilationW: 2,
    strideH: 1,
    strideW: 1,
  }, [5, 4]],
];
for (const [label, overrides, expected] of sizeCases) {
  test(`pool2dGeometry() gives PyTorch's output size for ${label}`, () => {
    const g = pool2dGeometry({ ...base, ...overrides });
    assert.deepEqual([g.hOut, g.wOut], expected);
  });
}

const badGeometries: Array<[string, Partial<Pool2dGeometryInput>, RegExp]> = [
  ["padding above half the kernel", { padH: 2 }, /at most half the kernel/],
  ["a kernel larger than the input", { h: 1, w: 1 }, /smaller than the dilated kernel/],
  ["stride 0", { strideW: 0 }, /strideW to be a positive integer/],
];
for (const [label, overrides, message] of badGeometries) {
  test(`pool2dGeometry() throws RangeError on ${label}`, () => {
    assert.throws(
      () => pool2dGeometry({ ...base, ...overrides }),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
    );
  });
}

test("avgPool2dForward() throws RangeError on a dilated geometry", () => {
  const g = pool2dGeometry({ ...base, dilationH: 2, h: 7 });
  const size = { x: g.n * g.c * g.h * g.w, y: g.n * g.c * g.hOut * g.wOut };
  assert.throws(
    () => avgPool2dForward(g, new Float32Array(size.x), new Float32Array(size.y), true, null),
    RangeError,
  );
});
