import { test } from "node:test";
import assert from "node:assert/strict";
import { Residual } from "../../layers/residual.ts";
import { Sequential } from "../../layers/sequential.ts";
import { Linear } from "../../layers/linear.ts";
import { Conv2d } from "../../layers/conv.ts";
import { BatchNorm2d } from "../../layers/normalization.ts";
import { ELU, ReLU } from "../../layers/activation.ts";
import { Identity } from "../../layers/identity.ts";
import type { Module } from "../../layers/module.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomizeParameters, randomTensor } from "./_inputs.ts";

const GRAD_CASES: { name: string; make: () => Module; shape: number[] }[] = [
  {
    name: "Residual(Linear)",
    make: () => new Residual(new Linear(4, 4, { rng: new Rng(1) })),
    shape: [3, 4],
  },
  {
    name: "Residual(Conv2d → BatchNorm2d → ELU → Conv2d)",
    make: () =>
      new Residual(
        new Sequential(
          new Conv2d(2, 2, 3, { padding: 1, rng: new Rng(2) }),
          new BatchNorm2d(2),
          new ELU(),
          new Conv2d(2, 2, 3, { padding: "same", rng: new Rng(3) }),
        ),
      ),
    shape: [2, 2, 3, 3],
  },
  { name: "Residual(Identity)", make: () => new Residual(new Identity()), shape: [2, 5] },
  {
    name: "Residual(Residual(Linear))",
    make: () => new Residual(new Residual(new Linear(3, 3, { rng: new Rng(4) }))),
    shape: [2, 3],
  },
];

for (const { name, make, shape } of GRAD_CASES) {
  test(`Residual.backward() matches finite differences: ${name}`, () => {
    const block = make();
    randomizeParameters(block, 5, 0.2, 1);
    checkModuleGradients(block, randomTensor(shape, 6));
  });
}

test("Residual.forward() computes x + fn(x)", () => {
  const fc = new Linear(2, 2);
  fc.weight.data.data.set([1, 2, 3, 4]);
  fc.bias!.data.data.set([0, 1]);
  const y = new Residual(fc).forward(Tensor.fromArray([[1, 1]]));
  assertClose(y.data, [1 + 3, 1 + 8]);
});

test("Residual.stateDict() names the branch child fn", () => {
  const block = new Residual(new Sequential(new Linear(3, 3), new ReLU()));
  assert.deepEqual(Object.keys(block.stateDict()), ["fn.0.weight", "fn.0.bias"]);
  assert.deepEqual(Object.keys(new Sequential(new Linear(3, 3), block).stateDict()), [
    "0.weight",
    "0.bias",
    "1.fn.0.weight",
    "1.fn.0.bias",
  ]);
});

test("Residual.forward() rejects a branch that changes the shape with a TypeError", () => {
  assert.throws(() => new Residual(new Linear(3, 2)).forward(Tensor.zeros([4, 3])), {
    name: "TypeError",
    message: /Cannot run Residual\.forward: fn maps input \[4, 3\] to \[4, 2\]/,
  });
});

test("Residual.train() and eval() reach the branch", () => {
  const bn = new BatchNorm2d(2);
  const block = new Residual(new Sequential(bn));
  block.eval();
  assert.equal(bn.training, false);
  block.train();
  assert.equal(bn.training, true);
});

test("Residual.toString() prints its branch like a PyTorch child", () => {
  assert.equal(String(new Residual(new ReLU())), "Residual(\n  (fn): ReLU()\n)");
});

test("Residual() rejects a non-Module with a TypeError", () => {
  assert.throws(() => new Residual({} as Module), TypeError);
});

test("Residual.backward() before forward() is a clear error", () => {
  assert.throws(
    () => new Residual(new ReLU()).backward(Tensor.zeros([2])),
    /Cannot run Residual\.backward: .*forward/,
  );
});

test("Residual.backward() rejects a gradient of the wrong shape", () => {
  const block = new Residual(new Identity());
  block.forward(Tensor.zeros([2, 3]));
  assert.throws(() => block.backward(Tensor.zeros([3, 2])), {
    name: "TypeError",
    message: /Cannot run Residual\.backward: expected gradOutput \[2, 3\]/,
  });
});
