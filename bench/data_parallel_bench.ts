/**
 * Data-parallel training throughput: samples/s of SGD steps for the MNIST CNN and the
 * CIFAR-shaped CNN, in-process (LocalTrainer) and with DataParallel on 1 and 2 workers,
 * the 2-vs-1-worker speed-up, and the per-step synchronization overhead, as a markdown table.
 * DataParallel is timed through `step()` (one call per batch, as the Trainer interface and
 * train.ts use it) and through `trainSteps()` (16 MNIST or 4 CIFAR batches per call, no
 * message between them).
 *
 *   deno run -A bench/data_parallel_bench.ts [--rounds 6] [--seconds 1] [--workers 2]
 *   bun bench/data_parallel_bench.ts
 *
 * Inputs are random uint8 images of the real shapes (the step time does not depend on
 * pixel values), normalized per batch like real data. Each trainer is warmed up, then
 * timed in `rounds` rounds of at least `seconds` each, interleaved so a burst of load
 * from other processes hits all of them alike; the best round counts. "sync/step" is the
 * step's wall time minus the slowest worker's forward/backward and minus the slowest
 * worker's reduce-scatter + update: messages, barrier waits and load imbalance.
 * Measure on an idle machine (see the load average printed before and after).
 */

import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { Rng } from "../tensor/rng.ts";
import type { ModelSpec } from "../layers/spec.ts";
import { DataParallel } from "../parallel/data_parallel.ts";
import { LocalTrainer } from "../train/local_trainer.ts";
import type { ImageData, Trainer, TrainerConfig } from "../train/trainer.ts";
import { commandLine, runtimeName } from "./_runtime.ts";
import { describeKernels } from "../tensor/kernels/mod.ts";

/** The two workloads of the issue. */
export const WORKLOADS: {
  name: string;
  spec: ModelSpec;
  shape: [number, number, number];
  batch: number;
  /** Batches per `trainSteps()` call. */
  chunk: number;
}[] = [
  {
    name: "lenet CNN",
    shape: [1, 28, 28],
    batch: 64,
    chunk: 16,
    spec: {
      layers: [
        { type: "conv2d", inChannels: 1, outChannels: 8, kernelSize: 5 },
        { type: "maxpool2d", kernelSize: 2 },
        { type: "relu" },
        { type: "conv2d", inChannels: 8, outChannels: 16, kernelSize: 3 },
        { type: "maxpool2d", kernelSize: 2 },
        { type: "relu" },
        { type: "flatten" },
        { type: "linear", inFeatures: 400, outFeatures: 10 },
      ],
    },
  },
  {
    name: "CIFAR CNN",
    shape: [3, 32, 32],
    batch: 128,
    chunk: 4,
    spec: {
      layers: [
        { type: "conv2d", inChannels: 3, outChannels: 32, kernelSize: 3, padding: 1 },
        { type: "relu" },
        { type: "maxpool2d", kernelSize: 2 },
        { type: "conv2d", inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1 },
        { type: "relu" },
        { type: "maxpool2d", kernelSize: 2 },
        { type: "flatten" },
        { type: "linear", inFeatures: 4096, outFeatures: 128 },
        { type: "relu" },
        { type: "linear", inFeatures: 128, outFeatures: 10 },
      ],
    },
  },
];

/** `n` random uint8 images of `shape` with labels 0..9. */
export function randomImages(n: number, [c, h, w]: [number, number, number], seed = 0): ImageData {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: n * c * h * w }, () => rng.randint(256));
  const labels = Int32Array.from({ length: n }, () => rng.randint(10));
  return {
    kind: "images",
    images,
    shape: [n, c, h, w],
    labels,
    mean: new Array(c).fill(0.5),
    std: new Array(c).fill(0.25),
  };
}

interface Measured {
  samplesPerSecond: number;
  /** Median synchronization overhead per step in µs (DataParallel only). */
  syncUs: number | null;
}

/** Something to time: `run()` trains on some batches and returns how many samples it used. */
interface Contender {
  name: string;
  trainer: Trainer;
  run(): Promise<number>;
}

function stepContender(name: string, trainer: Trainer, batches: Int32Array[]): Contender {
  let i = 0;
  return {
    name,
    trainer,
    run: async () => (await trainer.step(batches[i++ % batches.length])).count,
  };
}

function trainStepsContender(
  name: string,
  trainer: DataParallel,
  batches: Int32Array[],
): Contender {
  return {
    name,
    trainer,
    run: async () => (await trainer.trainSteps(batches)).reduce((n, r) => n + r.count, 0),
  };
}

/** Times `contender` for at least `seconds`, returning samples/s and the median sync overhead. */
async function timeRound(contender: Contender, seconds: number): Promise<Measured> {
  const syncs: number[] = [];
  let samples = 0;
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || runs < 1) {
    samples += await contender.run();
    runs++;
    const { trainer } = contender;
    if (trainer instanceof DataParallel && trainer.lastStepTimings !== null) {
      syncs.push(trainer.lastStepTimings.syncMs);
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  syncs.sort((a, b) => a - b);
  return {
    samplesPerSecond: samples / elapsed,
    syncUs: syncs.length > 0 ? 1000 * syncs[syncs.length >> 1] : null,
  };
}

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "6" },
      seconds: { type: "string", default: "1" },
      workers: { type: "string", default: "2" },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const many = Number(values.workers);
  console.log(
    `# DataParallel throughput — ${runtimeName()}, ${navigator.hardwareConcurrency} cores`,
  );
  console.log(`\`${commandLine()}\`; load average before: ${loadAverage()}; ${describeKernels()}\n`);
  const rows: string[] = [];
  for (const workload of WORKLOADS) {
    const data = randomImages(16 * workload.batch, workload.shape);
    const rng = new Rng(1);
    const batches = Array.from(
      { length: 16 },
      () => rng.permutation(data.shape[0]).slice(0, workload.batch),
    );
    const config: TrainerConfig = {
      model: workload.spec,
      loss: { type: "cross_entropy" },
      optimizer: { type: "sgd", lr: 0.01, momentum: 0.9 },
      seed: 0,
    };
    const local = await LocalTrainer.fromConfig(config);
    const one = await DataParallel.create({ ...config, workers: 1 });
    const two = await DataParallel.create({ ...config, workers: many });
    const contenders = [
      stepContender("in-process", local, batches),
      stepContender("1 step", one, batches),
      stepContender("2 step", two, batches),
      trainStepsContender("1 trainSteps", one, batches.slice(0, workload.chunk)),
      trainStepsContender("2 trainSteps", two, batches.slice(0, workload.chunk)),
    ];
    const best = new Map<string, Measured>();
    try {
      for (const trainer of [local, one, two]) await trainer.setData("train", data);
      for (const contender of contenders) await timeRound(contender, 0.5); // warm-up: JIT, allocations
      for (let r = 0; r < rounds; r++) {
        for (const contender of contenders) {
          const m = await timeRound(contender, seconds);
          const previous = best.get(contender.name)?.samplesPerSecond ?? 0;
          if (!(m.samplesPerSecond <= previous)) best.set(contender.name, m);
        }
      }
    } finally {
      for (const trainer of [local, one, two]) await trainer.close();
    }
    const get = (name: string) => best.get(name)!;
    const sps = (m: Measured) => m.samplesPerSecond.toFixed(0);
    for (const [api, inProcess] of [["step", sps(get("in-process"))], ["trainSteps", "—"]]) {
      const [a, b] = [get(`1 ${api}`), get(`2 ${api}`)];
      rows.push(
        `| ${workload.name} | ${workload.batch} | \`${api}()\` | ${inProcess} | ${sps(a)} | ${
          sps(b)
        } | ` +
          `${(b.samplesPerSecond / a.samplesPerSecond).toFixed(2)}× | ${a.syncUs!.toFixed(0)} | ` +
          `${b.syncUs!.toFixed(0)} |`,
      );
    }
  }
  console.log(
    `| model | batch | API | in-process samples/s | 1 worker samples/s | ${many} workers samples/s | ` +
      `speed-up ${many} vs 1 | sync/step 1 worker (µs) | sync/step ${many} workers (µs) |`,
  );
  console.log("|---|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const row of rows) console.log(row);
  console.log(`\nload average after: ${loadAverage()}`);
}

if (import.meta.main) await main();
