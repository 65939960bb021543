import { test } from "node:test";
import assert from "node:assert/strict";
import { Flatten, type FlattenOptions } from "../../layers/flatten.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomTensor } from "./_inputs.ts";

const CASES: { options: FlattenOptions; input: number[]; output: number[] }[] = [
  { options: {}, input: [2, 3, 4, 5], output: [2, 60] },
  { options: { startDim: 0 }, input: [2, 3, 4], output: [24] },
  { options: { startDim: 1, endDim: 2 }, input: [2, 3, 4, 5], output: [2, 12, 5] },
  { options: { startDim: -3, endDim: -2 }, input: [2, 3, 4, 5], output: [2, 12, 5] },
  { options: { startDim: 1 }, input: [7, 3], output: [7, 3] },
];

for (const { options, input, output } of CASES) {
  test(`Flatten.forward() maps [${input}] to [${output}] with ${JSON.stringify(options)}`, () => {
    const x = randomTensor(input, 1);
    const y = new Flatten(options).forward(x);
    assert.deepEqual([...y.shape], output);
    assert.equal(y.data, x.data, "the output must share the input's data");
  });
  test(`Flatten.backward() matches finite differences: [${input}] with ${JSON.stringify(options)}`, () => {
    checkModuleGradients(new Flatten(options), randomTensor(input, 2));
  });
}

test("Flatten.backward() returns the gradient in the input's shape", () => {
  const f = new Flatten();
  f.forward(Tensor.zeros([2, 3, 4]));
  assert.deepEqual([...f.backward(Tensor.zeros([2, 12])).shape], [2, 3, 4]);
});

test("Flatten.forward() rejects startDim after endDim, or out of range, with a RangeError", () => {
  assert.throws(() => new Flatten({ startDim: 2, endDim: 1 }).forward(Tensor.zeros([2, 3, 4])), {
    name: "RangeError",
    message: /startDim 2 comes after endDim 1/,
  });
  assert.throws(() => new Flatten({ startDim: 3 }).forward(Tensor.zeros([2, 3])), {
    name: "RangeError",
    message: /dim 3 is out of range/,
  });
});

test("Flatten.backward() rejects a gradient of the wrong shape", () => {
  const f = new Flatten();
  f.forward(Tensor.zeros([2, 3, 4]));
  assert.throws(() => f.backward(Tensor.zeros([2, 3, 4])), {
    name: "TypeError",
    message: /expected gradOutput \[2, 12\]/,
  });
});

test("Flatten.toString() prints like PyTorch", () => {
  assert.equal(String(new Flatten()), "Flatten(start_dim=1, end_dim=-1)");
});

test("Flatten.backward() before forward() is a clear error", () => {
  assert.throws(
    () => new Flatten().backward(Tensor.zeros([2])),
    /Cannot run Flatten\.backward: .*forward/,
  );
});
