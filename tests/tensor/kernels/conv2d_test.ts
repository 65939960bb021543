/** conv2d: every convolution version against the naive oracle, hand-computed cases, and geometry checks. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { base, configs, conv2dSuite, type Conv2dVersion, fill, sizes } from "./_conv2d_suite.ts";
import { Rng } from "../../../tensor/rng.ts";
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  type Conv2dGeometryInput,
  conv2dWorkspaceSize,
} from "../../../tensor/kernels/conv2d.ts";
import {
  conv2dBackwardInputNaive,
  conv2dBackwardWeightNaive,
  conv2dForwardNaive,
} from "../../../tensor/kernels/conv2d_naive.ts";

/** The interchangeable versions checked against the naive oracle by the shared suite. */
const versions: Conv2dVersion[] = [
  {
    forward: conv2dForward,
    backwardInput: conv2dBackwardInput,
    backwardWeight: conv2dBackwardWeight,
  },
];

conv2dSuite(versions);

// The oracle's backward passes are checked by the adjoint identities of a linear map:
// ⟨gy, conv(x, w)⟩ = ⟨gx, x⟩ = ⟨gw, w⟩ with no bias.
for (const [label, overrides] of configs) {
  test(`conv2dBackwardInputNaive() and conv2dBackwardWeightNaive() are adjoint to the forward pass: ${label}`, () => {
    const g = conv2dGeometry({ ...base, ...overrides });
    const size = sizes(g);
    const rng = new Rng(4);
    const x = fill(size.x, rng), weight = fill(size.weight, rng), gy = fill(size.y, rng);
    const y = new Float32Array(size.y),
      gx = new Float32Array(size.x),
      gw = new Float32Array(size.weight);
    conv2dForwardNaive(g, x, weight, null, y);
    conv2dBackwardInputNaive(g, gy, weight, gx);
    conv2dBackwardWeightNaive(g, x, gy, gw, null);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, ai, i) => s + ai * b[i], 0);
    assertClose(dot(gx, x), dot(gy, y), { rtol: 1e-4, atol: 1e-4 });
    assertClose(dot(gw, weight), dot(gy, y), { rtol: 1e-4, atol: 1e-4 });
  });
}

const allVersions: Conv2dVersion[] = [
  {
    forward: conv2dForwardNaive,
    backwardInput: conv2dBackwardInputNaive,
    backwardWeight: conv2dBackwardWeightNaive,
  },
  ...versions,
];

for (const v of allVersions) {
  test(`${v.forward.name}() computes a hand-checked 3×3 input, 2×2 kernel, padding 1, stride 2`, () => {
    const g = conv2dGeometry({
      ...base,
      n: 1,
      cIn: 1,
      cOut: 1,
      h: 3,
      w: 3,
      kh: 2,
      kw: 2,
      padH: 1,
      padW: 1,
      strideH: 2,
      strideW: 2,
    });
    assert.deepEqual([g.hOut, g.wOut], [2, 2]);
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const weight = new Float32Array([1, 10, 100, 1000]);
    const y = new Float32Array(4);
    v.forward(g, x, weight, new Float32Array([0.5]), y, new Float32Array(conv2dWorkspaceSize(g)));
    // Windows (rows −1..0, 1..2) × (cols −1..0, 1..2); padding is 0.
    assert.deepEqual(Array.from(y), [
      1000 * 1 + 0.5,
      100 * 2 + 1000 * 3 + 0.5,
      10 * 4 + 1000 * 7 + 0.5,
      1 * 5 + 10 * 6 + 100 * 8 + 1000 * 9 + 0.5,
    ]);
  });

  test(`${v.forward.name}() computes a hand-checked 2-group 1×1 convolution`, () => {
    const g = conv2dGeometry({
      ...base,
      n: 1,
      cIn: 2,
      cOut: 2,
      h: 1,
      w: 2,
      kh: 1,
      kw: 1,
      groups: 2,
    });
    const x = new Float32Array([1, 2, 3, 4]); // channel 0: [1, 2], channel 1: [3, 4]
    const y = new Float32Array(4);
    v.forward(g, x, new Float32Array([2, -1]), null, y, new Float32Array(conv2dWorkspaceSize(g)));
    assert.deepEqual(Array.from(y), [2, 4, -3, -4]);
  });

  test(`${v.backwardInput.name}() and ${v.backwardWeight.name}() compute a hand-checked dilated case`, () => {
    // x [1, 1, 1, 4], kernel 1×2 with dilation 2: y[j] = w0·x[j] + w1·x[j + 2], j = 0, 1.
    const g = conv2dGeometry({
      ...base,
      n: 1,
      cIn: 1,
      cOut: 1,
      h: 1,
      w: 4,
      kh: 1,
      kw: 2,
      dilationW: 2,
    });
    const ws = new Float32Array(conv2dWorkspaceSize(g));
    const gx = new Float32Array(4);
    v.backwardInput(g, new Float32Array([1, 10]), new Float32Array([2, 3]), gx, ws);
    assert.deepEqual(Array.from(gx), [2, 20, 3, 30]);
    const gw = new Float32Array([100, 200]), gb = new Float32Array([1000]);
    v.backwardWeight(g, new Float32Array([1, 2, 3, 4]), new Float32Array([1, 10]), gw, gb, ws);
    v.backwardWeight(g, new Float32Array([1, 2, 3, 4]), new Float32Array([1, 10]), gw, gb, ws);
    // One call: gw += [1·1 + 10·2, 1·3 + 10·4] = [21, 43], gb += 11; two calls accumulate twice.
    assert.deepEqual(Array.from(gw), [142, 286]);
    assert.deepEqual(Array.from(gb), [1022]);
  });
}

test("conv2dGeometry() derives PyTorch's output size", () => {
  const g = conv2dGeometry({
    ...base,
    h: 28,
    w: 27,
    kh: 5,
    kw: 3,
    strideH: 2,
    strideW: 3,
    padH: 2,
    padW: 1,
    dilationH: 2,
    dilationW: 1,
  });
  // floor((28 + 4 − 8 − 1) / 2) + 1 = 12, floor((27 + 2 − 2 − 1) / 3) + 1 = 9
  assert.deepEqual([g.hOut, g.wOut], [12, 9]);
});

const badGeometries: Array<[string, Partial<Conv2dGeometryInput>, RegExp]> = [
  ["channels not divisible by groups", { cIn: 3, groups: 2, cOut: 4 }, /divisible by groups/],
  ["kernel larger than the padded input", { h: 2 }, /smaller than the dilated kernel/],
  ["stride 0", { strideH: 0 }, /strideH to be a positive integer/],
  ["negative padding", { padW: -1 }, /padW to be a non-negative integer/],
  ["fractional channels", { cIn: 2.5 }, /cIn to be a positive integer/],
];
for (const [label, overrides, message] of badGeometries) {
  test(`conv2dGeometry() throws RangeError on ${label}`, () => {
    assert.throws(
      () => conv2dGeometry({ ...base, ...overrides }),
      (e: unknown) => e instanceof RangeError && message.test(e.message),
    );
  });
}

test("conv2dForward() throws RangeError on a workspace smaller than conv2dWorkspaceSize()", () => {
  const g = conv2dGeometry(base);
  const size = sizes(g);
  assert.throws(
    () =>
      conv2dForward(
        g,
        new Float32Array(size.x),
        new Float32Array(size.weight),
        null,
        new Float32Array(size.y),
        new Float32Array(3),
      ),
    RangeError,
  );
});
