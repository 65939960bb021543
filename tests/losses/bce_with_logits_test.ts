import { test } from "node:test";
import assert from "node:assert/strict";
import { BCEWithLogitsLoss, type BCEWithLogitsLossOptions } from "../../losses/bce_with_logits.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkLossGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";
import { dot } from "./_reference.ts";

interface Row {
  name: string;
  shape: number[];
  options: BCEWithLogitsLossOptions;
  /** Float64 weight and posWeight of element k (the broadcast written out by hand). */
  w?: (k: number) => number;
  pw?: (k: number) => number;
  /** Soft targets in (0, 1) instead of 0/1 labels. */
  soft?: boolean;
}

const ROWS: Row[] = [
  { name: "[4, 3] mean", shape: [4, 3], options: {} },
  { name: "[4, 3] sum", shape: [4, 3], options: { reduction: "sum" } },
  { name: "[4, 3] none", shape: [4, 3], options: { reduction: "none" } },
  { name: "[4, 3] soft targets, mean", shape: [4, 3], options: {}, soft: true },
  {
    name: "[4, 3] weight [4, 1] (per sample), mean",
    shape: [4, 3],
    options: { weight: Tensor.fromArray([[0.5], [1], [2], [3]]) },
    w: (k) => [0.5, 1, 2, 3][Math.floor(k / 3)],
  },
  {
    name: "[4, 3] weight of the input's shape, sum",
    shape: [4, 3],
    options: { weight: randomTensor([4, 3], 1, 0.1, 2), reduction: "sum" },
    w: (k) => randomTensor([4, 3], 1, 0.1, 2).data[k],
  },
  {
    name: "[4, 3] posWeight [3], mean",
    shape: [4, 3],
    options: { posWeight: [3, 0.5, 1] },
    pw: (k) => [3, 0.5, 1][k % 3],
  },
  {
    name: "[4, 3] posWeight [3] + weight [3] + soft targets, none",
    shape: [4, 3],
    options: { posWeight: new Float32Array([2, 4, 0.25]), weight: [1, 0.5, 2], reduction: "none" },
    pw: (k) => [2, 4, 0.25][k % 3],
    w: (k) => [1, 0.5, 2][k % 3],
    soft: true,
  },
  {
    name: "[2, 3, 2, 2] posWeight [3, 1, 1] (class dim 1), mean",
    shape: [2, 3, 2, 2],
    options: { posWeight: Tensor.fromArray([[[2]], [[0.5]], [[3]]]) },
    pw: (k) => [2, 0.5, 3][Math.floor(k / 4) % 3],
  },
];

function rowCase(row: Row, k: number) {
  const x = randomTensor(row.shape, 900 + k, -3, 3);
  const y = randomTensor(row.shape, 950 + k, 0, 1);
  if (!row.soft) { for (let i = 0; i < y.size; i++) y.data[i] = y.data[i] < 0.5 ? 0 : 1; }
  return { x, y };
}

/** ℓ = −w·(pw·y·log σ(x) + (1 − y)·log(1 − σ(x))), the textbook form in float64 (fine for |x| ≤ 3). */
function referenceLosses(row: Row, x: Float32Array, y: Float32Array): number[] {
  return Array.from(x, (xv, k) => {
    const s = 1 / (1 + Math.exp(-xv));
    const w = row.w?.(k) ?? 1;
    const pw = row.pw?.(k) ?? 1;
    return -w * (pw * y[k] * Math.log(s) + (1 - y[k]) * Math.log(1 - s));
  });
}

for (const [k, row] of ROWS.entries()) {
  test(`BCEWithLogitsLoss.forward() matches the textbook formula (float64): ${row.name}`, () => {
    const { x, y } = rowCase(row, k);
    const loss = new BCEWithLogitsLoss(row.options);
    const losses = referenceLosses(row, x.data, y.data);
    const total = losses.reduce((a, b) => a + b, 0);
    const reduction = row.options.reduction ?? "mean";
    assertClose(loss.forward(x, y), reduction === "mean" ? total / losses.length : total, {
      rtol: 1e-6,
    });
    if (reduction === "none") {
      assert.deepEqual(loss.lastLosses?.shape, row.shape);
      assertClose(loss.lastLosses!.data, losses, { rtol: 1e-5, atol: 1e-7 });
    }
  });

  test(`BCEWithLogitsLoss.backward() matches finite differences: ${row.name}`, () => {
    const { x, y } = rowCase(row, k);
    checkLossGradients(new BCEWithLogitsLoss(row.options), x, y);
  });
}

test("BCEWithLogitsLoss.forward() of logit 0 is ln 2 for either label (PyTorch)", () => {
  const loss = new BCEWithLogitsLoss();
  assertClose(loss.forward(Tensor.fromArray([0, 0]), Tensor.fromArray([1, 0])), Math.LN2, {
    rtol: 1e-12,
  });
  assert.deepEqual(loss.backward().toArray(), [-0.25, 0.25]);
});

test("BCEWithLogitsLoss is finite for logits of ±100 and ±1000 (value and gradient)", () => {
  const x = Tensor.fromArray([100, -100, 1000, -1000, 100, -1000]);
  const y = Tensor.fromArray([0, 1, 0, 1, 1, 0]);
  const loss = new BCEWithLogitsLoss({ reduction: "none", posWeight: [2, 2, 2, 2, 2, 2] });
  assertClose(loss.forward(x, y), 100 + 200 + 1000 + 2000, { rtol: 1e-12 });
  assertClose(loss.lastLosses!.data, [100, 200, 1000, 2000, 0, 0], { atol: 1e-6 });
  // σ(x) − y without posWeight; the positive term is doubled with it: −2σ(−x) where y = 1.
  assertClose(loss.backward().data, [1, -2, 1, -2, 0, 0], { atol: 1e-6 });
});

test("BCEWithLogitsLoss.backward() without posWeight is w · (σ(x) − y) / N", () => {
  const x = randomTensor([2, 3], 5, -3, 3);
  const y = Tensor.fromArray([[1, 0, 1], [0, 0, 1]]);
  const loss = new BCEWithLogitsLoss({ weight: [1, 2, 3] });
  loss.forward(x, y);
  const expected = Array.from(
    x.data,
    (v, k) => ((k % 3) + 1) * (1 / (1 + Math.exp(-v)) - y.data[k]) / 6,
  );
  assertClose(loss.backward().data, expected, { rtol: 1e-5, atol: 1e-8 });
});

test("BCEWithLogitsLoss.backward(gradOutput) with reduction none matches finite differences of Σ r ⊙ lastLosses", () => {
  const x = randomTensor([3, 4], 6, -3, 3);
  const y = randomTensor([3, 4], 7, 0, 1);
  const r = randomTensor([3, 4], 8);
  const loss = new BCEWithLogitsLoss({
    reduction: "none",
    posWeight: [1, 2, 3, 4],
    weight: Tensor.fromArray([[1], [2], [0.5]]),
  });
  loss.forward(x, y);
  const analytic = loss.backward(r).data.slice();
  const evaluate = () => {
    loss.forward(x, y);
    return dot(r.data, loss.lastLosses!.data);
  };
  gradcheck(evaluate, [{ name: "input", values: x.data, analytic }]);
});

const ERROR_ROWS: { name: string; run: () => unknown; error: { name: string; message: RegExp } }[] =
  [
    {
      name: "a target of another shape is a TypeError naming both shapes",
      run: () => new BCEWithLogitsLoss().forward(Tensor.zeros([4, 3]), Tensor.zeros([4, 1])),
      error: { name: "TypeError", message: /expected target \[4, 3\].*got \[4, 1\]/ },
    },
    {
      name: "a posWeight that does not broadcast is a TypeError naming both shapes",
      run: () =>
        new BCEWithLogitsLoss({ posWeight: [1, 2] }).forward(
          Tensor.zeros([4, 3]),
          Tensor.zeros([4, 3]),
        ),
      error: { name: "TypeError", message: /posWeight \[2\] does not broadcast to input \[4, 3\]/ },
    },
    {
      name: "a weight of higher rank than the input is a TypeError",
      run: () =>
        new BCEWithLogitsLoss({ weight: Tensor.ones([1, 4, 3]) }).forward(
          Tensor.zeros([4, 3]),
          Tensor.zeros([4, 3]),
        ),
      error: {
        name: "TypeError",
        message: /weight \[1, 4, 3\] does not broadcast to input \[4, 3\]/,
      },
    },
    {
      name: "a weight that is a string is a TypeError at construction",
      run: () => new BCEWithLogitsLoss({ weight: "1" as unknown as number[] }),
      error: {
        name: "TypeError",
        message: /expected weight to be a Tensor, Float32Array or number\[\], got string/,
      },
    },
    {
      name: "backward before forward is an Error saying to call forward",
      run: () => new BCEWithLogitsLoss().backward(),
      error: {
        name: "Error",
        message: /BCEWithLogitsLoss.backward: call BCEWithLogitsLoss.forward/,
      },
    },
  ];
for (const r of ERROR_ROWS) {
  test(`BCEWithLogitsLoss ${r.name}`, () => {
    assert.throws(r.run, r.error);
  });
}
