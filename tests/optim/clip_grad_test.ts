/** clipGradNorm and clipGradValue against PyTorch's definitions. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../_helpers/assert_close.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { clipGradNorm, clipGradValue } from "../../optim/mod.ts";

function params(): Parameter[] {
  const a = new Parameter(Tensor.zeros([2, 2]));
  const b = new Parameter(Tensor.zeros([3]));
  a.grad.data.set([3, -4, 1, 2]);
  b.grad.data.set([-2, 0.5, 6]);
  return [a, b];
}
const all = [3, -4, 1, 2, -2, 0.5, 6];

const normRows: [string, number, number][] = [
  ["2", 2, Math.sqrt(all.reduce((s, x) => s + x * x, 0))],
  ["1", 1, all.reduce((s, x) => s + Math.abs(x), 0)],
  ["3", 3, all.reduce((s, x) => s + Math.abs(x) ** 3, 0) ** (1 / 3)],
  ["Infinity", Infinity, 6],
];
for (const [label, normType, total] of normRows) {
  test(`clipGradNorm() with normType ${label} returns the total norm over all gradients and scales by maxNorm/(total + 1e-6)`, () => {
    const ps = params();
    const returned = clipGradNorm(ps, 2, { normType });
    assertClose(returned, total, { rtol: 1e-12 });
    const coef = 2 / (total + 1e-6);
    assertClose([...ps[0].grad.data, ...ps[1].grad.data], all.map((x) => x * coef), { rtol: 1e-6 });
  });
}

test("clipGradNorm() leaves gradients unchanged when the total norm is below maxNorm", () => {
  const ps = params();
  const total = clipGradNorm(ps, 100);
  assertClose(total, Math.sqrt(all.reduce((s, x) => s + x * x, 0)), { rtol: 1e-12 });
  assert.deepEqual([...ps[0].grad.data, ...ps[1].grad.data], all);
});

test("clipGradNorm() accepts a single Parameter", () => {
  const [a] = params();
  assertClose(clipGradNorm(a, 1), 5.477225575051661, { rtol: 1e-12 });
});

test("clipGradNorm() with errorIfNonfinite throws on a NaN gradient and changes nothing", () => {
  const ps = params();
  ps[1].grad.data[0] = NaN;
  assert.throws(
    () => clipGradNorm(ps, 1, { errorIfNonfinite: true }),
    /Cannot run clipGradNorm: the total norm of order 2 of the gradients is NaN/,
  );
  assert.deepEqual(Array.from(ps[0].grad.data), [3, -4, 1, 2]);
});

test("clipGradNorm() without errorIfNonfinite returns Infinity for an infinite gradient", () => {
  const ps = params();
  ps[0].grad.data[0] = Infinity;
  assert.equal(clipGradNorm(ps, 1, { normType: Infinity }), Infinity);
});

const clipErrors: [string, () => unknown, RegExp][] = [
  [
    "normType 0",
    () => clipGradNorm(params(), 1, { normType: 0 }),
    /normType must be a number > 0 or Infinity/,
  ],
  ["a negative maxNorm", () => clipGradNorm(params(), -1), /maxNorm must be ≥ 0, got -1/],
  [
    "an unknown option",
    () => clipGradNorm(params(), 1, { norm_type: 2 } as never),
    /unknown option "norm_type" \(did you mean "normType"\?/,
  ],
  [
    "normType as a positional argument",
    () => clipGradNorm(params(), 1, 2 as never),
    /Cannot run clipGradNorm: expected an options object .* got 2/,
  ],
  [
    "a fourth argument",
    () => (clipGradNorm as (...a: unknown[]) => number)(params(), 1, {}, true),
    /Cannot run clipGradNorm: expected at most 3 arguments, got 4/,
  ],
  [
    "clipGradValue with a third argument",
    () => (clipGradValue as (...a: unknown[]) => void)(params(), 1, {}),
    /Cannot run clipGradValue: expected at most 2 arguments, got 3/,
  ],
  ["a non-Parameter", () => clipGradNorm([1] as never, 1), /element 0 is not a Parameter/],
  [
    "clipGradValue with a negative value",
    () => clipGradValue(params(), -1),
    /clipValue must be ≥ 0, got -1/,
  ],
];
for (const [label, run, message] of clipErrors) {
  test(`clipGradNorm()/clipGradValue() reject ${label}`, () => {
    assert.throws(run, message);
  });
}

test("clipGradValue() clamps every element into [−clipValue, clipValue]", () => {
  const ps = params();
  clipGradValue(ps, 2.5);
  assert.deepEqual([...ps[0].grad.data, ...ps[1].grad.data], [2.5, -2.5, 1, 2, -2, 0.5, 2.5]);
});
