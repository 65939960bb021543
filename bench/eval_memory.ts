/**
 * Minimal reproduction of evaluation's memory (issue 16): eval-mode layers return new
 * tensors, so every forward leaves its activations as garbage, and how much of it piles up
 * before a collection depends on the runtime. Prints the peak RSS (VmHWM, MB).
 *
 *   deno run -A bench/eval_memory.ts forward 128      one thread: 12 eval-mode forwards of
 *   bun bench/eval_memory.ts forward 128              cifar-cnn on a [128, 3, 32, 32] batch
 *   bun bench/eval_memory.ts forward 128 train        the same in training mode (reused buffers)
 *   bun bench/eval_memory.ts dataparallel 4000 500    DataParallel (2 workers) evaluating 4000
 *                                                     images in chunks of 500 per worker
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { PRESETS } from "../train/presets.ts";
import { buildModel } from "../layers/spec.ts";
import { Tensor } from "../tensor/tensor.ts";
import { DataParallel } from "../parallel/data_parallel.ts";
import { runtimeName } from "./_runtime.ts";

const [mode = "forward", size = "128", extra] = process.argv.slice(2);
const spec = PRESETS["cifar-cnn"].build({ sampleShape: [3, 32, 32], numClasses: 10 });
const peak = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]) >> 10;

if (mode === "forward") {
  const model = buildModel(spec);
  if (extra !== "train") model.eval();
  const b = Number(size);
  const x = new Tensor(new Float32Array(b * 3072).fill(0.1), [b, 3, 32, 32]);
  for (let i = 0; i < 12; i++) model.forward(x);
  console.log(
    `${runtimeName()}: ${
      extra === "train" ? "training" : "eval"
    }-mode forwards of ${b}: peak RSS ${peak()} MB`,
  );
} else {
  const n = Number(size);
  const chunk = Number(extra ?? 32);
  const dp = await DataParallel.create(
    {
      model: spec,
      loss: { type: "cross_entropy" },
      optimizer: { type: "sgd", lr: 0.01 },
      seed: 0,
      workers: 2,
    },
    { evalBatchSize: chunk },
  );
  const images = new Uint8Array(n * 3072).map((_, i) => i % 251);
  const labels = new Int32Array(n);
  await dp.setData("test", {
    kind: "images",
    images,
    shape: [n, 3, 32, 32],
    labels,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  });
  const before = peak();
  const t0 = performance.now();
  await dp.evaluate("test");
  console.log(
    `${runtimeName()}: DataParallel eval of ${n} images, chunks of ${chunk}: peak RSS ${before} → ${peak()} MB ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  await dp.close();
}
