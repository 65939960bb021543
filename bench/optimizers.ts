/**
 * Compares the optimizers on one small MNIST CNN: same initial weights, same batches,
 * a fixed number of steps each; prints a markdown table of the final training loss
 * (mean cross-entropy over the training subset, eval mode) and held-out accuracy.
 *
 *   deno run -A bench/optimizers.ts [--steps 300] [--batch 32] [--train 2000] [--test 1000] [--seed 0]
 *   bun bench/optimizers.ts [--steps 300] ...
 *
 * MNIST is read from ../shared/data/mnist (beside the repo) or --data DIR, through the
 * IDX parser; the subsets are the first --train training and first --test test images.
 * Model: Conv2d(1, 8, 5) → ReLU → MaxPool2d(2) → Conv2d(8, 16, 5) → ReLU → MaxPool2d(2)
 *        → Flatten → Linear(256, 10), PyTorch's default init from one seed.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzip } from "../data/gunzip.ts";
import { parseIdxImages, parseIdxLabels } from "../data/idx.ts";
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "../layers/mod.ts";
import { CrossEntropyLoss } from "../losses/mod.ts";
import { Adagrad, Adam, AdamW, Lion, type Optimizer, RMSprop, SGD } from "../optim/mod.ts";
import type { Parameter } from "../tensor/parameter.ts";
import { Rng } from "../tensor/rng.ts";
import { Tensor } from "../tensor/tensor.ts";
import { runtimeName } from "./_runtime.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "300" },
    batch: { type: "string", default: "32" },
    train: { type: "string", default: "2000" },
    test: { type: "string", default: "1000" },
    seed: { type: "string", default: "0" },
    data: {
      type: "string",
      default: fileURLToPath(new URL("../../shared/data/mnist/", import.meta.url)),
    },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const seed = Number(values.seed);

/** The optimizers compared, with the usual starting hyperparameters for a small CNN. */
const contenders: [string, string, (params: Parameter[]) => Optimizer<{ lr: number }, object>][] = [
  ["SGD", "lr 0.05", (p) => new SGD(p, { lr: 0.05 })],
  ["SGD + momentum", "lr 0.01, momentum 0.9", (p) => new SGD(p, { lr: 0.01, momentum: 0.9 })],
  [
    "SGD + Nesterov",
    "lr 0.01, momentum 0.9",
    (p) => new SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true }),
  ],
  ["Adam", "lr 1e-3", (p) => new Adam(p, { lr: 1e-3 })],
  ["AdamW", "lr 1e-3, weightDecay 0.01", (p) => new AdamW(p, { lr: 1e-3 })],
  ["RMSprop", "lr 1e-3", (p) => new RMSprop(p, { lr: 1e-3 })],
  ["Adagrad", "lr 0.05", (p) => new Adagrad(p, { lr: 0.05 })],
  ["Lion", "lr 3e-4, weightDecay 0.1", (p) => new Lion(p, { lr: 3e-4, weightDecay: 0.1 })],
];

async function load(
  prefix: string,
  n: number,
): Promise<{ x: Float32Array; y: Int32Array; n: number }> {
  const images = parseIdxImages(
    await gunzip(await readFile(join(values.data, `${prefix}-images-idx3-ubyte.gz`))),
  );
  const labels = parseIdxLabels(
    await gunzip(await readFile(join(values.data, `${prefix}-labels-idx1-ubyte.gz`))),
    prefix,
    10,
  );
  const count = Math.min(n, images.n);
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = (images.images[i] / 255 - 0.1307) / 0.3081;
  return { x, y: Int32Array.from(labels.subarray(0, count)), n: count };
}

function makeModel(): Sequential {
  const rng = new Rng(seed);
  return new Sequential(
    new Conv2d(1, 8, 5, { rng }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 5, { rng }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(256, 10, { rng }),
  );
}

function slice(
  data: { x: Float32Array; y: Int32Array },
  idx: ArrayLike<number>,
): [Tensor, Int32Array] {
  const x = new Float32Array(idx.length * 784);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(data.x.subarray(idx[i] * 784, idx[i] * 784 + 784), i * 784);
    y[i] = data.y[idx[i]];
  }
  return [new Tensor(x, [idx.length, 1, 28, 28]), y];
}

/** Mean loss and accuracy over a whole set, in eval mode, 250 images at a time. */
function evaluate(
  model: Sequential,
  data: { x: Float32Array; y: Int32Array; n: number },
): { loss: number; accuracy: number } {
  model.eval();
  const loss = new CrossEntropyLoss();
  let total = 0;
  let correct = 0;
  for (let start = 0; start < data.n; start += 250) {
    const idx = Array.from({ length: Math.min(250, data.n - start) }, (_, i) => start + i);
    const [x, y] = slice(data, idx);
    const logits = model.forward(x);
    total += loss.forward(logits, y) * idx.length;
    for (let i = 0; i < idx.length; i++) {
      const row = logits.data.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === y[i]) correct++;
    }
  }
  model.train();
  return { loss: total / data.n, accuracy: correct / data.n };
}

const train = await load("train", Number(values.train));
const test = await load("t10k", Number(values.test));
const order = new Rng(seed + 1);
const batches = Array.from(
  { length: steps },
  () => Int32Array.from({ length: batch }, () => order.randint(train.n)),
);

console.log(
  `Optimizers on MNIST, ${runtimeName()}: ${steps} steps of batch ${batch} from the first ${train.n} training images,`,
);
console.log(
  `accuracy on the first ${test.n} test images; same initial weights and batches for every row (seed ${seed}).\n`,
);
console.log("| optimizer | hyperparameters | final train loss | test accuracy | time (s) |");
console.log("|---|---|---:|---:|---:|");
for (const [name, hp, make] of contenders) {
  const model = makeModel();
  const optimizer = make(model.parameters());
  const criterion = new CrossEntropyLoss();
  const t0 = performance.now();
  for (const idx of batches) {
    const [x, y] = slice(train, idx);
    optimizer.zeroGrad();
    criterion.forward(model.forward(x), y);
    model.backwardParameters(criterion.backward());
    optimizer.step();
  }
  const seconds = (performance.now() - t0) / 1000;
  const trainEval = evaluate(model, train);
  const testEval = evaluate(model, test);
  console.log(
    `| ${name} | ${hp} | ${trainEval.loss.toFixed(4)} | ${
      (100 * testEval.accuracy).toFixed(1)
    }% | ${seconds.toFixed(1)} |`,
  );
}
