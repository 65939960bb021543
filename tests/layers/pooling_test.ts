import { test } from "node:test";
import assert from "node:assert/strict";
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from "../../layers/pooling.ts";
import type { Module } from "../../layers/module.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { distinctTensor, randomTensor } from "./_inputs.ts";

const GRAD_CASES: { name: string; make: () => Module; shape: number[] }[] = [
  { name: "MaxPool2d(2)", make: () => new MaxPool2d(2), shape: [2, 2, 4, 4] },
  {
    name: "MaxPool2d(3, stride 2) overlapping, odd size",
    make: () => new MaxPool2d(3, { stride: 2 }),
    shape: [1, 2, 7, 5],
  },
  {
    name: "MaxPool2d(3, stride 1, padding 1)",
    make: () => new MaxPool2d(3, { stride: 1, padding: 1 }),
    shape: [1, 1, 4, 4],
  },
  {
    name: "MaxPool2d(2, dilation 2)",
    make: () => new MaxPool2d(2, { stride: 1, dilation: 2 }),
    shape: [1, 2, 5, 5],
  },
  {
    name: "MaxPool2d(2, ceilMode)",
    make: () => new MaxPool2d(2, { ceilMode: true }),
    shape: [2, 1, 5, 5],
  },
  {
    name: "MaxPool2d([2, 3], stride [1, 2]), unbatched",
    make: () => new MaxPool2d([2, 3], { stride: [1, 2] }),
    shape: [2, 4, 7],
  },
  { name: "AvgPool2d(2)", make: () => new AvgPool2d(2), shape: [2, 2, 4, 4] },
  {
    name: "AvgPool2d(3, stride 2, padding 1)",
    make: () => new AvgPool2d(3, { stride: 2, padding: 1 }),
    shape: [1, 2, 5, 5],
  },
  {
    name: "AvgPool2d(3, padding 1, countIncludePad false)",
    make: () => new AvgPool2d(3, { stride: 1, padding: 1, countIncludePad: false }),
    shape: [1, 1, 4, 5],
  },
  {
    name: "AvgPool2d(2, ceilMode)",
    make: () => new AvgPool2d(2, { ceilMode: true }),
    shape: [1, 2, 5, 3],
  },
  {
    name: "AvgPool2d(2, divisorOverride 3)",
    make: () => new AvgPool2d(2, { divisorOverride: 3 }),
    shape: [1, 1, 4, 4],
  },
  {
    name: "AdaptiveAvgPool2d(1) (global)",
    make: () => new AdaptiveAvgPool2d(1),
    shape: [2, 3, 3, 4],
  },
  {
    name: "AdaptiveAvgPool2d([2, 3]) dividing",
    make: () => new AdaptiveAvgPool2d([2, 3]),
    shape: [1, 2, 4, 6],
  },
  {
    name: "AdaptiveAvgPool2d(3) overlapping 5→3",
    make: () => new AdaptiveAvgPool2d(3),
    shape: [1, 2, 5, 5],
  },
  {
    name: "AdaptiveAvgPool2d([null, 2])",
    make: () => new AdaptiveAvgPool2d([null, 2]),
    shape: [1, 1, 3, 4],
  },
];

for (const { name, make, shape } of GRAD_CASES) {
  const layer = name.split("(")[0];
  test(`${layer}.backward() matches finite differences: ${name}`, () => {
    // Distinct values 0.05 apart: no max-pool ties, even after a ±0.01 nudge.
    checkModuleGradients(make(), distinctTensor(shape, 3));
  });
}

const PLANE = [
  [1, 2, 5, 3],
  [4, 9, 0, 6],
  [7, 1, 8, 2],
  [3, 5, 4, 11],
];

const FORWARD_CASES: {
  name: string;
  make: () => Module;
  input: number[][];
  expected: number[][];
}[] = [
  { name: "MaxPool2d(2)", make: () => new MaxPool2d(2), input: PLANE, expected: [[9, 6], [7, 11]] },
  {
    name: "MaxPool2d(3, stride 1)",
    make: () => new MaxPool2d(3, { stride: 1 }),
    input: PLANE,
    expected: [[9, 9], [9, 11]],
  },
  // Padding never wins: a window of negatives over the padded border still returns a negative.
  {
    name: "MaxPool2d(2, padding 1) with negatives",
    make: () => new MaxPool2d(2, { padding: 1 }),
    input: [[-1, -2], [-3, -4]],
    expected: [[-1, -2], [-3, -4]],
  },
  {
    name: "MaxPool2d(3, stride 3, ceilMode)",
    make: () => new MaxPool2d(3, { ceilMode: true }),
    input: PLANE,
    expected: [[9, 6], [5, 11]],
  },
  {
    name: "MaxPool2d(2, stride 1, dilation 2)",
    make: () => new MaxPool2d(2, { stride: 1, dilation: 2 }),
    input: PLANE,
    expected: [[8, 3], [4, 11]],
  },
  {
    name: "AvgPool2d(2)",
    make: () => new AvgPool2d(2),
    input: PLANE,
    expected: [[4, 3.5], [4, 6.25]],
  },
  // Corner windows hold 1 real cell of 4 (count_include_pad divides by 4), edges 2 of 4.
  {
    name: "AvgPool2d(2, stride 1, padding 1)",
    make: () => new AvgPool2d(2, { stride: 1, padding: 1 }),
    input: [[4, 8], [12, 16]],
    expected: [[1, 3, 2], [4, 10, 6], [3, 7, 4]],
  },
  {
    name: "AvgPool2d(2, stride 1, padding 1, countIncludePad false)",
    make: () => new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }),
    input: [[4, 8], [12, 16]],
    expected: [[4, 6, 8], [8, 10, 12], [12, 14, 16]],
  },
  // ceil_mode: the last window holds one cell and, beyond the (unpadded) input, counts only that cell.
  {
    name: "AvgPool2d(2, ceilMode) on 3×3",
    make: () => new AvgPool2d(2, { ceilMode: true }),
    input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    expected: [[3, 4.5], [7.5, 9]],
  },
  {
    name: "AvgPool2d(2, divisorOverride 2)",
    make: () => new AvgPool2d(2, { divisorOverride: 2 }),
    input: PLANE,
    expected: [[8, 7], [8, 12.5]],
  },
  {
    name: "AdaptiveAvgPool2d(1)",
    make: () => new AdaptiveAvgPool2d(1),
    input: PLANE,
    expected: [[71 / 16]],
  },
  {
    name: "AdaptiveAvgPool2d(2)",
    make: () => new AdaptiveAvgPool2d(2),
    input: PLANE,
    expected: [[4, 3.5], [4, 6.25]],
  },
  // 4 → 3: PyTorch's windows [0, 2), [1, 3), [2, 4) in each direction.
  {
    name: "AdaptiveAvgPool2d(3) on 4×4",
    make: () => new AdaptiveAvgPool2d(3),
    input: PLANE,
    expected: [[4, 4, 3.5], [5.25, 4.5, 4], [4, 4.5, 6.25]],
  },
];

for (const { name, make, input, expected } of FORWARD_CASES) {
  const layer = name.split("(")[0];
  test(`${layer}.forward() matches hand-computed values: ${name}`, () => {
    const y = make().forward(Tensor.fromArray([[input]]));
    assertClose(y.data, expected.flat(), { rtol: 1e-6 });
    assert.deepEqual([...y.shape], [1, 1, expected.length, expected[0].length]);
  });
}

test("MaxPool2d.backward() sends a tie's gradient to the first maximum, as PyTorch", () => {
  const pool = new MaxPool2d(2);
  pool.forward(Tensor.fromArray([[[[5, 5], [5, 5]]]]));
  assert.deepEqual(Array.from(pool.backward(Tensor.fromArray([[[[1]]]])).data), [1, 0, 0, 0]);
});

test("MaxPool2d.backward() sums the gradients of overlapping windows sharing a maximum", () => {
  const pool = new MaxPool2d(2, { stride: 1 });
  pool.forward(Tensor.fromArray([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]]));
  const gx = pool.backward(Tensor.fromArray([[[[1, 2], [3, 4]]]]));
  assert.deepEqual(Array.from(gx.data), [0, 0, 0, 0, 10, 0, 0, 0, 0]);
});

test("AdaptiveAvgPool2d(1).forward() equals the mean of each plane", () => {
  const x = randomTensor([2, 3, 5, 7], 4);
  const y = new AdaptiveAvgPool2d(1).forward(x);
  const means = [];
  for (let p = 0; p < 6; p++) {
    means.push(x.data.subarray(p * 35, (p + 1) * 35).reduce((a, b) => a + b, 0) / 35);
  }
  assertClose(y.data, means, { rtol: 1e-5, atol: 1e-6 });
});

const REPRS: [() => Module, string][] = [
  [
    () => new MaxPool2d(2),
    "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
  ],
  [
    () => new MaxPool2d([3, 2], { stride: 1, ceilMode: true }),
    "MaxPool2d(kernel_size=(3, 2), stride=1, padding=0, dilation=1, ceil_mode=True)",
  ],
  [
    () => new AvgPool2d(3, { stride: 2, padding: 1 }),
    "AvgPool2d(kernel_size=3, stride=2, padding=1)",
  ],
  [() => new AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(output_size=1)"],
  [() => new AdaptiveAvgPool2d([5, null]), "AdaptiveAvgPool2d(output_size=(5, None))"],
];

for (const [make, expected] of REPRS) {
  test(`${expected.split("(")[0]}.toString() prints like PyTorch: ${expected}`, () => {
    assert.equal(String(make()), expected);
  });
}

const BAD_INPUTS: [string, () => unknown, string][] = [
  [
    "MaxPool2d",
    () => new MaxPool2d(2).forward(Tensor.zeros([4, 4])),
    "Cannot run MaxPool2d.forward: expected input [N, C, H, W] or [C, H, W], got [4, 4]",
  ],
  [
    "AvgPool2d",
    () => new AvgPool2d(2).forward(Tensor.zeros([1, 1, 1, 2, 2])),
    "Cannot run AvgPool2d.forward: expected input [N, C, H, W] or [C, H, W], got [1, 1, 1, 2, 2]",
  ],
  [
    "AdaptiveAvgPool2d",
    () => new AdaptiveAvgPool2d(1).forward(Tensor.zeros([3, 4])),
    "Cannot run AdaptiveAvgPool2d.forward: expected input [N, C, H, W] or [C, H, W] with H, W ≥ 1, got [3, 4]",
  ],
];

for (const [layer, run, message] of BAD_INPUTS) {
  test(`${layer}.forward() rejects a wrong-rank input with a TypeError`, () => {
    assert.throws(run, { name: "TypeError", message });
  });
}

test("MaxPool2d.forward() rejects an input smaller than the window with a RangeError", () => {
  assert.throws(() => new MaxPool2d(3).forward(Tensor.zeros([1, 1, 2, 2])), {
    name: "RangeError",
    message: /^Cannot run MaxPool2d\.forward/,
  });
});

for (
  const [layer, make] of [["MaxPool2d", () => new MaxPool2d(2)], [
    "AvgPool2d",
    () => new AvgPool2d(2),
  ], ["AdaptiveAvgPool2d", () => new AdaptiveAvgPool2d(1)]] as const
) {
  test(`${layer}.backward() before forward() is a clear error`, () => {
    assert.throws(
      () => make().backward(Tensor.zeros([1, 1, 1, 1])),
      new RegExp(`Cannot run ${layer}\\.backward: .*forward`),
    );
  });
}

const BAD_ARGS: [string, () => unknown, RegExp][] = [
  ["MaxPool2d kernelSize 0", () => new MaxPool2d(0), /kernelSize/],
  ["MaxPool2d stride 0", () => new MaxPool2d(2, { stride: 0 }), /stride/],
  [
    "MaxPool2d padding above half the kernel",
    () => new MaxPool2d(2, { padding: 2 }),
    /padding \(2, 2\) must be at most half of kernelSize/,
  ],
  ["MaxPool2d dilation 0", () => new MaxPool2d(2, { dilation: 0 }), /dilation/],
  ["AvgPool2d kernelSize [2, -1]", () => new AvgPool2d([2, -1]), /kernelSize/],
  [
    "AvgPool2d divisorOverride 0",
    () => new AvgPool2d(2, { divisorOverride: 0 }),
    /divisorOverride/,
  ],
  ["AdaptiveAvgPool2d outputSize 0", () => new AdaptiveAvgPool2d(0), /outputSize/],
];

for (const [name, make, message] of BAD_ARGS) {
  test(`${name.split(" ")[0]}() rejects ${name.split(" ").slice(1).join(" ")} with a RangeError naming it`, () => {
    assert.throws(make, { name: "RangeError", message });
  });
}
