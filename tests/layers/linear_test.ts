import { test } from "node:test";
import assert from "node:assert/strict";
import { Linear } from "../../layers/linear.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomTensor } from "./_inputs.ts";

const GRAD_CASES: { name: string; make: () => Linear; shape: number[] }[] = [
  { name: "[4, 5] → 3", make: () => new Linear(5, 3, { rng: new Rng(1) }), shape: [4, 5] },
  { name: "batch 1", make: () => new Linear(7, 2, { rng: new Rng(2) }), shape: [1, 7] },
  {
    name: "no bias",
    make: () => new Linear(3, 4, { bias: false, rng: new Rng(3) }),
    shape: [2, 3],
  },
  {
    name: "3-D input [2, 3, 4]",
    make: () => new Linear(4, 3, { rng: new Rng(4) }),
    shape: [2, 3, 4],
  },
  { name: "1-D input [6]", make: () => new Linear(6, 1, { rng: new Rng(5) }), shape: [6] },
];

for (const { name, make, shape } of GRAD_CASES) {
  test(`Linear.backward() matches finite differences: ${name}`, () => {
    checkModuleGradients(make(), randomTensor(shape, 11));
  });
}

/** y = x·Wᵀ + b in float64, row by row. */
function linearReference(x: Tensor, w: Tensor, b: Tensor | null): number[] {
  const [out, inF] = w.shape;
  const rows = x.size / inF;
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b === null ? 0 : b.data[o];
      for (let k = 0; k < inF; k++) s += x.data[r * inF + k] * w.data[o * inF + k];
      y.push(s);
    }
  }
  return y;
}

test("Linear.forward() computes x·Wᵀ + b on a hand-written case", () => {
  const fc = new Linear(2, 3);
  fc.weight.data.data.set([1, 2, 3, 4, 5, 6]);
  fc.bias!.data.data.set([0.5, -1, 2]);
  const y = fc.forward(Tensor.fromArray([[1, -1], [2, 0.5]]));
  assert.deepEqual([...y.shape], [2, 3]);
  // [1·1 − 2 + 0.5, 3 − 4 − 1, 5 − 6 + 2], [2 + 1 + 0.5, 6 + 2 − 1, 10 + 3 + 2]
  assert.deepEqual(Array.from(y.data), [-0.5, -2, 1, 3.5, 7, 15]);
});

test("Linear.forward() matches a float64 reference with leading dimensions", () => {
  const fc = new Linear(5, 4, { rng: new Rng(7) });
  const x = randomTensor([2, 3, 5], 8);
  const y = fc.forward(x);
  assert.deepEqual([...y.shape], [2, 3, 4]);
  assertClose(y.data, linearReference(x, fc.weight.data, fc.bias!.data), {
    rtol: 1e-5,
    atol: 1e-6,
  });
});

test("Linear.backward() accumulates into weight.grad across two calls", () => {
  const fc = new Linear(3, 2, { rng: new Rng(1) });
  const x = randomTensor([4, 3], 2);
  const gy = randomTensor([4, 2], 3);
  fc.forward(x);
  fc.backward(gy);
  const once = fc.weight.grad.data.slice();
  const onceBias = fc.bias!.grad.data.slice();
  fc.backward(gy);
  assertClose(fc.weight.grad.data, once.map((v) => 2 * v));
  assertClose(fc.bias!.grad.data, onceBias.map((v) => 2 * v));
});

test("Linear() initializes weight and bias within ±1/√in_features", () => {
  const fc = new Linear(50, 40, { rng: new Rng(9) });
  const bound = 1 / Math.sqrt(50);
  for (const p of fc.parameters()) {
    const max = Math.max(...Array.from(p.data.data, Math.abs));
    assert.ok(max <= bound, `max |value| ${max} > bound ${bound}`);
    assert.ok(max > 0.8 * bound, `max |value| ${max} suspiciously small for U(±${bound})`);
  }
});

test("Linear() with the same rng seed draws the same weights", () => {
  const a = new Linear(4, 3, { rng: new Rng(5) });
  const b = new Linear(4, 3, { rng: new Rng(5) });
  assert.deepEqual(a.weight.data.data, b.weight.data.data);
});

test("Linear.stateDict() has PyTorch's keys and [out, in] weight layout", () => {
  const sd = new Linear(784, 10).stateDict();
  assert.deepEqual(Object.keys(sd), ["weight", "bias"]);
  assert.deepEqual([...sd.weight.shape], [10, 784]);
  assert.deepEqual(Object.keys(new Linear(3, 2, { bias: false }).stateDict()), ["weight"]);
});

test("Linear.toString() prints like PyTorch", () => {
  assert.equal(String(new Linear(784, 10)), "Linear(in_features=784, out_features=10, bias=True)");
  assert.equal(
    String(new Linear(3, 2, { bias: false })),
    "Linear(in_features=3, out_features=2, bias=False)",
  );
});

test("Linear.forward() rejects the wrong feature count with a TypeError naming both shapes", () => {
  assert.throws(() => new Linear(784, 10).forward(Tensor.zeros([8, 1, 28, 28])), {
    name: "TypeError",
    message: "Cannot run Linear.forward: expected input [*, 784], got [8, 1, 28, 28]",
  });
});

test("Linear.backward() before forward() is a clear error", () => {
  assert.throws(
    () => new Linear(2, 2).backward(Tensor.zeros([1, 2])),
    /Cannot run Linear\.backward: .*call forward/,
  );
});

test("Linear.backward() rejects a gradient of the wrong shape", () => {
  const fc = new Linear(2, 3);
  fc.forward(Tensor.zeros([4, 2]));
  assert.throws(() => fc.backward(Tensor.zeros([4, 2])), {
    name: "TypeError",
    message:
      "Cannot run Linear.backward: expected gradOutput [4, 3] (the shape of the last output), got [4, 2]",
  });
});

test("Linear() rejects non-positive feature counts with a RangeError naming the argument", () => {
  assert.throws(() => new Linear(0, 3), { name: "RangeError", message: /inFeatures/ });
  assert.throws(() => new Linear(3, 2.5), { name: "RangeError", message: /outFeatures/ });
});

test("Linear reads its parameters afresh after Parameter.bind() moves them onto new memory", () => {
  const fc = new Linear(2, 1);
  fc.weight.bind(new Float32Array(new SharedArrayBuffer(8)), undefined, { copy: false });
  fc.bias!.bind(new Float32Array([0.5]), new Float32Array(1), { copy: false });
  fc.weight.data.data.set([2, 3]);
  assert.deepEqual(Array.from(fc.forward(Tensor.fromArray([[1, 1]])).data), [5.5]);
  fc.backward(Tensor.fromArray([[1]]));
  assert.deepEqual(Array.from(fc.bias!.grad.data), [1]);
});
