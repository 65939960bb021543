import { test } from "node:test";
import assert from "node:assert/strict";
import { NLLLoss, type NLLLossOptions } from "../../losses/nll.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkLossGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";
import { classIndexLossRef, dot } from "./_reference.ts";

/** Log-probabilities are just numbers to NLLLoss; negative ones keep the test realistic. */
function logProbabilities(shape: number[], seed: number): Tensor {
  return randomTensor(shape, seed, -4, -0.1);
}

function classTargets(
  count: number,
  c: number,
  seed: number,
  ignoreAt: number[] = [],
  ignoreIndex = -100,
): Int32Array {
  const rng = new Rng(seed);
  const t = Int32Array.from({ length: count }, () => rng.randint(c));
  for (const i of ignoreAt) t[i] = ignoreIndex;
  return t;
}

interface Row {
  name: string;
  shape: number[];
  options: NLLLossOptions;
  ignoreAt?: number[];
}

const W4 = [0.5, 2, 1, 3];

const ROWS: Row[] = [
  { name: "[5, 4] mean", shape: [5, 4], options: {} },
  { name: "[5, 4] sum", shape: [5, 4], options: { reduction: "sum" } },
  { name: "[5, 4] none", shape: [5, 4], options: { reduction: "none" } },
  { name: "[5, 4] weight, mean", shape: [5, 4], options: { weight: W4 } },
  {
    name: "[5, 4] weight + ignoreIndex, mean",
    shape: [5, 4],
    options: { weight: new Float32Array(W4) },
    ignoreAt: [0, 3],
  },
  {
    name: "[5, 4] ignoreIndex 1 (a valid class), sum",
    shape: [5, 4],
    options: { ignoreIndex: 1, reduction: "sum" },
    ignoreAt: [2],
  },
  {
    name: "[2, 4, 3, 2] spatial, weight + ignoreIndex, mean",
    shape: [2, 4, 3, 2],
    options: { weight: W4 },
    ignoreAt: [4, 7],
  },
  { name: "[2, 4, 3, 2] spatial, none", shape: [2, 4, 3, 2], options: { reduction: "none" } },
  { name: "[4] unbatched, mean", shape: [4], options: {} },
];

function rowCase(row: Row, k: number) {
  const input = logProbabilities(row.shape, 500 + k);
  const c = row.shape.length === 1 ? row.shape[0] : row.shape[1];
  const count = row.shape.length === 1 ? 1 : input.size / c;
  const target = classTargets(count, c, 600 + k, row.ignoreAt, row.options.ignoreIndex ?? -100);
  const weight = row.options.weight as ArrayLike<number> | undefined;
  const ref = classIndexLossRef(input.data, row.shape, target, { ...row.options, weight }, false);
  return { input, target, ref };
}

for (const [k, row] of ROWS.entries()) {
  test(`NLLLoss.forward() matches −Σ w[t]·x[t] (float64): ${row.name}`, () => {
    const { input, target, ref } = rowCase(row, k);
    const loss = new NLLLoss(row.options);
    const value = loss.forward(input, target);
    if (row.options.reduction === "none") {
      assertClose(value, ref.perSample.reduce((a, b) => a + b, 0), { rtol: 1e-6 });
      assert.deepEqual(loss.lastLosses?.shape, [row.shape[0], ...row.shape.slice(2)]);
      assertClose(loss.lastLosses!.data, ref.perSample, { rtol: 1e-6 });
    } else {
      assertClose(value, ref.value, { rtol: 1e-6 });
    }
  });

  test(`NLLLoss.backward() matches finite differences: ${row.name}`, () => {
    const { input, target } = rowCase(row, k);
    checkLossGradients(new NLLLoss(row.options), input, target);
  });
}

test("NLLLoss.forward() of log([[0.5, 0.5], [0.9, 0.1]]) with targets [0, 0] is (ln 2 − ln 0.9) / 2", () => {
  const loss = new NLLLoss();
  const input = Tensor.fromArray([[Math.log(0.5), Math.log(0.5)], [Math.log(0.9), Math.log(0.1)]]);
  assertClose(loss.forward(input, new Int32Array([0, 0])), (Math.log(2) - Math.log(0.9)) / 2, {
    rtol: 1e-6,
  });
  assert.deepEqual(loss.backward().toArray(), [[-0.5, 0], [-0.5, 0]]);
});

test("NLLLoss.backward() with weight and mean is −w[t] / Σ w[t] at the target, 0 elsewhere", () => {
  const loss = new NLLLoss({ weight: [1, 3] });
  loss.forward(Tensor.fromArray([[-1, -2], [-3, -4], [-5, -6]]), new Int32Array([1, 0, 1]));
  assertClose(loss.backward().data, [0, -3 / 7, -1 / 7, 0, 0, -3 / 7], { rtol: 1e-6 });
});

test("NLLLoss.forward() accepts Uint8Array targets and matches Int32Array", () => {
  const input = logProbabilities([6, 5], 9);
  const t = new Int32Array([4, 0, 2, 2, 1, 3]);
  const a = new NLLLoss({ weight: [1, 2, 3, 4, 5] });
  const b = new NLLLoss({ weight: [1, 2, 3, 4, 5] });
  assert.equal(a.forward(input, Uint8Array.from(t)), b.forward(input, t));
  assert.deepEqual([...a.backward().data], [...b.backward().data]);
});

test("NLLLoss.backward(gradOutput) with reduction none matches finite differences of Σ r ⊙ lastLosses", () => {
  const input = logProbabilities([3, 4, 2], 10);
  const target = classTargets(6, 4, 11, [2]);
  const loss = new NLLLoss({ reduction: "none", weight: W4 });
  loss.forward(input, target);
  const r = randomTensor([3, 2], 12);
  const analytic = loss.backward(r).data.slice();
  const evaluate = () => {
    loss.forward(input, target);
    return dot(r.data, loss.lastLosses!.data);
  };
  gradcheck(evaluate, [{ name: "input", values: input.data, analytic }]);
});

test("NLLLoss with every target ignored gives NaN for mean and a zero gradient, as PyTorch", () => {
  const loss = new NLLLoss();
  assert.ok(Number.isNaN(loss.forward(logProbabilities([2, 3], 13), new Int32Array([-100, -100]))));
  assert.deepEqual([...loss.backward().data], [0, 0, 0, 0, 0, 0]);
});

const ERROR_ROWS: { name: string; run: () => unknown; error: { name: string; message: RegExp } }[] =
  [
    {
      name: "a target equal to C is a RangeError naming the sample, value and C",
      run: () => new NLLLoss().forward(Tensor.zeros([4, 3]), new Int32Array([0, 1, 2, 3])),
      error: { name: "RangeError", message: /target\[3\] is 3.*C = 3/ },
    },
    {
      name: "a target of the wrong length is a TypeError naming both shapes",
      run: () => new NLLLoss().forward(Tensor.zeros([4, 3]), new Int32Array(5)),
      error: { name: "TypeError", message: /expected target \[4\].*input \[4, 3\], got 5/ },
    },
    {
      name: "a plain array target is a TypeError",
      run: () => new NLLLoss().forward(Tensor.zeros([2, 3]), [0, 1] as unknown as Int32Array),
      error: { name: "TypeError", message: /Int32Array or Uint8Array, got Array/ },
    },
    {
      name: "a weight without C elements is a TypeError",
      run: () =>
        new NLLLoss({ weight: [1, 2, 3, 4] }).forward(Tensor.zeros([2, 3]), new Int32Array(2)),
      error: { name: "TypeError", message: /expected weight \[3\].*got \[4\]/ },
    },
    {
      name: "a non-integer ignoreIndex is a RangeError",
      run: () => new NLLLoss({ ignoreIndex: 0.5 }),
      error: { name: "RangeError", message: /ignoreIndex must be an integer, got 0.5/ },
    },
    {
      name: "backward before forward is an Error saying to call forward",
      run: () => new NLLLoss().backward(),
      error: { name: "Error", message: /NLLLoss.backward: call NLLLoss.forward/ },
    },
    {
      name: "an input that is not a Tensor is a TypeError",
      run: () => new NLLLoss().forward(new Float32Array(4) as unknown as Tensor, new Int32Array(2)),
      error: { name: "TypeError", message: /expected input to be a Tensor, got Float32Array/ },
    },
  ];
for (const r of ERROR_ROWS) {
  test(`NLLLoss ${r.name}`, () => {
    assert.throws(r.run, r.error);
  });
}
