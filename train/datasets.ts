/** The datasets train.ts knows, loaded as `TrainData` (uint8 images or float vectors) with class names. */

import { Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import {
  cifar10,
  CIFAR10_CLASSES,
  FASHION_MNIST_CLASSES,
  fashionMnist,
  mnist,
  MNIST_CLASSES,
  svhn,
  SVHN_CLASSES,
  SVHN_MEAN,
  SVHN_STD,
  type SvhnOptions,
} from "../data/mod.ts";
import { CIFAR10_MEAN, CIFAR10_STD, MNIST_MEAN, MNIST_STD } from "../data/transforms.ts";
import {
  type LabeledData,
  makeBlobs,
  makeMoons,
  makeSpirals,
  trainTestSplit,
} from "../data/synthetic.ts";
import { ImageDataset } from "../data/dataset.ts";
import type { ImageData, VectorData } from "./trainer.ts";

/** Fashion-MNIST training-set pixel mean and std (÷255 scale). */
export const FASHION_MNIST_MEAN: readonly number[] = Object.freeze([0.2860]);
export const FASHION_MNIST_STD: readonly number[] = Object.freeze([0.3530]);

/** A dataset ready for a Trainer. */
export interface LoadedDataset {
  name: string;
  train: ImageData | VectorData;
  test: ImageData | VectorData;
  numClasses: number;
  classNames: readonly string[];
  /** `[C, H, W]` or `[F]`. */
  sampleShape: number[];
  /**
   * Which check the files passed, for the start line: "per-file sha256", "archive sha256",
   * "structure only (custom archive, allowUnverified)", ... ("generated" for the 2-D sets).
   */
  verification: string;
}

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  /** A URL or folder tried instead of the default mirrors. */
  mirror?: string;
  /** Keep only the first N training samples. */
  limitTrain?: number | null;
  /** Keep only the first N test samples. */
  limitTest?: number | null;
  /** Accept custom CIFAR-10/SVHN files checked by structure only (`--allow-unverified-data`). */
  allowUnverified?: boolean;
  /** Which splits to load. @default both */
  splits?: "both" | "test";
  /** Download progress of the current file (bytes so far, total when known). */
  onProgress?: (bytes: number, total: number | undefined) => void;
}
/** The keys of `LoadDatasetOptions` (checked at run time: keep in step with the interface). */
const LOAD_DATASET_OPTIONS = [
  "mirror",
  "limitTrain",
  "limitTest",
  "allowUnverified",
  "splits",
  "onProgress",
];

const IMAGE_SETS = {
  mnist: { load: mnist, classes: MNIST_CLASSES, mean: MNIST_MEAN, std: MNIST_STD },
  "fashion-mnist": {
    load: fashionMnist,
    classes: FASHION_MNIST_CLASSES,
    mean: FASHION_MNIST_MEAN,
    std: FASHION_MNIST_STD,
  },
  cifar10: { load: cifar10, classes: CIFAR10_CLASSES, mean: CIFAR10_MEAN, std: CIFAR10_STD },
  svhn: { load: loadSvhn(false), classes: SVHN_CLASSES, mean: SVHN_MEAN, std: SVHN_STD },
  "svhn-extra": { load: loadSvhn(true), classes: SVHN_CLASSES, mean: SVHN_MEAN, std: SVHN_STD },
} as const;
/** The sets whose loaders take `allowUnverified`. */
const UNVERIFIABLE = new Set(["cifar10", "svhn", "svhn-extra"]);

/** 2-D toy sets: 1000 points, 750 train / 250 test, always generated from seed 0 (the data is fixed; --seed varies the model). */
const SYNTHETIC: Record<string, (rng: Rng) => LabeledData> = {
  moons: (rng) => makeMoons(1000, { noise: 0.2, rng }),
  blobs: (rng) => makeBlobs(1000, { centers: 4, clusterStd: 1.5, rng }),
  spirals: (rng) => makeSpirals(1000, { nClasses: 3, noise: 0.2, rng }),
};

/** Loads `name` (mnist, fashion-mnist, cifar10, svhn, svhn-extra, moons, blobs, spirals). */
export async function loadDataset(
  name: string,
  options: LoadDatasetOptions = {},
): Promise<LoadedDataset> {
  checkArgumentCount("Cannot run loadDataset", arguments.length, 2);
  checkOptions("Cannot run loadDataset", options, LOAD_DATASET_OPTIONS);
  const {
    mirror,
    limitTrain = null,
    limitTest = null,
    splits = "both",
    onProgress,
    allowUnverified = false,
  } = options;
  if (name in SYNTHETIC) {
    const rng = new Rng(0);
    const all = SYNTHETIC[name](rng);
    const { train, test } = trainTestSplit(all, { testSize: 0.25, rng });
    const numClasses = Math.max(...all.y) + 1;
    return {
      name,
      train: vectors(train, limitTrain),
      test: vectors(test, limitTest),
      numClasses,
      classNames: [],
      sampleShape: [all.x.shape[1]],
      verification: "generated",
    };
  }
  const set = IMAGE_SETS[name as keyof typeof IMAGE_SETS];
  if (set === undefined) {
    throw new TypeError(
      `Cannot load dataset "${name}": unknown (expected mnist, fashion-mnist, cifar10, svhn, svhn-extra, moons, blobs or spirals)`,
    );
  }
  if (allowUnverified && !UNVERIFIABLE.has(name)) {
    throw new TypeError(
      `Cannot load dataset "${name}": allowUnverified (--allow-unverified-data) applies to cifar10 and svhn only`,
    );
  }
  const mirrors = {
    ...(mirror !== undefined ? { mirrors: [mirror] } : {}),
    ...(allowUnverified ? { allowUnverified } : {}),
    onProgress,
  };
  const test = await set.load({ train: false, ...mirrors });
  const train = splits === "both" ? await set.load({ train: true, ...mirrors }) : test.slice(0, 0);
  const toData = (ds: ImageDataset, limit: number | null): ImageData => {
    const part = limit !== null ? ds.slice(0, limit) : ds;
    const [n, c, h, w] = part.shape;
    return {
      kind: "images",
      images: part.images,
      shape: [n, c, h, w],
      labels: part.labels,
      mean: [...set.mean],
      std: [...set.std],
    };
  };
  return {
    name,
    train: toData(train, limitTrain),
    test: toData(test, limitTest),
    numClasses: set.classes.length,
    classNames: set.classes,
    sampleShape: [...test.sampleShape],
    verification: splits === "test" || train.verification === test.verification
      ? test.verification
      : `train ${train.verification}, test ${test.verification}`,
  };
}

function vectors(data: LabeledData, limit: number | null): VectorData {
  const n = limit !== null ? Math.min(limit, data.y.length) : data.y.length;
  const f = data.x.shape[1];
  return {
    kind: "vectors",
    x: data.x.data.slice(0, n * f),
    shape: [n, f],
    labels: data.y.slice(0, n),
  };
}

/**
 * SVHN for the trainer: `train: false` is the test split (26,032 images); `train: true` the
 * train split (73,257), with the extra split appended when `extra` (604,388 in all).
 */
function loadSvhn(extra: boolean) {
  return async (
    { train = true, ...options }: { train?: boolean } & Omit<SvhnOptions, "split">,
  ): Promise<ImageDataset> => {
    if (!train) return await svhn({ ...options, split: "test" });
    const base = await svhn({ ...options, split: "train" });
    if (!extra) return base;
    const more = await svhn({ ...options, split: "extra" });
    const images = new Uint8Array(base.images.length + more.images.length);
    images.set(base.images);
    images.set(more.images, base.images.length);
    const labels = new Int32Array(base.length + more.length);
    labels.set(base.labels);
    labels.set(more.labels, base.length);
    return new ImageDataset(
      images,
      labels,
      [labels.length, 3, 32, 32],
      SVHN_CLASSES,
      `train: ${base.verification}; extra: ${more.verification}`,
    );
  };
}
