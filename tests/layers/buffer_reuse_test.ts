/**
 * Every built-in layer and loss reuses its output and dL/dx buffers across training steps of
 * the same shape (so steady-state training allocates nothing proportional to the batch),
 * returns new tensors in eval mode, and still computes the right values when applied to
 * its own last output.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import type { Module } from "../../layers/module.ts";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  GELU,
  LayerNorm,
  Linear,
  LogSoftmax,
  MaxPool2d,
  ReLU,
  Residual,
  Sequential,
  Softmax,
} from "../../layers/mod.ts";
import { BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss } from "../../losses/mod.ts";
import { randomTensor } from "./_inputs.ts";

const image = [4, 3, 6, 6];
const LAYERS: { name: string; make: () => Module; shape: number[] }[] = [
  { name: "Linear", make: () => new Linear(6, 5), shape: [4, 6] },
  { name: "Conv2d", make: () => new Conv2d(3, 4, 3), shape: image },
  { name: 'Conv2d padding "same" (even kernel)', make: () => new Conv2d(3, 4, 2, { padding: "same" }), shape: image },
  { name: "MaxPool2d", make: () => new MaxPool2d(2), shape: image },
  { name: "AvgPool2d", make: () => new AvgPool2d(2), shape: image },
  { name: "AdaptiveAvgPool2d", make: () => new AdaptiveAvgPool2d(2), shape: image },
  { name: "ReLU", make: () => new ReLU(), shape: image },
  { name: "GELU", make: () => new GELU(), shape: image },
  { name: "Softmax", make: () => new Softmax({ dim: 1 }), shape: [4, 6] },
  { name: "LogSoftmax", make: () => new LogSoftmax({ dim: 1 }), shape: [4, 6] },
  { name: "BatchNorm1d", make: () => new BatchNorm1d(6), shape: [4, 6] },
  { name: "BatchNorm2d", make: () => new BatchNorm2d(3), shape: image },
  { name: "LayerNorm", make: () => new LayerNorm(6), shape: [4, 6] },
  { name: "Dropout", make: () => new Dropout({ rng: new Rng(1) }), shape: [4, 6] },
  { name: "Residual", make: () => new Residual(new Linear(6, 6)), shape: [4, 6] },
];

for (const { name, make, shape } of LAYERS) {
  test(`${name} reuses its output and dL/dx buffers across training steps of the same shape`, () => {
    const layer = make();
    const [x1, x2] = [randomTensor(shape, 1), randomTensor(shape, 2)];
    const y1 = layer.forward(x1);
    const g1 = layer.backward(Tensor.ones(y1.shape));
    const y2 = layer.forward(x2);
    const g2 = layer.backward(Tensor.ones(y2.shape));
    assert.equal(y2.data, y1.data, "output buffer");
    assert.equal(g2.data, g1.data, "dL/dx buffer");
  });

  test(`${name} returns new tensors in eval mode`, () => {
    const layer = make().eval();
    const x = randomTensor(shape, 3);
    const y1 = layer.forward(x);
    const kept = y1.clone();
    const y2 = layer.forward(randomTensor(shape, 4));
    if (name === "Dropout") return assert.equal(y2, y2); // eval dropout returns its input
    assert.notEqual(y2.data, y1.data);
    assert.deepEqual(y1.data, kept.data, "the first output is untouched");
  });
}

test("a layer applied to its own last output computes from the input, not from a half-written buffer", () => {
  const conv = new Conv2d(3, 3, 3, { padding: 1, rng: new Rng(5) });
  const x = randomTensor(image, 6);
  const once = conv.forward(x);
  const expected = new Conv2d(3, 3, 3, { padding: 1, rng: new Rng(5) });
  const want = expected.forward(expected.forward(x).clone());
  const twice = conv.forward(once);
  assert.notEqual(twice.data, once.data);
  assert.deepEqual(twice.data, want.data);
});

test("steps through reused (dirty) buffers give exactly what a model with new buffers gives", () => {
  const build = () =>
    new Sequential(
      new Conv2d(3, 4, 3, { padding: "same", rng: new Rng(7) }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d(2),
      new Linear(3, 3, { rng: new Rng(8) }),
    );
  const reused = build();
  for (let step = 0; step < 3; step++) {
    const x = randomTensor(image, 10 + step);
    const g = randomTensor([4, 4, 3, 3], 20 + step);
    const fresh = build();
    fresh.loadStateDict(reused.stateDict());
    reused.zeroGrad();
    assert.deepEqual(reused.forward(x).data, fresh.forward(x).data, `output, step ${step}`);
    assert.deepEqual(reused.backward(g).data, fresh.backward(g).data, `dL/dx, step ${step}`);
    reused.parameters().forEach((p, i) => assert.deepEqual(p.grad.data, fresh.parameters()[i].grad.data));
  }
});

interface AnyLoss {
  forward(input: Tensor, target: never): number;
  backward(): Tensor;
}
const classes = new Int32Array([0, 1, 2, 1]);
const LOSSES: { name: string; make: () => AnyLoss; target: Tensor | Int32Array }[] = [
  { name: "CrossEntropyLoss", make: () => new CrossEntropyLoss(), target: classes },
  { name: "NLLLoss", make: () => new NLLLoss(), target: classes },
  { name: "MSELoss", make: () => new MSELoss(), target: randomTensor([4, 3], 30) },
  { name: "BCEWithLogitsLoss", make: () => new BCEWithLogitsLoss(), target: Tensor.full([4, 3], 0.5) },
];

for (const { name, make, target } of LOSSES) {
  test(`${name}.backward() reuses its dL/dx buffer`, () => {
    const loss = make();
    loss.forward(randomTensor([4, 3], 31), target as never);
    const g1 = loss.backward();
    loss.forward(randomTensor([4, 3], 32), target as never);
    assert.equal(loss.backward().data, g1.data);
  });
}
