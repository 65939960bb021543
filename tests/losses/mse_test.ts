import { test } from "node:test";
import assert from "node:assert/strict";
import { MSELoss } from "../../losses/mse.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkLossGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";
import { dot } from "./_reference.ts";

type Reduction = "none" | "mean" | "sum";

const ROWS: { shape: number[]; reduction: Reduction }[] = [
  { shape: [4, 3], reduction: "mean" },
  { shape: [4, 3], reduction: "sum" },
  { shape: [4, 3], reduction: "none" },
  { shape: [2, 3, 2, 2], reduction: "mean" },
  { shape: [7], reduction: "sum" },
  { shape: [], reduction: "mean" },
];

/** Float64 per-element squared errors (x − y)². */
function squaredErrors(x: Float32Array, y: Float32Array): number[] {
  return Array.from(x, (v, i) => (v - y[i]) ** 2);
}

for (const [k, { shape, reduction }] of ROWS.entries()) {
  const name = `[${shape.join(", ")}] ${reduction}`;

  test(`MSELoss.forward() matches Σ (x − y)² (float64): ${name}`, () => {
    const x = randomTensor(shape, 700 + k, -2, 2);
    const y = randomTensor(shape, 800 + k, -2, 2);
    const loss = new MSELoss({ reduction });
    const errors = squaredErrors(x.data, y.data);
    const total = errors.reduce((a, b) => a + b, 0);
    assertClose(loss.forward(x, y), reduction === "mean" ? total / errors.length : total, {
      rtol: 1e-6,
    });
    if (reduction === "none") {
      assert.deepEqual(loss.lastLosses?.shape, shape);
      assertClose(loss.lastLosses!.data, errors, { rtol: 1e-6 });
    }
  });

  test(`MSELoss.backward() matches finite differences: ${name}`, () => {
    const x = randomTensor(shape, 700 + k, -2, 2);
    const y = randomTensor(shape, 800 + k, -2, 2);
    checkLossGradients(new MSELoss({ reduction }), x, y);
  });
}

test("MSELoss.forward() of [1, 2] against [0, 0] is 2.5 and backward() is [1, 2] (includes the 1/N)", () => {
  const loss = new MSELoss();
  assert.equal(loss.forward(Tensor.fromArray([1, 2]), Tensor.fromArray([0, 0])), 2.5);
  assert.deepEqual(loss.backward().toArray(), [1, 2]);
});

test("MSELoss.backward(gradOutput) with reduction none is 2(x − y) ⊙ r and matches finite differences", () => {
  const x = randomTensor([3, 4], 9, -2, 2);
  const y = randomTensor([3, 4], 10, -2, 2);
  const r = randomTensor([3, 4], 11);
  const loss = new MSELoss({ reduction: "none" });
  loss.forward(x, y);
  const analytic = loss.backward(r).data.slice();
  assertClose(analytic, Array.from(x.data, (v, i) => 2 * (v - y.data[i]) * r.data[i]), {
    rtol: 1e-6,
  });
  const evaluate = () => {
    loss.forward(x, y);
    return dot(r.data, loss.lastLosses!.data);
  };
  gradcheck(evaluate, [{ name: "input", values: x.data, analytic }]);
});

test("MSELoss.forward() of an empty input is NaN for mean, as PyTorch", () => {
  assert.ok(Number.isNaN(new MSELoss().forward(Tensor.zeros([0, 3]), Tensor.zeros([0, 3]))));
});

const ERROR_ROWS: { name: string; run: () => unknown; error: { name: string; message: RegExp } }[] =
  [
    {
      name: "a target of another shape is a TypeError naming both shapes",
      run: () => new MSELoss().forward(Tensor.zeros([4, 1]), Tensor.zeros([4])),
      error: { name: "TypeError", message: /expected target \[4, 1\].*got \[4\]/ },
    },
    {
      name: "an Int32Array target is a TypeError",
      run: () => new MSELoss().forward(Tensor.zeros([2]), new Int32Array(2) as unknown as Tensor),
      error: { name: "TypeError", message: /expected target to be a Tensor, got Int32Array/ },
    },
    {
      name: "backward before forward is an Error saying to call forward",
      run: () => new MSELoss().backward(),
      error: { name: "Error", message: /MSELoss.backward: call MSELoss.forward/ },
    },
    {
      name: "an unknown reduction is a RangeError",
      run: () => new MSELoss({ reduction: "elementwise_mean" as Reduction }),
      error: { name: "RangeError", message: /reduction must be/ },
    },
    {
      name: "a gradOutput with several elements for reduction mean is a TypeError",
      run: () => {
        const loss = new MSELoss();
        loss.forward(Tensor.zeros([2]), Tensor.zeros([2]));
        return loss.backward(Tensor.ones([2]));
      },
      error: {
        name: "TypeError",
        message: /one-element gradOutput for reduction "mean", got \[2\]/,
      },
    },
  ];
for (const r of ERROR_ROWS) {
  test(`MSELoss ${r.name}`, () => {
    assert.throws(r.run, r.error);
  });
}
