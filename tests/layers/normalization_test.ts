import { test } from "node:test";
import assert from "node:assert/strict";
import { BatchNorm1d, BatchNorm2d, LayerNorm } from "../../layers/normalization.ts";
import type { Module } from "../../layers/module.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomizeParameters, randomTensor } from "./_inputs.ts";

/** A batch-norm layer in eval mode whose running statistics come from one training step on other data. */
function evalAfterStep<T extends Module>(layer: T, shape: number[]): T {
  layer.forward(randomTensor(shape, 99, -2, 3));
  return layer.eval();
}

const GRAD_CASES: { name: string; make: () => Module; shape: number[] }[] = [
  { name: "BatchNorm1d(3) train, [4, 3]", make: () => new BatchNorm1d(3), shape: [4, 3] },
  { name: "BatchNorm1d(2) train, [3, 2, 5]", make: () => new BatchNorm1d(2), shape: [3, 2, 5] },
  {
    name: "BatchNorm1d(3) eval, [4, 3]",
    make: () => evalAfterStep(new BatchNorm1d(3), [6, 3]),
    shape: [4, 3],
  },
  {
    name: "BatchNorm1d(2) eval, batch 1 [1, 2, 3]",
    make: () => evalAfterStep(new BatchNorm1d(2), [2, 2, 3]),
    shape: [1, 2, 3],
  },
  {
    name: "BatchNorm1d(3, momentum null) train",
    make: () => new BatchNorm1d(3, { momentum: null }),
    shape: [5, 3],
  },
  {
    name: "BatchNorm2d(3) train, [2, 3, 3, 3]",
    make: () => new BatchNorm2d(3),
    shape: [2, 3, 3, 3],
  },
  {
    name: "BatchNorm2d(2) train, batch 1 [1, 2, 3, 2]",
    make: () => new BatchNorm2d(2),
    shape: [1, 2, 3, 2],
  },
  {
    name: "BatchNorm2d(3) eval",
    make: () => evalAfterStep(new BatchNorm2d(3), [2, 3, 2, 2]),
    shape: [2, 3, 3, 2],
  },
  {
    name: "BatchNorm2d(2, affine false) train",
    make: () => new BatchNorm2d(2, { affine: false }),
    shape: [2, 2, 2, 3],
  },
  {
    name: "BatchNorm2d(2, trackRunningStats false) eval (batch statistics)",
    make: () => new BatchNorm2d(2, { trackRunningStats: false }).eval(),
    shape: [2, 2, 2, 2],
  },
  { name: "LayerNorm(4), [3, 4]", make: () => new LayerNorm(4), shape: [3, 4] },
  {
    name: "LayerNorm([3, 4]) over two dims, [2, 3, 4]",
    make: () => new LayerNorm([3, 4]),
    shape: [2, 3, 4],
  },
  {
    name: "LayerNorm(5, elementwiseAffine false)",
    make: () => new LayerNorm(5, { elementwiseAffine: false }),
    shape: [2, 5],
  },
  {
    name: "LayerNorm([2, 3], bias false), 1 row",
    make: () => new LayerNorm([2, 3], { bias: false }),
    shape: [2, 3],
  },
];

for (const { name, make, shape } of GRAD_CASES) {
  test(`${name.split("(")[0]}.backward() matches finite differences: ${name}`, () => {
    const layer = make();
    randomizeParameters(layer, 7, 0.5, 1.5);
    checkModuleGradients(layer, randomTensor(shape, 3, -2, 2));
  });
}

const STEP1 = Tensor.fromArray([[1, 2], [3, 6]]); // means [2, 4], biased var [1, 4], unbiased [2, 8]
const STEP2 = Tensor.fromArray([[0, 1], [4, 1], [2, 4]]); // means [2, 2], unbiased var [4, 3]

test("BatchNorm1d.forward() in training normalizes with the biased batch variance", () => {
  const y = new BatchNorm1d(2).forward(STEP1);
  const a = 1 / Math.sqrt(1 + 1e-5), b = 2 / Math.sqrt(4 + 1e-5);
  assertClose(y.data, [-a, -b, a, b], { rtol: 1e-6 });
});

test("BatchNorm1d running statistics after 2 steps match the hand computation (unbiased var, momentum 0.1)", () => {
  const bn = new BatchNorm1d(2);
  bn.forward(STEP1);
  bn.forward(STEP2);
  // running_mean: 0.9·(0.1·[2, 4]) + 0.1·[2, 2]; running_var: 0.9·(0.9 + 0.1·[2, 8]) + 0.1·[4, 3]
  assertClose(bn.runningMean!.data, [0.38, 0.56], { rtol: 1e-6 });
  assertClose(bn.runningVar!.data, [1.39, 1.83], { rtol: 1e-6 });
  assert.equal(bn.numBatchesTracked!.data[0], 2);
  const y = bn.eval().forward(Tensor.fromArray([[1, 1]]));
  assertClose(y.data, [(1 - 0.38) / Math.sqrt(1.39 + 1e-5), (1 - 0.56) / Math.sqrt(1.83 + 1e-5)], {
    rtol: 1e-6,
  });
});

test("BatchNorm1d(momentum null) keeps a cumulative average of the batch statistics", () => {
  const bn = new BatchNorm1d(2, { momentum: null });
  bn.forward(STEP1);
  bn.forward(STEP2);
  assertClose(bn.runningMean!.data, [2, 3], { rtol: 1e-6 });
  assertClose(bn.runningVar!.data, [3, 5.5], { rtol: 1e-6 });
});

test("BatchNorm1d.forward() in eval mode leaves the running statistics alone", () => {
  const bn = new BatchNorm1d(2);
  bn.forward(STEP1);
  bn.eval().forward(STEP2);
  assertClose(bn.runningMean!.data, [0.2, 0.4], { rtol: 1e-6 });
  assertClose(bn.runningVar!.data, [1.1, 1.7], { rtol: 1e-6 });
  assert.equal(bn.numBatchesTracked!.data[0], 1);
});

/** Batch norm per channel of [N, C, H, W] in float64, with batch statistics. */
function batchNorm2dReference(x: Tensor, w: Float32Array, b: Float32Array, eps: number): number[] {
  const [n, c, h, wd] = x.shape;
  const l = h * wd;
  const out = new Array<number>(x.size);
  for (let ch = 0; ch < c; ch++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) idx.push((i * c + ch) * l + j);
    const mean = idx.reduce((s, k) => s + x.data[k], 0) / idx.length;
    const variance = idx.reduce((s, k) => s + (x.data[k] - mean) ** 2, 0) / idx.length;
    for (const k of idx) out[k] = ((x.data[k] - mean) / Math.sqrt(variance + eps)) * w[ch] + b[ch];
  }
  return out;
}

test("BatchNorm2d.forward() matches a float64 reference in training, and running_var uses N·H·W − 1", () => {
  const bn = new BatchNorm2d(3, { eps: 1e-3, momentum: 0.5 });
  randomizeParameters(bn, 4);
  const x = randomTensor([2, 3, 2, 3], 5, -3, 3);
  const y = bn.forward(x);
  assertClose(y.data, batchNorm2dReference(x, bn.weight!.data.data, bn.bias!.data.data, 1e-3), {
    rtol: 1e-5,
    atol: 1e-5,
  });
  const ch0: number[] = [];
  for (let i = 0; i < 2; i++) ch0.push(...x.data.subarray(i * 18, i * 18 + 6));
  const mean = ch0.reduce((a, v) => a + v, 0) / 12;
  const unbiased = ch0.reduce((a, v) => a + (v - mean) ** 2, 0) / 11;
  assertClose(bn.runningMean!.data[0], 0.5 * mean, { rtol: 1e-5, atol: 1e-7 });
  assertClose(bn.runningVar!.data[0], 0.5 + 0.5 * unbiased, { rtol: 1e-5 });
});

test("BatchNorm2d(trackRunningStats false) uses batch statistics in eval and has no buffers", () => {
  const bn = new BatchNorm2d(2, { trackRunningStats: false }).eval();
  const x = randomTensor([2, 2, 2, 2], 6);
  assertClose(
    bn.forward(x).data,
    batchNorm2dReference(x, new Float32Array([1, 1]), new Float32Array(2), 1e-5),
    { rtol: 1e-5, atol: 1e-5 },
  );
  assert.deepEqual(Object.keys(bn.stateDict()), ["weight", "bias"]);
});

test("BatchNorm2d.stateDict() has PyTorch's keys, with num_batches_tracked a shape-[] tensor", () => {
  const sd = new BatchNorm2d(4).stateDict();
  assert.deepEqual(Object.keys(sd), [
    "weight",
    "bias",
    "running_mean",
    "running_var",
    "num_batches_tracked",
  ]);
  assert.deepEqual([...sd.num_batches_tracked.shape], []);
  assert.deepEqual(Array.from(sd.running_var.data), [1, 1, 1, 1]);
  assert.deepEqual(Object.keys(new BatchNorm1d(2, { affine: false }).stateDict()), [
    "running_mean",
    "running_var",
    "num_batches_tracked",
  ]);
});

test("BatchNorm1d.forward() in training rejects one value per channel with a RangeError, as PyTorch", () => {
  assert.throws(() => new BatchNorm1d(3).forward(Tensor.zeros([1, 3])), {
    name: "RangeError",
    message:
      "Cannot run BatchNorm1d.forward: expected more than 1 value per channel when training, got input [1, 3]",
  });
  assert.doesNotThrow(() => new BatchNorm1d(3).eval().forward(Tensor.zeros([1, 3])));
});

/** Layer norm of the trailing `size` elements per row, in float64. */
function layerNormReference(
  x: Tensor,
  size: number,
  w: Float32Array,
  b: Float32Array,
  eps: number,
): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.size / size; r++) {
    const row = Array.from(x.data.subarray(r * size, (r + 1) * size));
    const mean = row.reduce((a, v) => a + v, 0) / size;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / size;
    row.forEach((v, k) => out.push(((v - mean) / Math.sqrt(variance + eps)) * w[k] + b[k]));
  }
  return out;
}

test("LayerNorm.forward() over two dims matches a float64 reference", () => {
  const ln = new LayerNorm([3, 4], { eps: 1e-4 });
  randomizeParameters(ln, 8);
  const x = randomTensor([2, 3, 4], 9, -2, 5);
  const y = ln.forward(x);
  assertClose(y.data, layerNormReference(x, 12, ln.weight!.data.data, ln.bias!.data.data, 1e-4), {
    rtol: 1e-5,
    atol: 1e-5,
  });
});

test("LayerNorm.forward() is the same in training and eval mode", () => {
  const ln = new LayerNorm(5);
  const x = randomTensor([3, 5], 10);
  assert.deepEqual(ln.forward(x).data, ln.eval().forward(x).data);
});

test("LayerNorm.stateDict() has weight and bias of normalizedShape, or fewer keys without them", () => {
  const sd = new LayerNorm([3, 4]).stateDict();
  assert.deepEqual(Object.keys(sd), ["weight", "bias"]);
  assert.deepEqual([...sd.weight.shape], [3, 4]);
  assert.deepEqual(Object.keys(new LayerNorm(3, { bias: false }).stateDict()), ["weight"]);
  assert.deepEqual(Object.keys(new LayerNorm(3, { elementwiseAffine: false }).stateDict()), []);
});

const REPRS: [() => Module, string][] = [
  [
    () => new BatchNorm2d(16),
    "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
  ],
  [
    () =>
      new BatchNorm1d(8, { eps: 0.001, momentum: null, affine: false, trackRunningStats: false }),
    "BatchNorm1d(8, eps=0.001, momentum=None, affine=False, track_running_stats=False)",
  ],
  [() => new LayerNorm([3, 4]), "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)"],
  [() => new LayerNorm(10), "LayerNorm((10,), eps=1e-05, elementwise_affine=True)"],
];

for (const [make, expected] of REPRS) {
  test(`${expected.split("(")[0]}.toString() prints like PyTorch: ${expected}`, () => {
    assert.equal(String(make()), expected);
  });
}

const BAD_INPUTS: [string, () => unknown, string][] = [
  [
    "BatchNorm2d",
    () => new BatchNorm2d(3).forward(Tensor.zeros([8, 1, 28, 28])),
    "Cannot run BatchNorm2d.forward: expected input [N, 3, H, W], got [8, 1, 28, 28]",
  ],
  [
    "BatchNorm2d",
    () => new BatchNorm2d(3).forward(Tensor.zeros([8, 3])),
    "Cannot run BatchNorm2d.forward: expected input [N, 3, H, W], got [8, 3]",
  ],
  [
    "BatchNorm1d",
    () => new BatchNorm1d(4).forward(Tensor.zeros([2, 3])),
    "Cannot run BatchNorm1d.forward: expected input [N, 4] or [N, 4, L], got [2, 3]",
  ],
  [
    "LayerNorm",
    () => new LayerNorm([3, 4]).forward(Tensor.zeros([2, 4, 3])),
    "Cannot run LayerNorm.forward: expected input [*, 3, 4], got [2, 4, 3]",
  ],
  [
    "LayerNorm",
    () => new LayerNorm([3, 4]).forward(Tensor.zeros([4])),
    "Cannot run LayerNorm.forward: expected input [*, 3, 4], got [4]",
  ],
];

for (const [layer, run, message] of BAD_INPUTS) {
  test(`${layer}.forward() rejects ${message.split("got ")[1]} with a TypeError`, () => {
    assert.throws(run, { name: "TypeError", message });
  });
}

for (
  const [layer, make] of [["BatchNorm1d", () => new BatchNorm1d(2)], [
    "LayerNorm",
    () => new LayerNorm(2),
  ]] as const
) {
  test(`${layer}.backward() before forward() is a clear error`, () => {
    assert.throws(
      () => make().backward(Tensor.zeros([2, 2])),
      new RegExp(`Cannot run ${layer}\\.backward: .*forward`),
    );
  });
}

const BAD_ARGS: [string, () => unknown, RegExp][] = [
  ["BatchNorm1d numFeatures 0", () => new BatchNorm1d(0), /numFeatures/],
  ["BatchNorm2d negative eps", () => new BatchNorm2d(2, { eps: -1e-5 }), /eps/],
  ["BatchNorm2d momentum 1.5", () => new BatchNorm2d(2, { momentum: 1.5 }), /momentum/],
  ["LayerNorm negative eps", () => new LayerNorm(3, { eps: -1 }), /eps/],
  ["LayerNorm normalizedShape [3, 0]", () => new LayerNorm([3, 0]), /normalizedShape/],
  ["LayerNorm normalizedShape []", () => new LayerNorm([]), /normalizedShape/],
];

for (const [name, make, message] of BAD_ARGS) {
  test(`${name.split(" ")[0]}() rejects ${name.split(" ").slice(1).join(" ")} with a RangeError naming it`, () => {
    assert.throws(make, { name: "RangeError", message });
  });
}
