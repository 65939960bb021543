/**
 * Learning, for real: small models trained end to end with the library's own layers,
 * losses and optimizers reach the accuracies the core issue asks for.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh } from "../layers/mod.ts";
import type { Module } from "../layers/module.ts";
import { CrossEntropyLoss } from "../losses/mod.ts";
import { SGD } from "../optim/sgd.ts";
import { Adam } from "../optim/adam.ts";
import { makeBlobs, makeMoons, trainTestSplit } from "../data/synthetic.ts";
import { parseIdxImages, parseIdxLabels } from "../data/idx.ts";
import { gunzip } from "../data/gunzip.ts";
import { manualSeed, Rng } from "../tensor/rng.ts";
import { Tensor } from "../tensor/tensor.ts";

const MNIST_DIR = fileURLToPath(new URL("../../shared/data/mnist/", import.meta.url));

/** Rows `rows` of `x` `[N, ...]` as a new batch tensor. */
function gather(x: Tensor, rows: ArrayLike<number>): Tensor {
  const width = x.size / x.shape[0];
  const out = Tensor.zeros([rows.length, ...x.shape.slice(1)]);
  for (let i = 0; i < rows.length; i++) out.data.set(x.data.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return out;
}

function accuracy(model: Module, x: Tensor, y: Int32Array): number {
  model.eval();
  const logits = model.forward(x);
  model.train();
  const classes = logits.shape[1];
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits.data[i * classes + c] > logits.data[i * classes + best]) best = c;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

function fit(model: Module, optimizer: { zeroGrad(): void; step(): void }, x: Tensor, y: Int32Array, epochs: number, batchSize: number, rng: Rng) {
  const loss = new CrossEntropyLoss();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = rng.permutation(y.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.subarray(start, Math.min(start + batchSize, order.length));
      const yb = Int32Array.from(rows, (r) => y[r]);
      optimizer.zeroGrad();
      loss.forward(model.forward(gather(x, rows)), yb);
      model.backward(loss.backward());
      optimizer.step();
    }
  }
}

test("learning: an MLP reaches ≥ 0.97 test accuracy on two moons (noise 0.1)", () => {
  manualSeed(0);
  const rng = new Rng(1);
  const { train, test: held } = trainTestSplit(makeMoons(1000, { noise: 0.1, rng }), { testSize: 0.3, rng });
  const model = new Sequential(new Linear(2, 32), new Tanh(), new Linear(32, 32), new Tanh(), new Linear(32, 2));
  fit(model, new Adam(model.parameters(), { lr: 0.01 }), train.x, train.y, 60, 32, rng);
  const acc = accuracy(model, held.x, held.y);
  assert.ok(acc >= 0.97, `test accuracy ${acc}`);
});

test("learning: an MLP reaches ≥ 0.95 test accuracy on three Gaussian blobs", () => {
  manualSeed(0);
  const rng = new Rng(2);
  const data = makeBlobs(900, { centers: 3, nFeatures: 2, clusterStd: 1.0, rng });
  const { train, test: held } = trainTestSplit(data, { testSize: 0.3, rng });
  const model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 3));
  fit(model, new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), train.x, train.y, 30, 32, rng);
  const acc = accuracy(model, held.x, held.y);
  assert.ok(acc >= 0.95, `test accuracy ${acc}`);
});

test("learning: a small CNN overfits 128 real MNIST training images to 100% in ≤ 50 epochs", async () => {
  manualSeed(0);
  const images = parseIdxImages(await gunzip(readFileSync(MNIST_DIR + "train-images-idx3-ubyte.gz")), "train-images");
  const labels = parseIdxLabels(await gunzip(readFileSync(MNIST_DIR + "train-labels-idx1-ubyte.gz")), "train-labels", 10);
  const n = 128;
  const x = Tensor.zeros([n, 1, 28, 28]);
  for (let i = 0; i < n * 784; i++) x.data[i] = (images.images[i] / 255 - 0.1307) / 0.3081;
  const y = Int32Array.from(labels.subarray(0, n));
  const model = new Sequential(
    new Conv2d(1, 8, 5), new MaxPool2d(2), new ReLU(),
    new Conv2d(8, 16, 3), new MaxPool2d(2), new ReLU(),
    new Flatten(), new Linear(400, 10),
  );
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const rng = new Rng(3);
  let epochs = 0;
  let acc = 0;
  while (epochs < 50 && acc < 1) {
    fit(model, optimizer, x, y, 1, 32, rng);
    epochs++;
    acc = accuracy(model, x, y);
  }
  assert.equal(acc, 1, `training accuracy ${acc} after ${epochs} epochs`);
});
