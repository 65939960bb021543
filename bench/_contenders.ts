/**
 * The contenders of bench/compare.ts: one object per library and setting whose `round()`
 * trains a workload for a given time and returns samples/s (batch by batch, in chunks of
 * batches for shardgrad, or in the PyTorch subprocess). Same layer shapes everywhere, SGD
 * with momentum 0.9, lr 0.01, softmax cross-entropy.
 *
 * shardgrad gathers and normalizes each batch from uint8 as in training (DataParallel), or
 * gathers token windows (the "tokens" data kind) for the language models, which train with
 * their preset's AdamW;
 * TensorFlow.js takes channels-last ([N, H, W, C], its native layout) ready-made tensors;
 * ConvNetJS trains one sample at a time (it has no batching: `Trainer.train` per sample,
 * an update every `batch_size` samples); PyTorch takes ready-made float tensors.
 */

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
// @ts-types="./_convnetjs.d.ts"
import convnetjs from "convnetjs";
import { Rng } from "../tensor/rng.ts";
import { DataParallel } from "../parallel/data_parallel.ts";
import type { TokenData, TrainData, TrainerConfig } from "../train/trainer.ts";
import { randomImages } from "./data_parallel_bench.ts";
import type { TorchBench } from "./_torch.ts";
import type { CompareWorkload as Workload } from "./_workloads.ts";

/** One way of training a workload. */
export interface Contender {
  name: string;
  /** Trains for at least `seconds` (at least one step; one when 0) and returns samples/s. */
  round(seconds: number): Promise<number>;
  close(): Promise<void> | void;
  /** Set when it is not timed in rounds: why it cannot train ("" = timed on its warm-up step). */
  unavailable?: string;
}

/** SGD learning rate and momentum of every contender. */
export const LR = 0.01;
/** A contender whose warm-up step takes longer than this is timed on that one step. */
export const SLOW_STEP_S = 5;
/** See {@linkcode LR}. */
export const MOMENTUM = 0.9;

/**
 * shardgrad's DataParallel trainer on `workers` workers, trained as train.ts trains:
 * `trainSteps()` over chunks of `workload.chunk` batches (one call per chunk, so the workers
 * synchronize through shared memory rather than one message per batch).
 */
export async function shardgrad(workload: Workload, workers: number): Promise<Contender> {
  const text = workload.text;
  const data: TrainData = text === undefined
    ? randomImages(16 * workload.batch, workload.shape as [number, number, number])
    : randomTokens(text.vocabSize, text.blockSize);
  const rng = new Rng(1);
  const chunk = Array.from(
    { length: workload.chunk },
    () => rng.permutation(data.shape[0]).slice(0, workload.batch),
  );
  const config: TrainerConfig = {
    model: workload.spec,
    loss: { type: "cross_entropy" },
    optimizer: text?.optimizer ?? { type: "sgd", lr: LR, momentum: MOMENTUM },
    seed: 0,
    workers,
  };
  const trainer = await DataParallel.create(config);
  if (text?.initialize !== undefined) {
    // As train.ts: the preset's initialization over the built model before training.
    const state = await trainer.stateDict();
    text.initialize(state, text.sizes, new Rng(0).fork(0x1417));
    await trainer.loadStateDict(state);
  }
  await trainer.setData("train", data);
  return {
    name: `shardgrad ${workers} worker${workers > 1 ? "s" : ""}`,
    round: async (seconds) => {
      let samples = 0;
      const start = performance.now();
      do {
        for (const result of await trainer.trainSteps(chunk)) samples += result.count;
      } while (performance.now() - start < seconds * 1000);
      return samples / ((performance.now() - start) / 1000);
    },
    close: () => trainer.close(),
  };
}

/** 20000 random ids of a `vocabSize` vocabulary as windows of `blockSize` + 1 (the "tokens" kind). */
function randomTokens(vocabSize: number, blockSize: number): TokenData {
  const rng = new Rng(3);
  const tokens = Int32Array.from({ length: 20000 }, () => rng.randint(vocabSize));
  return { kind: "tokens", tokens, shape: [tokens.length - blockSize, blockSize], vocabSize };
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
        model.add(tf.layers.maxPooling2d({ ...input, poolSize: o.kernelSize }));
        break;
      case "relu":
        model.add(tf.layers.reLU(input));
        break;
      case "flatten":
        model.add(tf.layers.flatten(input));
        break;
      case "linear":
        model.add(tf.layers.dense({ ...input, units: o.outFeatures }));
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

/** TensorFlow.js on its `backend`, channels-last. */
export async function tensorflow(workload: Workload, backend: "cpu" | "wasm"): Promise<Contender> {
  await tf.setBackend(backend);
  await tf.ready();
  const [c, h, w] = workload.shape;
  const model = tfModel(workload);
  const x = tf.randomUniform([workload.batch, h, w, c], -1, 1);
  const labels = tf.tensor1d(Array.from({ length: workload.batch }, (_, i) => i % 10), "int32");
  const y = tf.oneHot(labels, 10);
  return {
    name: `TF.js ${backend}`,
    round: stepRound(workload.batch, async () => {
      await tf.setBackend(backend); // the contenders alternate: each step runs on its own backend
      await model.trainOnBatch(x, y);
    }),
    close: () => {
      tf.dispose([x, labels, y]);
      model.dispose();
    },
  };
}

/** ConvNetJS, one sample at a time. */
export function convnet(workload: Workload): Contender {
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
    round: stepRound(workload.batch, () => {
      for (let i = 0; i < samples.length; i++) trainer.train(samples[i], i % 10);
    }),
    close: () => {},
  };
}

/**
 * PyTorch CPU on `threads` threads, in the `bench` subprocess (model set up by the caller as
 * `id`); `onBlasThreads` hears the OpenBLAS thread count of each round.
 */
export function torch(
  bench: TorchBench,
  id: string,
  threads: number,
  onBlasThreads: (blasThreads: number | null) => void = () => {},
): Contender {
  return {
    name: `PyTorch ${threads} thread${threads > 1 ? "s" : ""}`,
    round: async (seconds) => {
      const { samplesPerSecond, blasThreads } = await bench.round(id, threads, seconds);
      onBlasThreads(blasThreads);
      return samplesPerSecond;
    },
    close: () => {},
  };
}

/** A `round` that repeats `step` (one batch of `batch` samples) for at least `seconds`. */
function stepRound(batch: number, step: () => Promise<void> | void): (seconds: number) => Promise<number> {
  return async (seconds) => {
    let steps = 0;
    const start = performance.now();
    do {
      await step();
      steps++;
    } while (performance.now() - start < seconds * 1000);
    return (steps * batch) / ((performance.now() - start) / 1000);
  };
}
