/**
 * Model presets: named JSON model specs (layers/spec.ts) sized to the dataset's input
 * shape and class count, each with the training settings it was tuned with.
 */

import type { LayerSpec, ModelSpec } from "../layers/spec.ts";
import type { OptimizerConfig } from "./trainer.ts";

/** Shape of one sample (`[C, H, W]` for images, `[F]` for vectors) and the number of classes. */
export interface InputInfo {
  sampleShape: readonly number[];
  numClasses: number;
}

/** Learning-rate schedules the CLI offers: a name, or a new one with options (train/scheduler_spec.ts). */
export type SchedulerName =
  | "none"
  | "step"
  | "cosine"
  | "onecycle"
  | "plateau"
  | "cosine-restarts"
  | "cyclic"
  | "polynomial"
  | "constant"
  | `${"cosine-restarts" | "cyclic" | "polynomial" | "constant"}:${string}`;

/** Training settings a preset was tuned with; every one can be overridden by a flag. */
export interface TrainingDefaults {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig["type"];
  /** Peak learning rate (OneCycle's `maxLr`). */
  lr: number;
  momentum: number;
  weightDecay: number;
  scheduler: SchedulerName;
  /** Random-crop padding and horizontal flip for image sets (`--augment`). */
  augment: boolean;
}

/** A named model: `build` writes the spec for a dataset, `defaults` the settings to train it with. */
export interface Preset {
  name: string;
  description: string;
  /** Spec for this input; TypeError when the preset cannot take it (e.g. lenet on vectors). */
  build(input: InputInfo): ModelSpec;
  defaults: TrainingDefaults;
  /** Input-specific changes to `defaults` (e.g. the MLP on 2-D toy sets). */
  defaultsFor?(input: InputInfo): Partial<TrainingDefaults>;
}

const conv = (
  inChannels: number,
  outChannels: number,
  kernelSize: number,
  extra: Record<string, unknown> = {},
): LayerSpec => ({
  type: "conv2d",
  inChannels,
  outChannels,
  kernelSize,
  ...extra,
});
const bn2d = (numFeatures: number): LayerSpec => ({ type: "batchnorm2d", numFeatures });
const relu: LayerSpec = { type: "relu" };
const pool2: LayerSpec = { type: "maxpool2d", kernelSize: 2 };
const flatten: LayerSpec = { type: "flatten" };
const linear = (inFeatures: number, outFeatures: number): LayerSpec => ({
  type: "linear",
  inFeatures,
  outFeatures,
});
const dropout = (p: number): LayerSpec => ({ type: "dropout", p });

function image(input: InputInfo, preset: string): [number, number, number] {
  const s = input.sampleShape;
  if (s.length !== 3) {
    throw new TypeError(
      `Cannot build preset "${preset}": it needs images [C, H, W], the dataset gives samples of shape [${
        s.join(", ")
      }]`,
    );
  }
  return [s[0], s[1], s[2]];
}

/** Output size of a convolution or pooling window: ⌊(n + 2·pad − k) / stride⌋ + 1. */
function out(n: number, k: number, stride = 1, pad = 0): number {
  return Math.floor((n + 2 * pad - k) / stride) + 1;
}

function checkSize(h: number, w: number, preset: string, input: InputInfo): void {
  if (h < 1 || w < 1) {
    throw new TypeError(
      `Cannot build preset "${preset}": input [${
        input.sampleShape.join(", ")
      }] is too small for its layers`,
    );
  }
}

/** The presets by name. */
export const PRESETS: Record<string, Preset> = {
  mlp: {
    name: "mlp",
    description:
      "Flatten → Linear → ReLU → Linear → ReLU → Linear (hidden 256, 128 for images; 64, 64 for 2-D sets)",
    build(input) {
      const features = input.sampleShape.reduce((a, b) => a * b, 1);
      const [h1, h2] = input.sampleShape.length === 1 ? [64, 64] : [256, 128];
      return {
        layers: [
          ...(input.sampleShape.length > 1 ? [flatten] : []),
          linear(features, h1),
          relu,
          linear(h1, h2),
          relu,
          linear(h2, input.numClasses),
        ],
      };
    },
    defaults: {
      epochs: 10,
      batchSize: 64,
      optimizer: "adam",
      lr: 1e-3,
      momentum: 0.9,
      weightDecay: 0,
      scheduler: "cosine",
      augment: false,
    },
    defaultsFor: (
      input,
    ) => (input.sampleShape.length === 1 ? { epochs: 30, batchSize: 32, lr: 0.01 } : {}),
  },
  lenet: {
    name: "lenet",
    description:
      "the seed course's CNN: Conv 1→8 k5, MaxPool 2, ReLU, Conv 8→16 k3, MaxPool 2, ReLU, Flatten, Linear 400→10",
    build(input) {
      const [c, h, w] = image(input, "lenet");
      const h2 = Math.floor(out(Math.floor(out(h, 5) / 2), 3) / 2);
      const w2 = Math.floor(out(Math.floor(out(w, 5) / 2), 3) / 2);
      checkSize(h2, w2, "lenet", input);
      return {
        layers: [
          conv(c, 8, 5),
          pool2,
          relu,
          conv(8, 16, 3),
          pool2,
          relu,
          flatten,
          linear(16 * h2 * w2, input.numClasses),
        ],
      };
    },
    defaults: {
      epochs: 5,
      batchSize: 64,
      optimizer: "sgd",
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 0,
      scheduler: "onecycle",
      augment: false,
    },
  },
  "mnist-cnn": {
    name: "mnist-cnn",
    description:
      "the MNIST default: Conv 1→16 k5, BatchNorm, ReLU, MaxPool 2, Conv 16→32 k5, BatchNorm, ReLU, MaxPool 2, Flatten, Linear 512→10",
    build(input) {
      const [c, h, w] = image(input, "mnist-cnn");
      const h2 = Math.floor(out(Math.floor(out(h, 5) / 2), 5) / 2);
      const w2 = Math.floor(out(Math.floor(out(w, 5) / 2), 5) / 2);
      checkSize(h2, w2, "mnist-cnn", input);
      return {
        layers: [
          conv(c, 16, 5),
          bn2d(16),
          relu,
          pool2,
          conv(16, 32, 5),
          bn2d(32),
          relu,
          pool2,
          flatten,
          linear(32 * h2 * w2, input.numClasses),
        ],
      };
    },
    defaults: {
      epochs: 3,
      batchSize: 64,
      optimizer: "sgd",
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 5e-4,
      scheduler: "onecycle",
      // Random crops (padding 2): 99.24–99.39% over seeds 0–4 without (mean 99.29), 99.24–99.46%
      // with (mean 99.34; seed 0, the default, 99.46), at the same wall time.
      augment: true,
    },
  },
  "cifar-cnn": {
    name: "cifar-cnn",
    description:
      "VGG-style: 3 stages of 2× (Conv 3×3, BatchNorm, ReLU) + MaxPool 2 (32, 64, 128 channels), Dropout, Linear",
    build(input) {
      const [c, h, w] = image(input, "cifar-cnn");
      checkSize(Math.floor(h / 8), Math.floor(w / 8), "cifar-cnn", input);
      const layers: LayerSpec[] = [];
      let channels = c;
      for (const [i, width] of [32, 64, 128].entries()) {
        layers.push(conv(channels, width, 3, { padding: 1 }), bn2d(width), relu);
        layers.push(conv(width, width, 3, { padding: 1 }), bn2d(width), relu, pool2);
        if (i < 2) layers.push(dropout(0.1 * (i + 1)));
        channels = width;
      }
      layers.push(
        flatten,
        dropout(0.3),
        linear(128 * Math.floor(h / 8) * Math.floor(w / 8), input.numClasses),
      );
      return { layers };
    },
    defaults: {
      epochs: 20,
      batchSize: 128,
      optimizer: "sgd",
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
      scheduler: "onecycle",
      augment: true,
    },
  },
  "resnet-small": {
    name: "resnet-small",
    description:
      "Conv 3×3 stem (16), residual blocks [Conv, BatchNorm, ReLU, Conv, BatchNorm] at 16/32/64 channels, global average pool, Linear",
    build(input) {
      const [c] = image(input, "resnet-small");
      const block = (ch: number): LayerSpec[] => [
        {
          type: "residual",
          layers: [
            conv(ch, ch, 3, { padding: 1, bias: false }),
            bn2d(ch),
            relu,
            conv(ch, ch, 3, { padding: 1, bias: false }),
            bn2d(ch),
          ],
        },
        relu,
      ];
      const down = (
        from: number,
        to: number,
      ): LayerSpec[] => [conv(from, to, 3, { stride: 2, padding: 1, bias: false }), bn2d(to), relu];
      return {
        layers: [
          conv(c, 16, 3, { padding: 1, bias: false }),
          bn2d(16),
          relu,
          ...block(16),
          ...down(16, 32),
          ...block(32),
          ...down(32, 64),
          ...block(64),
          { type: "adaptiveavgpool2d", outputSize: 1 },
          flatten,
          linear(64, input.numClasses),
        ],
      };
    },
    defaults: {
      epochs: 20,
      batchSize: 128,
      optimizer: "sgd",
      lr: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
      scheduler: "onecycle",
      augment: true,
    },
  },
};

/** Preset names, for `--help` and validation. */
export const PRESET_NAMES = Object.keys(PRESETS);
