import { test } from "node:test";
import assert from "node:assert/strict";
import { CrossEntropyLoss, type CrossEntropyLossOptions } from "../../losses/cross_entropy.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkLossGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";
import { classIndexLossRef, dot, probabilityLossRef } from "./_reference.ts";

/** Class indices for an input of `shape`, seeded; positions in `ignoreAt` get `ignoreIndex`. */
function classTargets(
  shape: number[],
  seed: number,
  ignoreAt: number[] = [],
  ignoreIndex = -100,
): Int32Array {
  const c = shape.length === 1 ? shape[0] : shape[1];
  const count = shape.length === 1 ? 1 : shape[0] * shape.slice(2).reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const t = Int32Array.from({ length: count }, () => rng.randint(c));
  for (const i of ignoreAt) t[i] = ignoreIndex;
  return t;
}

/** Random class probabilities shaped like the logits (each sample sums to 1 over dim 1). */
function probabilityTargets(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, seed, 0.05, 1);
  const c = shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  for (let n = 0; n < shape[0]; n++) {
    for (let j = 0; j < inner; j++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += t.data[(n * c + k) * inner + j];
      for (let k = 0; k < c; k++) t.data[(n * c + k) * inner + j] /= s;
    }
  }
  return t;
}

const W5 = [0.5, 2, 1, 0.25, 3];
const W3 = [2, 0.5, 1.5];

interface IndexRow {
  name: string;
  shape: number[];
  options: CrossEntropyLossOptions;
  ignoreAt?: number[];
  uint8?: boolean;
}

const INDEX_ROWS: IndexRow[] = [
  { name: "[4, 5] mean", shape: [4, 5], options: {} },
  { name: "[4, 5] sum", shape: [4, 5], options: { reduction: "sum" } },
  { name: "[4, 5] none", shape: [4, 5], options: { reduction: "none" } },
  { name: "[4, 5] weight, mean", shape: [4, 5], options: { weight: new Float32Array(W5) } },
  {
    name: "[4, 5] weight, sum",
    shape: [4, 5],
    options: { weight: Tensor.fromArray(W5), reduction: "sum" },
  },
  {
    name: "[4, 5] ignoreIndex -100 on 2 samples, mean",
    shape: [4, 5],
    options: {},
    ignoreAt: [1, 3],
  },
  {
    name: "[4, 5] ignoreIndex 2 (a valid class) with weight, mean",
    shape: [4, 5],
    options: { ignoreIndex: 2, weight: W5 },
    ignoreAt: [0],
  },
  { name: "[4, 5] labelSmoothing 0.1, mean", shape: [4, 5], options: { labelSmoothing: 0.1 } },
  {
    name: "[4, 5] labelSmoothing 1, sum",
    shape: [4, 5],
    options: { labelSmoothing: 1, reduction: "sum" },
  },
  {
    name: "[4, 5] weight + ignoreIndex + labelSmoothing 0.2, mean",
    shape: [4, 5],
    options: { weight: W5, labelSmoothing: 0.2 },
    ignoreAt: [2],
  },
  {
    name: "[4, 5] weight + ignoreIndex + labelSmoothing 0.2, sum",
    shape: [4, 5],
    options: { weight: W5, labelSmoothing: 0.2, reduction: "sum" },
    ignoreAt: [2],
  },
  {
    name: "[4, 5] weight + ignoreIndex + labelSmoothing 0.2, none",
    shape: [4, 5],
    options: { weight: W5, labelSmoothing: 0.2, reduction: "none" },
    ignoreAt: [2],
  },
  { name: "[2, 3, 2, 2] spatial, mean", shape: [2, 3, 2, 2], options: {} },
  {
    name: "[2, 3, 2, 2] spatial, weight + ignoreIndex + labelSmoothing 0.1, mean",
    shape: [2, 3, 2, 2],
    options: { weight: W3, labelSmoothing: 0.1 },
    ignoreAt: [1, 6],
  },
  {
    name: "[2, 3, 2, 2] spatial, none",
    shape: [2, 3, 2, 2],
    options: { reduction: "none" },
    ignoreAt: [5],
  },
  {
    name: "[3, 4, 5] (one spatial dim), weight, sum",
    shape: [3, 4, 5],
    options: { weight: [1, 2, 3, 4], reduction: "sum" },
  },
  { name: "[5] unbatched, labelSmoothing 0.3", shape: [5], options: { labelSmoothing: 0.3 } },
  { name: "[3, 4] Uint8Array targets, mean", shape: [3, 4], options: {}, uint8: true },
];

function indexCase(row: IndexRow, k: number) {
  const logits = randomTensor(row.shape, 100 + k, -2, 2);
  const ignoreIndex = row.options.ignoreIndex ?? -100;
  const t = classTargets(row.shape, 200 + k, row.ignoreAt, ignoreIndex);
  const target = row.uint8 ? Uint8Array.from(t) : t;
  const weight = row.options.weight instanceof Tensor
    ? row.options.weight.data
    : row.options.weight;
  const ref = classIndexLossRef(logits.data, row.shape, t, { ...row.options, weight }, true);
  return { logits, target, ref };
}

for (const [k, row] of INDEX_ROWS.entries()) {
  test(`CrossEntropyLoss.forward() matches the float64 formula: ${row.name}`, () => {
    const { logits, target, ref } = indexCase(row, k);
    const loss = new CrossEntropyLoss(row.options);
    const value = loss.forward(logits, target);
    if (row.options.reduction === "none") {
      assertClose(value, ref.perSample.reduce((a, b) => a + b, 0), { rtol: 1e-6 });
      const targetShape = row.shape.length === 1 ? [] : [row.shape[0], ...row.shape.slice(2)];
      assert.deepEqual(loss.lastLosses?.shape, targetShape);
      assertClose(loss.lastLosses!.data, ref.perSample, { rtol: 1e-6 });
    } else {
      assertClose(value, ref.value, { rtol: 1e-6 });
      assert.equal(loss.lastLosses, null);
    }
  });

  test(`CrossEntropyLoss.backward() matches finite differences: ${row.name}`, () => {
    const { logits, target } = indexCase(row, k);
    checkLossGradients(new CrossEntropyLoss(row.options), logits, target);
  });
}

interface ProbabilityRow {
  name: string;
  shape: number[];
  options: CrossEntropyLossOptions;
}

const PROBABILITY_ROWS: ProbabilityRow[] = [
  { name: "[4, 5] mean", shape: [4, 5], options: {} },
  {
    name: "[4, 5] weight + labelSmoothing 0.2, mean",
    shape: [4, 5],
    options: { weight: W5, labelSmoothing: 0.2 },
  },
  {
    name: "[2, 3, 2, 2] weight, sum",
    shape: [2, 3, 2, 2],
    options: { weight: W3, reduction: "sum" },
  },
  {
    name: "[2, 3, 2, 2] labelSmoothing 0.1, none",
    shape: [2, 3, 2, 2],
    options: { labelSmoothing: 0.1, reduction: "none" },
  },
];

for (const [k, row] of PROBABILITY_ROWS.entries()) {
  test(`CrossEntropyLoss.forward() with class probabilities matches the float64 formula: ${row.name}`, () => {
    const logits = randomTensor(row.shape, 300 + k, -2, 2);
    const target = probabilityTargets(row.shape, 400 + k);
    const loss = new CrossEntropyLoss(row.options);
    const value = loss.forward(logits, target);
    const weight = row.options.weight as number[] | undefined;
    const ref = probabilityLossRef(logits.data, row.shape, target.data, { ...row.options, weight });
    const expected = row.options.reduction === "none"
      ? ref.perSample.reduce((a, b) => a + b, 0)
      : ref.value;
    assertClose(value, expected, { rtol: 1e-6 });
    if (row.options.reduction === "none") {
      assertClose(loss.lastLosses!.data, ref.perSample, { rtol: 1e-6 });
    }
  });

  test(`CrossEntropyLoss.backward() with class probabilities matches finite differences: ${row.name}`, () => {
    const logits = randomTensor(row.shape, 300 + k, -2, 2);
    checkLossGradients(
      new CrossEntropyLoss(row.options),
      logits,
      probabilityTargets(row.shape, 400 + k),
    );
  });
}

const PYTORCH_VALUES: { name: string; logits: number[][]; target: number[]; expected: number }[] = [
  {
    name: "logits [[1, 2, 3]], target [0]",
    logits: [[1, 2, 3]],
    target: [0],
    expected: 2.4076059644,
  },
  {
    name: "logits [[1, 2, 3]], target [2]",
    logits: [[1, 2, 3]],
    target: [2],
    expected: 0.4076059644,
  },
];
for (const r of PYTORCH_VALUES) {
  test(`CrossEntropyLoss.forward() gives PyTorch's value for ${r.name}`, () => {
    const loss = new CrossEntropyLoss();
    assertClose(loss.forward(Tensor.fromArray(r.logits), Int32Array.from(r.target)), r.expected, {
      rtol: 1e-9,
    });
  });
}

test("CrossEntropyLoss.backward() is (softmax(x) − onehot(t)) / N for the default options", () => {
  const logits = randomTensor([3, 4], 7, -3, 3);
  const target = new Int32Array([3, 0, 1]);
  const loss = new CrossEntropyLoss();
  loss.forward(logits, target);
  const expected: number[] = [];
  for (let n = 0; n < 3; n++) {
    const z = Array.from(logits.data.subarray(n * 4, n * 4 + 4));
    const e = z.map((v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => expected.push((v / s - (k === target[n] ? 1 : 0)) / 3));
  }
  assertClose(loss.backward().data, expected, { rtol: 1e-5, atol: 1e-7 });
});

for (const labelSmoothing of [0, 0.1]) {
  test(`CrossEntropyLoss is finite for logits of ±1000 (labelSmoothing ${labelSmoothing})`, () => {
    const logits = Tensor.fromArray([[1000, -1000, 0], [-1000, 1000, 1000]]);
    const target = new Int32Array([1, 0]);
    const loss = new CrossEntropyLoss({ labelSmoothing });
    const value = loss.forward(logits, target);
    const expected = classIndexLossRef(logits.data, [2, 3], target, { labelSmoothing }, true).value;
    assert.ok(Number.isFinite(value), `loss ${value}`);
    assertClose(value, expected, { rtol: 1e-7 });
    const grad = loss.backward();
    assert.ok(grad.data.every(Number.isFinite), `gradient ${grad.data}`);
    // g_k = p_k − (1 − ε)·[k = t] − ε/C, halved by the mean over 2 samples.
    const keep = 1 - labelSmoothing;
    const e = labelSmoothing / 3;
    const exact = [1 - e, -keep - e, -e, -keep - e, 0.5 - e, 0.5 - e].map((v) => v / 2);
    assertClose(grad.data, exact, { atol: 1e-6 });
  });
}

test("CrossEntropyLoss.forward() with one-hot probabilities equals class indices (labelSmoothing 0.1)", () => {
  const logits = randomTensor([3, 4], 8, -2, 2);
  const target = new Int32Array([2, 0, 3]);
  const oneHot = Tensor.zeros([3, 4]);
  target.forEach((t, n) => (oneHot.data[n * 4 + t] = 1));
  const byIndex = new CrossEntropyLoss({ labelSmoothing: 0.1 });
  const byProbability = new CrossEntropyLoss({ labelSmoothing: 0.1 });
  assertClose(byProbability.forward(logits, oneHot), byIndex.forward(logits, target), {
    rtol: 1e-6,
  });
  assertClose(byProbability.backward().data, byIndex.backward().data, { rtol: 1e-5, atol: 1e-7 });
});

test("CrossEntropyLoss.backward(gradOutput) with reduction none matches finite differences of Σ r ⊙ lastLosses", () => {
  const shape = [2, 3, 2, 2];
  const logits = randomTensor(shape, 9, -2, 2);
  const target = classTargets(shape, 10, [3]);
  const loss = new CrossEntropyLoss({ reduction: "none", weight: W3, labelSmoothing: 0.1 });
  loss.forward(logits, target);
  const r = randomTensor([2, 2, 2], 11);
  const analytic = loss.backward(r).data.slice();
  const evaluate = () => {
    loss.forward(logits, target);
    return dot(r.data, loss.lastLosses!.data);
  };
  gradcheck(evaluate, [{ name: "logits", values: logits.data, analytic }]);
});

test("CrossEntropyLoss.backward(gradOutput) with reduction mean scales by the one-element gradOutput", () => {
  const logits = randomTensor([3, 4], 12, -2, 2);
  const loss = new CrossEntropyLoss({ labelSmoothing: 0.1 });
  loss.forward(logits, new Int32Array([0, 1, 2]));
  const once = loss.backward().clone(); // the next backward reuses the buffer
  assertClose(loss.backward(Tensor.full([], 2.5)).data, once.data.map((v) => 2.5 * v), {
    rtol: 1e-6,
  });
});

const ALL_IGNORED_ROWS: { reduction: "mean" | "sum"; expected: number }[] = [
  { reduction: "mean", expected: NaN },
  { reduction: "sum", expected: 0 },
];
for (const { reduction, expected } of ALL_IGNORED_ROWS) {
  test(`CrossEntropyLoss with every target ignored gives ${expected} for ${reduction} and a zero gradient, as PyTorch`, () => {
    const loss = new CrossEntropyLoss({ reduction, labelSmoothing: 0.1, weight: W3 });
    const value = loss.forward(randomTensor([2, 3], 13), new Int32Array([-100, -100]));
    if (Number.isNaN(expected)) assert.ok(Number.isNaN(value), `expected NaN, got ${value}`);
    else assert.equal(value, expected);
    assert.deepEqual([...loss.backward().data], [0, 0, 0, 0, 0, 0]);
  });
}

const ERROR_ROWS: { name: string; run: () => unknown; error: { name: string; message: RegExp } }[] =
  [
    {
      name: "a target above C is a RangeError naming the sample, value and C",
      run: () => new CrossEntropyLoss().forward(Tensor.zeros([3, 4]), new Int32Array([0, 4, 1])),
      error: { name: "RangeError", message: /target\[1\] is 4.*C = 4/ },
    },
    {
      name: "a negative target that is not ignoreIndex is a RangeError",
      run: () => new CrossEntropyLoss().forward(Tensor.zeros([2, 4]), new Int32Array([-1, 0])),
      error: { name: "RangeError", message: /target\[0\] is -1.*\[0, 4\)/ },
    },
    {
      name: "a spatial target out of range names its flat index",
      run: () =>
        new CrossEntropyLoss().forward(Tensor.zeros([1, 2, 2, 2]), new Int32Array([0, 1, 7, 0])),
      error: { name: "RangeError", message: /target\[2\] is 7.*C = 2/ },
    },
    {
      name: "a target of the wrong length is a TypeError naming both shapes",
      run: () => new CrossEntropyLoss().forward(Tensor.zeros([2, 3, 4, 4]), new Int32Array(30)),
      error: {
        name: "TypeError",
        message: /expected target \[2, 4, 4\].*input \[2, 3, 4, 4\], got 30/,
      },
    },
    {
      name: "a Float32Array target is a TypeError",
      run: () =>
        new CrossEntropyLoss().forward(
          Tensor.zeros([2, 3]),
          new Float32Array(2) as unknown as Int32Array,
        ),
      error: { name: "TypeError", message: /Int32Array or Uint8Array, got Float32Array/ },
    },
    {
      name: "a probability target of another shape is a TypeError naming both shapes",
      run: () => new CrossEntropyLoss().forward(Tensor.zeros([2, 3]), Tensor.zeros([2, 4])),
      error: {
        name: "TypeError",
        message: /expected class-probability target \[2, 3\].*got \[2, 4\]/,
      },
    },
    {
      name: "a non-negative ignoreIndex with probability targets is a TypeError",
      run: () =>
        new CrossEntropyLoss({ ignoreIndex: 0 }).forward(
          Tensor.zeros([2, 3]),
          Tensor.zeros([2, 3]),
        ),
      error: { name: "TypeError", message: /ignoreIndex 0 is not supported/ },
    },
    {
      name: "a weight without C elements is a TypeError naming both shapes",
      run: () =>
        new CrossEntropyLoss({ weight: [1, 2] }).forward(Tensor.zeros([2, 3]), new Int32Array(2)),
      error: { name: "TypeError", message: /expected weight \[3\].*input \[2, 3\].*got \[2\]/ },
    },
    {
      name: "a 2-D weight is a TypeError at construction",
      run: () => new CrossEntropyLoss({ weight: Tensor.ones([2, 3]) }),
      error: { name: "TypeError", message: /expected weight \[C\], got \[2, 3\]/ },
    },
    {
      name: "a scalar input is a TypeError",
      run: () => new CrossEntropyLoss().forward(Tensor.zeros([]), new Int32Array(1)),
      error: { name: "TypeError", message: /got a scalar \[\]/ },
    },
    {
      name: "labelSmoothing above 1 is a RangeError",
      run: () => new CrossEntropyLoss({ labelSmoothing: 1.5 }),
      error: { name: "RangeError", message: /labelSmoothing must be between 0.0 and 1.0, got 1.5/ },
    },
    {
      name: "an unknown reduction is a RangeError",
      run: () => new CrossEntropyLoss({ reduction: "avg" as "mean" }),
      error: {
        name: "RangeError",
        message: /reduction must be "none", "mean" or "sum", got "avg"/,
      },
    },
    {
      name: "backward before forward is an Error saying to call forward",
      run: () => new CrossEntropyLoss().backward(),
      error: { name: "Error", message: /CrossEntropyLoss.backward: call CrossEntropyLoss.forward/ },
    },
    {
      name: "a gradOutput of the wrong shape for reduction none is a TypeError",
      run: () => {
        const loss = new CrossEntropyLoss({ reduction: "none" });
        loss.forward(Tensor.zeros([2, 3]), new Int32Array(2));
        return loss.backward(Tensor.ones([3]));
      },
      error: { name: "TypeError", message: /expected gradOutput \[2\].*got \[3\]/ },
    },
  ];
for (const r of ERROR_ROWS) {
  test(`CrossEntropyLoss ${r.name}`, () => {
    assert.throws(r.run, r.error);
  });
}
