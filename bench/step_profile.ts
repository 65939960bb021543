/**
 * Where one training step's time goes, layer by layer, and how much memory steps allocate:
 * for each workload of bench/compare.ts (mlp, lenet, cifar, char-lstm, char-gpt) on one
 * thread, the best-of time of every layer's forward and backward, the loss and the update
 * (SGD with momentum; the language models' AdamW on random token windows), as a markdown table; then `--steps` whole steps with the largest rise of the heap and of
 * the ArrayBuffer bytes in use, which stays ≈ 0 when steps reuse their buffers.
 *
 *   deno run -A --v8-flags=--expose-gc bench/step_profile.ts [--only lenet] [--steps 1000]
 *                                     [--preset mnist-cnn]   (a train.ts preset instead)
 *   bun bench/step_profile.ts ...
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { Tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/rng.ts";
import { manualSeed } from "../tensor/rng.ts";
import { buildModel } from "../layers/spec.ts";
import { CrossEntropyLoss } from "../losses/mod.ts";
import { AdamW, SGD } from "../optim/mod.ts";
import { describeKernels } from "../tensor/kernels/mod.ts";
import { collectGarbage, commandLine, runtimeName } from "./_runtime.ts";
import { COMPARE_WORKLOADS, type TextWorkload } from "./_workloads.ts";
import { PRESETS } from "../train/presets.ts";
import type { ModelSpec } from "../layers/spec.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "" },
    steps: { type: "string", default: "1000" },
    repeats: { type: "string", default: "30" },
    preset: { type: "string", default: "" },
  },
});
const steps = Number(values.steps);
const repeats = Number(values.repeats);
const only = values.only === "" ? null : values.only.split(",");
// --preset NAME: that train.ts preset instead, on MNIST shapes (batch 64) or, for cifar-*, CIFAR ones (128).
const workloads: {
  key: string;
  name: string;
  spec: ModelSpec;
  shape: number[];
  batch: number;
  text?: TextWorkload;
}[] = values.preset === "" ? COMPARE_WORKLOADS : [presetWorkload(values.preset)];

console.log(`# One training step, layer by layer — ${runtimeName()}, one thread`);
console.log(`\`${commandLine()}\`; ${describeKernels()}\n`);

for (const workload of workloads) {
  if (only !== null && !only.includes(workload.key)) continue;
  manualSeed(0);
  const model = buildModel(workload.spec);
  const layers = [...model];
  const loss = new CrossEntropyLoss();
  const text = workload.text;
  const optimizer = text === undefined
    ? new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })
    : new AdamW(model.parameters(), {
      lr: text.optimizer.lr,
      betas: text.optimizer.betas,
      weightDecay: text.optimizer.weightDecay,
    });
  if (text?.initialize !== undefined) {
    const state = model.stateDict();
    text.initialize(state, text.sizes, new Rng(0).fork(0x1417));
    model.loadStateDict(state);
  }
  const rng = new Rng(0);
  const size = workload.batch * workload.shape.reduce((a, b) => a * b);
  // Images: normal inputs and 10 classes; text: token ids (as floats, for Embedding) and the
  // next-token targets of all N·L positions.
  const x = new Tensor(
    Float32Array.from({ length: size }, () => text ? rng.randint(text.vocabSize) : rng.normal()),
    [workload.batch, ...workload.shape],
  );
  const labels = text
    ? Int32Array.from({ length: size }, () => rng.randint(text.vocabSize))
    : Int32Array.from({ length: workload.batch }, () => rng.randint(10));

  const forwardMs = new Array(layers.length).fill(Infinity);
  const firstWithParameters = layers.findIndex((layer) => layer.parameters().length > 0);
  const backwardMs = layers.map((_, i) => (i < firstWithParameters ? 0 : Infinity));
  let lossMs = Infinity, optimizerMs = Infinity, stepMs = Infinity;
  const outputs: Tensor[] = [];
  for (let r = 0; r < repeats; r++) {
    const stepStart = performance.now();
    let h = x;
    layers.forEach((layer, i) => {
      const t = performance.now();
      h = layer.forward(h);
      forwardMs[i] = Math.min(forwardMs[i], performance.now() - t);
      outputs[i] = h;
    });
    let t = performance.now();
    loss.forward(h, labels);
    let g = loss.backward();
    lossMs = Math.min(lossMs, performance.now() - t);
    for (let i = layers.length - 1; i >= firstWithParameters; i--) {
      t = performance.now();
      // As the trainers (Sequential.backwardParameters): no dL/dx into the layers before the first with parameters.
      if (i === firstWithParameters) layers[i].backwardParameters(g);
      else g = layers[i].backward(g);
      backwardMs[i] = Math.min(backwardMs[i], performance.now() - t);
    }
    t = performance.now();
    optimizer.step();
    optimizer.zeroGrad();
    optimizerMs = Math.min(optimizerMs, performance.now() - t);
    stepMs = Math.min(stepMs, performance.now() - stepStart);
  }

  const total = forwardMs.reduce((a, b) => a + b) + backwardMs.reduce((a, b) => a + b) + lossMs +
    optimizerMs;
  console.log(`## ${workload.name}, batch ${workload.batch}`);
  console.log(`best step ${stepMs.toFixed(3)} ms = ${(workload.batch / stepMs * 1000).toFixed(0)} samples/s\n`);
  console.log("| layer | output | forward ms | backward ms | share |");
  console.log("|---|---|---:|---:|---:|");
  layers.forEach((layer, i) => {
    const share = (100 * (forwardMs[i] + backwardMs[i]) / total).toFixed(1);
    console.log(
      `| ${i} ${String(layer).split("\n")[0].replace(/\($/, "")} | [${outputs[i].shape.join(", ")}] | ${forwardMs[i].toFixed(3)} | ${backwardMs[i].toFixed(3)} | ${share}% |`,
    );
  });
  console.log(`| loss (forward + backward) | | ${lossMs.toFixed(3)} | | ${(100 * lossMs / total).toFixed(1)}% |`);
  console.log(
    `| ${text ? "AdamW" : "SGD"} step + zeroGrad | | ${optimizerMs.toFixed(3)} | | ${(100 * optimizerMs / total).toFixed(1)}% |\n`,
  );

  const growth = measureGrowth(() => {
    let h = x;
    for (const layer of layers) h = layer.forward(h);
    loss.forward(h, labels);
    model.backwardParameters(loss.backward());
    optimizer.step();
    optimizer.zeroGrad();
  }, steps);
  console.log(
    `memory over ${steps} steps, largest rise after any step: JS heap ${growth.heap}, external ` +
      `(ArrayBuffers) ${growth.buffers}; after a full collection: ${growth.heapAfterGc}, ${growth.buffersAfterGc}\n`,
  );
}

function presetWorkload(name: string) {
  const preset = Object.hasOwn(PRESETS, name) ? PRESETS[name as keyof typeof PRESETS] : undefined;
  if (preset === undefined) {
    throw new TypeError(`--preset: unknown preset "${name}" (one of ${Object.keys(PRESETS).join(", ")})`);
  }
  const cifar = name.startsWith("cifar");
  const shape = cifar ? [3, 32, 32] : [1, 28, 28];
  const spec = preset.build({ sampleShape: shape, numClasses: 10 });
  return { key: name, name: `preset ${name}`, spec, shape, batch: cifar ? 128 : 64 };
}

/**
 * Memory growth over `n` calls of `step`, as "+1.20 MB" strings: the largest rise of the JS
 * heap and of external memory (where both runtimes count ArrayBuffers) seen after any step,
 * with no collection forced in between (a step that allocates its buffers shows them here
 * even when a collection frees them later), and what is left after a full collection.
 */
function measureGrowth(step: () => void, n: number) {
  collectGarbage();
  const before = process.memoryUsage();
  let heap = 0, buffers = 0;
  for (let i = 0; i < n; i++) {
    step();
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed - before.heapUsed);
    buffers = Math.max(buffers, now.external - before.external);
  }
  collectGarbage();
  const collected = process.memoryUsage();
  const mb = (bytes: number) => `${bytes >= 0 ? "+" : ""}${(bytes / 1e6).toFixed(2)} MB`;
  return {
    heap: mb(heap),
    buffers: mb(buffers),
    heapAfterGc: mb(collected.heapUsed - before.heapUsed),
    buffersAfterGc: mb(collected.external - before.external),
  };
}
