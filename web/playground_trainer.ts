/**
 * The playground's data and trainers: MNIST-format sets fetched from the server's /data/
 * folder or read from files the user picks, the synthetic 2-D sets as train.ts makes them,
 * and a trainer that runs in workers only — `DataParallel` on module Web Workers when the
 * page is cross-origin isolated, else a `LocalTrainer` in one Web Worker.
 */

/// <reference lib="dom" />

import * as Comlink from "comlink";
import { DataParallel } from "../parallel/data_parallel.ts";
import type { EvalResult, StepResult, TrainData, TrainerConfig } from "../trainer/trainer.ts";
import { gunzip } from "../data/gunzip.ts";
import { parseIdxImages, parseIdxLabels } from "../data/idx.ts";
import { makeBlobs, makeMoons, makeSpirals, trainTestSplit } from "../data/synthetic.ts";
import type { LabeledData } from "../data/synthetic.ts";
import { Rng } from "../tensor/rng.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { LocalWorkerApi, PlainWeights } from "./local_worker.ts";

/** A loaded dataset: both splits, class count and names, one sample's shape. */
export interface PlaygroundData {
  name: string;
  train: TrainData;
  test: TrainData;
  labels: { train: ArrayLike<number>; test: ArrayLike<number> };
  numClasses: number;
  classNames: string[];
  sampleShape: number[];
}

export const IMAGE_SETS: Record<string, { mean: number; std: number; classes: string[] }> = {
  mnist: { mean: 0.1307, std: 0.3081, classes: "0123456789".split("") },
  "fashion-mnist": {
    mean: 0.2860,
    std: 0.3530,
    classes: [
      "T-shirt/top",
      "Trouser",
      "Pullover",
      "Dress",
      "Coat",
      "Sandal",
      "Shirt",
      "Sneaker",
      "Bag",
      "Ankle boot",
    ],
  },
};

/** As train/datasets.ts: 1000 points from seed 0, 750 train / 250 test. */
export const SYNTHETIC: Record<string, (rng: Rng) => LabeledData> = {
  moons: (rng) => makeMoons(1000, { noise: 0.2, rng }),
  blobs: (rng) => makeBlobs(1000, { centers: 4, clusterStd: 1.5, rng }),
  spirals: (rng) => makeSpirals(1000, { nClasses: 3, noise: 0.2, rng }),
};

const IDX_FILES = [
  "train-images-idx3-ubyte.gz",
  "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz",
  "t10k-labels-idx1-ubyte.gz",
];

/** Reads the four MNIST-format files from `folder` (a URL) or from picked `files`. */
export async function loadImageSet(
  name: string,
  source: { folder: string } | { files: FileList },
  limitTrain: number | null,
): Promise<PlaygroundData> {
  const set = IMAGE_SETS[name];
  if (set === undefined) throw new Error(`Cannot load dataset "${name}": not an image set`);
  const read = async (file: string): Promise<Uint8Array> => {
    if ("folder" in source) {
      const url = new URL(file, new URL(source.folder, location.href));
      const response = await fetch(url);
      if (!response.ok) {
        throw new Error(
          `Cannot load ${name}: ${url} gave HTTP ${response.status} (pick its four .gz files ` +
            `under "files", or serve a folder that holds them)`,
        );
      }
      return await gunzip(new Uint8Array(await response.arrayBuffer()));
    }
    const picked = [...source.files].find((f) => f.name === file);
    if (picked === undefined) {
      throw new Error(
        `Cannot load ${name}: ${file} is not among the picked files (pick ${IDX_FILES.join(", ")})`,
      );
    }
    return await gunzip(new Uint8Array(await picked.arrayBuffer()));
  };
  const split = async (prefix: string, limit: number | null) => {
    const parsed = parseIdxImages(await read(`${prefix}-images-idx3-ubyte.gz`), prefix);
    let labels = parseIdxLabels(await read(`${prefix}-labels-idx1-ubyte.gz`), prefix, 10);
    if (labels.length !== parsed.n) {
      throw new Error(`${name} ${prefix}: ${parsed.n} images but ${labels.length} labels`);
    }
    const n = limit === null ? parsed.n : Math.min(limit, parsed.n);
    labels = labels.subarray(0, n);
    const data: TrainData = {
      kind: "images",
      images: parsed.images.subarray(0, n * parsed.h * parsed.w),
      shape: [n, 1, parsed.h, parsed.w],
      labels,
      mean: [set.mean],
      std: [set.std],
    };
    return { data, labels };
  };
  const train = await split("train", limitTrain);
  const test = await split("t10k", null);
  return {
    name,
    train: train.data,
    test: test.data,
    labels: { train: train.labels, test: test.labels },
    numClasses: 10,
    classNames: set.classes,
    sampleShape: [1, 28, 28],
  };
}

/** A synthetic 2-D set, split as train.ts splits it. */
export function loadSynthetic(name: string): PlaygroundData {
  const make = SYNTHETIC[name];
  if (make === undefined) throw new Error(`Cannot load dataset "${name}": not a synthetic set`);
  const rng = new Rng(0);
  const all = make(rng);
  const { train, test } = trainTestSplit(all, { testSize: 0.25, rng });
  const numClasses = Math.max(...all.y) + 1;
  const vectors = (d: LabeledData): TrainData => ({
    kind: "vectors",
    x: d.x.data,
    shape: [d.y.length, 2],
    labels: d.y,
  });
  return {
    name,
    train: vectors(train),
    test: vectors(test),
    labels: { train: train.y, test: test.y },
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => `class ${k}`),
    sampleShape: [2],
  };
}

/** The trainer calls the playground makes, in workers whichever kind runs. */
export interface PlaygroundTrainer {
  readonly mode: string;
  trainSteps(batches: Int32Array[], lr: number[]): Promise<StepResult[]>;
  evaluate(): Promise<EvalResult>;
  stateDict(): Promise<Record<string, Tensor>>;
  loadStateDict(state: Record<string, Tensor>): Promise<void>;
  close(): Promise<void>;
}

/** DataParallel over `config.workers` Web Workers when isolated, else one Worker's LocalTrainer. */
export async function createTrainer(
  config: TrainerConfig,
  data: PlaygroundData,
): Promise<PlaygroundTrainer> {
  if (crossOriginIsolated) {
    const dp = await DataParallel.create(config);
    await dp.setData("train", data.train);
    await dp.setData("test", data.test);
    return {
      mode: `DataParallel, ${config.workers} workers`,
      trainSteps: (batches, lr) => dp.trainSteps(batches, { lr }),
      evaluate: () => dp.evaluate("test"),
      stateDict: () => dp.stateDict(),
      loadStateDict: (state) => dp.loadStateDict(state),
      close: () => dp.close(),
    };
  }
  const worker = new Worker(new URL("./local_worker.js", import.meta.url), { type: "module" });
  const remote = Comlink.wrap<LocalWorkerApi>(worker);
  await remote.create({ ...config, workers: 1 });
  await remote.setData("train", data.train);
  await remote.setData("test", data.test);
  return {
    mode: "LocalTrainer in one worker",
    trainSteps: (batches, lr) => remote.trainSteps(batches, lr),
    evaluate: () => remote.evaluate("test"),
    stateDict: async () => {
      const out: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(await remote.stateDict())) {
        out[key] = new Tensor(t.data, t.shape);
      }
      return out;
    },
    loadStateDict: (state) => {
      const plain: PlainWeights = {};
      for (const [key, t] of Object.entries(state)) {
        plain[key] = { data: t.data, shape: [...t.shape] };
      }
      return remote.loadStateDict(plain);
    },
    close: async () => {
      await remote.close();
      worker.terminate();
    },
  };
}
