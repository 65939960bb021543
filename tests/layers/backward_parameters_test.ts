/**
 * Module.backwardParameters(): the parameter gradients of backward(), exactly, without dL/dx
 * where a layer can skip it (Linear, Conv2d, Sequential, Residual) and through backward()
 * elsewhere.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import type { Module } from "../../layers/module.ts";
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  LayerNorm,
  Linear,
  MaxPool2d,
  ReLU,
  Residual,
  Sequential,
} from "../../layers/mod.ts";
import { randomTensor } from "./_inputs.ts";

const MODELS: { name: string; make: () => Module; input: number[] }[] = [
  { name: "Linear", make: () => new Linear(6, 4, { rng: new Rng(1) }), input: [5, 6] },
  { name: "Conv2d", make: () => new Conv2d(2, 3, 3, { rng: new Rng(2) }), input: [2, 2, 6, 6] },
  {
    name: 'Conv2d padding "same" with an even kernel',
    make: () => new Conv2d(2, 3, 2, { padding: "same", rng: new Rng(3) }),
    input: [2, 2, 5, 5],
  },
  { name: "BatchNorm2d (through backward)", make: () => new BatchNorm2d(2), input: [3, 2, 4, 4] },
  {
    name: "Sequential starting with a layer without parameters",
    make: () => new Sequential(new Flatten(), new Linear(8, 4, { rng: new Rng(4) }), new ReLU(), new Linear(4, 3, { rng: new Rng(5) })),
    input: [5, 2, 2, 2],
  },
  {
    name: "Sequential CNN",
    make: () =>
      new Sequential(
        new Conv2d(1, 2, 3, { rng: new Rng(6) }),
        new MaxPool2d(2),
        new ReLU(),
        new Flatten(),
        new Linear(8, 3, { rng: new Rng(7) }),
      ),
    input: [3, 1, 6, 6],
  },
  {
    name: "Residual",
    make: () => new Residual(new Sequential(new LayerNorm(6), new Linear(6, 6, { rng: new Rng(8) }))),
    input: [4, 6],
  },
];

for (const { name, make, input } of MODELS) {
  test(`${name}: backwardParameters() accumulates exactly the gradients of backward()`, () => {
    const [full, only] = [make(), make()];
    const x = randomTensor(input, 10);
    const y = full.forward(x);
    only.forward(x);
    const g = randomTensor([...y.shape], 11);
    for (const p of [...full.parameters(), ...only.parameters()]) p.grad.data.fill(0.5);
    full.backward(g);
    only.backwardParameters(g);
    assert.ok(full.parameters().length > 0);
    full.parameters().forEach((p, i) => assert.deepEqual(only.parameters()[i].grad.data, p.grad.data));
  });
}

test("backwardParameters() without a forward, or with a wrong gradient shape, fails like backward()", () => {
  for (const layer of [new Linear(3, 2), new Conv2d(1, 1, 1), new Residual(new Linear(2, 2))]) {
    assert.throws(() => layer.backwardParameters(Tensor.ones([1, 2])), /there is no forward pass/);
  }
  const linear = new Linear(3, 2);
  linear.forward(Tensor.ones([4, 3]));
  assert.throws(() => linear.backwardParameters(Tensor.ones([4, 3])), /expected gradOutput \[4, 2\]/);
});

test("Sequential.backwardParameters() runs no backward in the modules before its first one with parameters", () => {
  class NoBackward extends ReLU {
    override backward(): Tensor {
      throw new Error("backward of a leading module without parameters ran");
    }
  }
  const model = new Sequential(new NoBackward(), new Linear(3, 2));
  model.forward(Tensor.ones([2, 3]));
  assert.throws(() => model.backward(Tensor.ones([2, 2])), /backward of a leading module/);
  model.zeroGrad();
  model.backwardParameters(Tensor.ones([2, 2]));
  assert.deepEqual([...model.parameters()[1].grad.data], [2, 2], "bias gradient Σ gy");
  const none = new Sequential(new NoBackward(), new Flatten());
  none.forward(Tensor.ones([2, 3]));
  none.backwardParameters(Tensor.ones([2, 3]));
});
