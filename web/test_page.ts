/**
 * The browser test page (web/test.html): what the headless-Chromium tests drive through
 * `globalThis.shardgradTest`. It reports the environment (cross-origin isolation, WebAssembly
 * SIMD / relaxed SIMD / threads, WebGPU), runs the kernel check in the page and in a Worker,
 * and trains a train.ts preset on MNIST fetched from the server's /data/ folder: with
 * `DataParallel` on module Web Workers when the page is cross-origin isolated, else on one
 * Web Worker running `LocalTrainer` (no SharedArrayBuffer without COOP/COEP), saying why.
 * While it trains it measures the longest gap between animation frames of this thread.
 */

/// <reference lib="dom" />

import * as Comlink from "comlink";
import { DataParallel } from "../parallel/data_parallel.ts";
import { PRESETS } from "../train/presets.ts";
import type { ImageData, StepResult, TrainerConfig } from "../trainer/trainer.ts";
import { gunzip } from "../data/gunzip.ts";
import { parseIdxImages, parseIdxLabels } from "../data/idx.ts";
import { Rng } from "../tensor/rng.ts";
import { checkKernels, type KernelReport } from "./kernel_check.ts";
import type { LocalWorkerApi } from "./local_worker.ts";
import type { Environment, TrainReport, TrainRequest } from "./test_api.ts";

const log = (line: string) => {
  const out = document.getElementById("log");
  if (out !== null) out.textContent += line + "\n";
};

async function environment(): Promise<Environment> {
  let wasmThreads = false;
  try {
    wasmThreads = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof
      SharedArrayBuffer;
  } catch {
    wasmThreads = false; // no SharedArrayBuffer without cross-origin isolation
  }
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  let webgpu = "no navigator.gpu";
  if (gpu !== undefined) {
    const adapter = await gpu.requestAdapter().catch(() => null) as
      | { info?: { vendor?: string; architecture?: string } }
      | null;
    webgpu = adapter === null
      ? "navigator.gpu without an adapter"
      : `adapter ${adapter.info?.vendor ?? "?"}/${adapter.info?.architecture ?? "?"}`;
  }
  return {
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    wasmSimd: checkKernels("page").wasmFlavor,
    wasmThreads,
    webgpu,
  };
}

async function kernels(): Promise<KernelReport[]> {
  const worker = new Worker(new URL("./kernel_worker.js", import.meta.url), { type: "module" });
  try {
    const fromWorker = await new Promise<KernelReport>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data as KernelReport);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`kernel_worker.js failed: ${event.message}`));
      };
    });
    return [checkKernels("page"), fromWorker];
  } finally {
    worker.terminate();
  }
}

async function loadMnist(folder: string): Promise<{ train: ImageData; test: ImageData }> {
  const file = async (name: string) => {
    const response = await fetch(new URL(name, new URL(folder, location.href)));
    if (!response.ok) {
      throw new Error(`Cannot load ${name} from ${folder}: HTTP ${response.status}`);
    }
    return await gunzip(new Uint8Array(await response.arrayBuffer()));
  };
  const split = async (prefix: string): Promise<ImageData> => {
    const { images, n, h, w } = parseIdxImages(
      await file(`${prefix}-images-idx3-ubyte.gz`),
      prefix,
    );
    const labels = parseIdxLabels(await file(`${prefix}-labels-idx1-ubyte.gz`), prefix, 10);
    if (labels.length !== n) throw new Error(`${prefix}: ${n} images but ${labels.length} labels`);
    return { kind: "images", images, shape: [n, 1, h, w], labels, mean: [0.1307], std: [0.3081] };
  };
  return { train: await split("train"), test: await split("t10k") };
}

/** The trainer calls the page needs, over DataParallel or over the one-worker fallback. */
interface PageTrainer {
  trainSteps(batches: Int32Array[], lr: number[]): Promise<StepResult[]>;
  testAccuracy(): Promise<number>;
  close(): Promise<void>;
}

async function createTrainer(
  config: TrainerConfig,
  data: { train: ImageData; test: ImageData },
): Promise<PageTrainer> {
  if (crossOriginIsolated) {
    const dp = await DataParallel.create(config);
    await dp.setData("train", data.train);
    await dp.setData("test", data.test);
    return {
      trainSteps: (batches, lr) => dp.trainSteps(batches, { lr }),
      testAccuracy: async () => {
        const { correct, count } = await dp.evaluate("test");
        return correct / count;
      },
      close: () => dp.close(),
    };
  }
  const worker = new Worker(new URL("./local_worker.js", import.meta.url), { type: "module" });
  const remote = Comlink.wrap<LocalWorkerApi>(worker);
  await remote.create({ ...config, workers: 1 });
  await remote.setData("train", data.train);
  await remote.setData("test", data.test);
  return {
    trainSteps: (batches, lr) => remote.trainSteps(batches, lr),
    testAccuracy: async () => {
      const { correct, count } = await remote.evaluate("test");
      return correct / count;
    },
    close: async () => {
      await remote.close();
      worker.terminate();
    },
  };
}

/** Warm-up to `peak` over the first quarter, then cosine down to 0 (one-cycle shape). */
function oneCycle(steps: number, peak: number): number[] {
  const warm = Math.max(1, Math.floor(steps / 4));
  return Array.from(
    { length: steps },
    (_, i) =>
      i < warm
        ? peak * (0.04 + 0.96 * i / warm)
        : peak * 0.5 * (1 + Math.cos(Math.PI * (i - warm) / Math.max(1, steps - warm))),
  );
}

async function train(request: TrainRequest = {}): Promise<TrainReport> {
  const preset = PRESETS[request.preset ?? "lenet"];
  if (preset === undefined) throw new Error(`unknown preset "${request.preset}"`);
  const { epochs = 1, batchSize = preset.defaults.batchSize, seed = 0 } = request;
  const workers = crossOriginIsolated ? (request.workers ?? navigator.hardwareConcurrency) : 1;
  const status = crossOriginIsolated
    ? `training on ${workers} workers (DataParallel over SharedArrayBuffer)`
    : "training on one worker: the page is not cross-origin isolated (no COOP/COEP headers), " +
      "so SharedArrayBuffer, which DataParallel needs, is unavailable";
  log(status);
  const data = await loadMnist(request.data ?? "/data/");
  const spec = preset.build({ sampleShape: [1, 28, 28], numClasses: 10 });
  const { lr, momentum, weightDecay } = preset.defaults;
  const trainer = await createTrainer({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr, momentum, weightDecay },
    seed,
    workers,
  }, data);
  let longestFrameGapMs = 0, longestGapAtMs = 0, frames = 0, last = performance.now();
  let watching = true, started = performance.now();
  const frame = (now: number) => {
    if (now - last > longestFrameGapMs) {
      longestFrameGapMs = now - last;
      longestGapAtMs = last - started;
    }
    last = now;
    frames++;
    if (watching) requestAnimationFrame(frame);
  };
  try {
    const n = data.train.shape[0];
    const rng = new Rng(seed);
    const batches: Int32Array[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(n);
      for (let start = 0; start < n; start += batchSize) {
        batches.push(order.subarray(start, Math.min(n, start + batchSize)));
      }
    }
    const rates = oneCycle(batches.length, lr);
    requestAnimationFrame((now) => {
      last = now;
      requestAnimationFrame(frame);
    });
    started = performance.now();
    let lastLoss = NaN;
    const chunk = 25;
    for (let i = 0; i < batches.length; i += chunk) {
      const results = await trainer.trainSteps(
        batches.slice(i, i + chunk),
        rates.slice(i, i + chunk),
      );
      lastLoss = results[results.length - 1].loss;
      const progress = document.getElementById("progress");
      if (progress !== null) {
        progress.textContent = `step ${i + results.length}/${batches.length}, loss ${
          lastLoss.toFixed(4)
        }`;
      }
    }
    const trainSeconds = (performance.now() - started) / 1000;
    watching = false;
    const testAccuracy = await trainer.testAccuracy();
    const report: TrainReport = {
      mode: crossOriginIsolated ? "DataParallel" : "LocalTrainer in one Worker",
      status,
      workers,
      epochs,
      samples: n * epochs,
      trainSeconds,
      samplesPerSecond: n * epochs / trainSeconds,
      lastLoss,
      testAccuracy,
      longestFrameGapMs,
      longestGapAtMs,
      frames,
    };
    log(JSON.stringify(report));
    return report;
  } finally {
    watching = false;
    await trainer.close();
  }
}

/**
 * Creates a small DataParallel (2 workers, `timeoutMs`) and closes it: how `create` ended
 * (the error's message, or "created") and how long it took. The tests make its workers fail.
 */
async function createAndClose(timeoutMs: number): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  let outcome = "created";
  try {
    const dp = await DataParallel.create({
      model: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2 }] },
      loss: { type: "cross_entropy" },
      optimizer: { type: "sgd", lr: 0.1 },
      seed: 0,
      workers: 2,
    }, { timeoutMs });
    await dp.close();
  } catch (error) {
    outcome = `${(error as Error).name}: ${(error as Error).message}`;
  }
  return { outcome, ms: performance.now() - started };
}

/** The longest gap between animation frames over `ms` of doing nothing (the machine's baseline). */
function idleFrameGap(ms: number): Promise<number> {
  return new Promise((resolve) => {
    let longest = 0, last = -1;
    const end = performance.now() + ms;
    const frame = (now: number) => {
      if (last >= 0) longest = Math.max(longest, now - last);
      last = now;
      if (now < end) requestAnimationFrame(frame);
      else resolve(longest);
    };
    requestAnimationFrame(frame);
  });
}

const api = { environment, kernels, train, createAndClose, idleFrameGap };
(globalThis as { shardgradTest?: typeof api }).shardgradTest = api;
log(`ready; crossOriginIsolated ${crossOriginIsolated}`);
