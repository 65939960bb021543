/**
 * shardgrad against TensorFlow.js (cpu and wasm backends) and ConvNetJS on the two
 * workloads of data_parallel_bench.ts (MNIST CNN, batch 64; CIFAR-shaped CNN, batch 128;
 * SGD with momentum 0.9, lr 0.01, softmax cross-entropy): training samples/s side by side
 * and shardgrad-with-all-workers ÷ each library, as a markdown table.
 *
 *   deno run -A bench/compare.ts [--rounds 3] [--seconds 1]        bun bench/compare.ts
 *
 * The libraries are devDependencies used by this benchmark only. Same layer shapes
 * everywhere; TensorFlow.js takes its images channels-last ([N, H, W, C], its native
 * layout) as ready-made tensors, ConvNetJS one sample at a time (it has no batching:
 * `Trainer.train` per sample, an update every `batch_size` samples). shardgrad gathers
 * and normalizes each batch from uint8 as in training. Rounds interleave the contenders,
 * the best round counts; measure on an idle machine.
 */

import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
// @ts-types="./_convnetjs.d.ts"
import convnetjs from "convnetjs";
import { Rng } from "../tensor/rng.ts";
import { DataParallel } from "../parallel/data_parallel.ts";
import type { Trainer, TrainerConfig } from "../train/trainer.ts";
import { commandLine, runtimeName } from "./_runtime.ts";
import { randomImages, WORKLOADS } from "./data_parallel_bench.ts";

type Workload = (typeof WORKLOADS)[number];

/** One way of training a workload: `step()` trains on one batch of `batch` samples. */
interface Contender {
  name: string;
  step(): Promise<void> | void;
  close(): Promise<void> | void;
  /** Set when it is not timed in rounds: why it cannot train ("" = timed on its warm-up step). */
  unavailable?: string;
}

const LR = 0.01;
/** A contender whose warm-up step takes longer than this is timed on that one step. */
const SLOW_STEP_S = 5;
const MOMENTUM = 0.9;

async function shardgrad(workload: Workload, workers: number): Promise<Contender> {
  const data = randomImages(16 * workload.batch, workload.shape);
  const rng = new Rng(1);
  const batches = Array.from(
    { length: 16 },
    () => rng.permutation(data.shape[0]).slice(0, workload.batch),
  );
  const config: TrainerConfig = {
    model: workload.spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: LR, momentum: MOMENTUM },
    seed: 0,
    workers,
  };
  const trainer: Trainer = await DataParallel.create(config);
  await trainer.setData("train", data);
  let i = 0;
  return {
    name: `shardgrad ${workers} worker${workers > 1 ? "s" : ""}`,
    step: async () => void await trainer.step(batches[i++ % batches.length]),
    close: () => trainer.close(),
  };
}

/** The workload as a tf.Sequential, channels-last. */
function tfModel(workload: Workload): tf.Sequential {
  const [c, h, w] = workload.shape;
  const model = tf.sequential();
  let first = true;
  for (const layer of workload.spec.layers) {
    const input = first ? { inputShape: [h, w, c] } : {};
    first = false;
    const o = layer as Record<string, number>;
    switch (layer.type) {
      case "conv2d":
        model.add(tf.layers.conv2d({
          ...input,
          filters: o.outChannels,
          kernelSize: o.kernelSize,
          padding: o.padding === 1 ? "same" : "valid",
        }));
        break;
      case "maxpool2d":
        model.add(tf.layers.maxPooling2d({ poolSize: o.kernelSize }));
        break;
      case "relu":
        model.add(tf.layers.reLU());
        break;
      case "flatten":
        model.add(tf.layers.flatten());
        break;
      case "linear":
        model.add(tf.layers.dense({ units: o.outFeatures }));
        break;
      default:
        throw new Error(`no TensorFlow.js equivalent for ${layer.type}`);
    }
  }
  model.compile({
    optimizer: tf.train.momentum(LR, MOMENTUM),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  return model;
}

async function tensorflow(workload: Workload, backend: "cpu" | "wasm"): Promise<Contender> {
  await tf.setBackend(backend);
  await tf.ready();
  const [c, h, w] = workload.shape;
  const model = tfModel(workload);
  const x = tf.randomUniform([workload.batch, h, w, c], -1, 1);
  const labels = tf.tensor1d(Array.from({ length: workload.batch }, (_, i) => i % 10), "int32");
  const y = tf.oneHot(labels, 10);
  return {
    name: `TF.js ${backend}`,
    step: async () => {
      await tf.setBackend(backend); // the contenders alternate: each step runs on its own backend
      await model.trainOnBatch(x, y);
    },
    close: () => {
      tf.dispose([x, labels, y]);
      model.dispose();
    },
  };
}

function convnet(workload: Workload): Contender {
  const [c, h, w] = workload.shape;
  const defs: Record<string, unknown>[] = [{ type: "input", out_sx: w, out_sy: h, out_depth: c }];
  for (const layer of workload.spec.layers) {
    const o = layer as Record<string, number>;
    if (layer.type === "conv2d") {
      defs.push({
        type: "conv",
        sx: o.kernelSize,
        filters: o.outChannels,
        stride: 1,
        pad: o.padding ?? 0,
      });
    } else if (layer.type === "maxpool2d") {
      defs.push({ type: "pool", sx: o.kernelSize, stride: o.kernelSize });
    } else if (layer.type === "relu") defs.push({ type: "relu" });
    else if (layer.type === "linear" && o.outFeatures !== 10) {
      defs.push({ type: "fc", num_neurons: o.outFeatures });
    }
    // flatten is implicit; the last Linear(→10) is the fc that ConvNetJS puts before its softmax.
  }
  defs.push({ type: "softmax", num_classes: 10 });
  const net = new convnetjs.Net();
  net.makeLayers(defs);
  const trainer = new convnetjs.Trainer(net, {
    method: "sgd",
    learning_rate: LR,
    momentum: MOMENTUM,
    batch_size: workload.batch,
    l2_decay: 0,
  });
  const rng = new Rng(2);
  const samples = Array.from({ length: workload.batch }, () => {
    const v = new convnetjs.Vol(w, h, c, 0);
    for (let i = 0; i < v.w.length; i++) v.w[i] = rng.uniform(-1, 1);
    return v;
  });
  return {
    name: "ConvNetJS",
    step: () => {
      for (let i = 0; i < samples.length; i++) trainer.train(samples[i], i % 10);
    },
    close: () => {},
  };
}

/** Samples/s of `contender` over at least `seconds` (and at least one step). */
async function throughput(contender: Contender, batch: number, seconds: number): Promise<number> {
  let steps = 0;
  const start = performance.now();
  do {
    await contender.step();
    steps++;
  } while (performance.now() - start < seconds * 1000);
  // (seconds = 0: exactly one step)
  return (steps * batch) / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "1" },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const all = navigator.hardwareConcurrency;
  console.log(
    `# shardgrad vs TensorFlow.js and ConvNetJS — ${runtimeName()}, ${all} cores, TF.js ${tf.version.tfjs}`,
  );
  console.log(`\`${commandLine()}\`\n`);
  const names = [
    "shardgrad 1 worker",
    `shardgrad ${all} workers`,
    "TF.js cpu",
    "TF.js wasm",
    "ConvNetJS",
  ];
  const rows: string[] = [];
  const notes: string[] = [];
  for (const workload of WORKLOADS) {
    const contenders = [
      await shardgrad(workload, 1),
      await shardgrad(workload, all),
      await tensorflow(workload, "cpu"),
      await tensorflow(workload, "wasm"),
      convnet(workload),
    ];
    const best = new Map<string, number>();
    try {
      for (const contender of contenders) {
        try {
          // Warm-up: one step. A contender this slow is timed on that step alone (TF.js cpu
          // needs minutes per CIFAR batch; more rounds would not change the picture).
          const sps = await throughput(contender, workload.batch, 0);
          if (workload.batch / sps > SLOW_STEP_S) {
            best.set(contender.name, sps);
            contender.unavailable = "";
            notes.push(`${contender.name} on the ${workload.name}: timed on one step`);
          }
        } catch (error) {
          // e.g. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: it cannot train a CNN.
          contender.unavailable = (error as Error).message;
          notes.push(`${contender.name} on the ${workload.name}: ${contender.unavailable}`);
        }
      }
      for (let r = 0; r < rounds; r++) {
        for (const contender of contenders) {
          if (contender.unavailable !== undefined) continue;
          const sps = await throughput(contender, workload.batch, seconds);
          best.set(contender.name, Math.max(best.get(contender.name) ?? 0, sps));
        }
      }
    } finally {
      for (const contender of contenders) await contender.close();
    }
    const values = contenders.map((c) => best.get(c.name));
    const ours = values[1]!;
    const cell = (v: number | undefined, text: (v: number) => string) =>
      v === undefined ? "n/a" : text(v);
    rows.push(
      `| ${workload.name} (batch ${workload.batch}) | ${
        values.map((v) => cell(v, (x) => x.toFixed(x < 10 ? 1 : 0))).join(" | ")
      } |`,
    );
    rows.push(
      `| shardgrad ${all} workers ÷ | ${
        values.map((v) => cell(v, (x) => `${(ours / x).toFixed(2)}×`)).join(" | ")
      } |`,
    );
  }
  console.log(`| samples/s | ${names.join(" | ")} |`);
  console.log(`|---|${names.map(() => "---:").join("|")}|`);
  for (const row of rows) console.log(row);
  if (notes.length > 0) console.log(`\nn/a: ${notes.join("; ")}`);
}

if (import.meta.main) await main();
