/** Shared inputs of the parallel tests: small data sets, model specs and the single-threaded reference. */

import { manualSeed, Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { buildModel, type ModelSpec } from "../../layers/spec.ts";
import { CrossEntropyLoss } from "../../losses/cross_entropy.ts";
import { Optimizer } from "../../optim/optimizer.ts";
import { type AnyUpdateRule, optimizerRules } from "../../optim/rules.ts";
import { compose, normalize, toFloat } from "../../data/transforms.ts";
import type { ImageData, OptimizerConfig, TrainData, VectorData } from "../../train/trainer.ts";

/** An MLP on 6 features, 3 classes. */
export const MLP: ModelSpec = {
  layers: [
    { type: "linear", inFeatures: 6, outFeatures: 16 },
    { type: "relu" },
    { type: "linear", inFeatures: 16, outFeatures: 3 },
  ],
};

/** A small CNN on [N, 1, 8, 8] images, 3 classes. */
export const CNN: ModelSpec = {
  layers: [
    { type: "conv2d", inChannels: 1, outChannels: 4, kernelSize: 3 },
    { type: "relu" },
    { type: "maxpool2d", kernelSize: 2 },
    { type: "flatten" },
    { type: "linear", inFeatures: 36, outFeatures: 3 },
  ],
};

/** 40 random feature vectors [40, 6] with labels 0..2 (seeded). */
export function vectors(n = 40, seed = 11): VectorData {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 6);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const labels = Int32Array.from({ length: n }, () => rng.randint(3));
  return { kind: "vectors", x, shape: [n, 6], labels };
}

/** 30 random uint8 images [30, 1, 8, 8] with labels 0..2 (seeded). */
export function images(n = 30, seed = 12): ImageData {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: n * 64 }, () => rng.randint(256));
  const labels = Int32Array.from({ length: n }, () => rng.randint(3));
  return { kind: "images", images: pixels, shape: [n, 1, 8, 8], labels, mean: [0.5], std: [0.25] };
}

/** `steps` global batches of `size` row numbers drawn from [0, n) (seeded). */
export function batches(steps: number, size: number, n: number, seed = 13): Int32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: steps }, () => rng.permutation(n).slice(0, size));
}

/** Rows of `data` as a float batch, normalized as the trainers do. */
export function gather(data: TrainData, indices: Int32Array): { x: Tensor; labels: Int32Array } {
  if (data.kind === "tokens") throw new TypeError("gather: no reference for token data");
  const labels = Int32Array.from(indices, (i) => data.labels[i]);
  if (data.kind === "vectors") {
    const f = data.shape[1];
    const x = new Float32Array(indices.length * f);
    indices.forEach((row, b) => x.set(data.x.subarray(row * f, row * f + f), b * f));
    return { x: new Tensor(x, [indices.length, f]), labels };
  }
  const [, c, h, w] = data.shape;
  const size = c * h * w;
  const x = new Float32Array(indices.length * size);
  indices.forEach((row, b) => x.set(data.images.subarray(row * size, row * size + size), b * size));
  const t = compose([toFloat(), normalize(data.mean, data.std)])(
    new Tensor(x, [indices.length, c, h, w]),
  );
  return { x: t, labels };
}

/**
 * Single-threaded reference: `manualSeed(seed)`, build, then one SGD/Adam step per batch
 * with the layers, loss and optimizer of the main thread. Returns the final state dict.
 */
export function trainReference(
  spec: ModelSpec,
  optimizer: OptimizerConfig,
  data: TrainData,
  steps: Int32Array[],
  seed: number,
): Record<string, Tensor> {
  manualSeed(seed);
  const model = buildModel(spec);
  const loss = new CrossEntropyLoss();
  const { type, ...options } = optimizer;
  const opt = new Optimizer(
    optimizerRules[type] as AnyUpdateRule,
    model.parameters(),
    options as never,
  );
  for (const indices of steps) {
    const { x, labels } = gather(data, indices);
    opt.zeroGrad();
    const out = model.forward(x);
    loss.forward(out, labels);
    model.backward(loss.backward());
    opt.step();
  }
  return model.stateDict();
}

/**
 * Relative error of two state dicts: per tensor max|a − b| / max|b| (the error measured
 * against the tensor's scale, so parameters that happen to sit near 0 do not turn float
 * noise into a large ratio), the worst tensor with its worst element.
 */
export function maxRelativeError(
  a: Record<string, Tensor>,
  b: Record<string, Tensor>,
): { error: number; where: string } {
  let worst = { error: 0, where: "" };
  for (const [key, expected] of Object.entries(b)) {
    const actual = a[key].data;
    let scale = 0;
    let diff = -1;
    let at = 0;
    expected.data.forEach((e, i) => {
      scale = Math.max(scale, Math.abs(e));
      const d = Math.abs(actual[i] - e);
      if (!(d <= diff)) [diff, at] = [d, i];
    });
    const error = diff / Math.max(scale, 1e-12);
    if (!(error <= worst.error)) {
      worst = { error, where: `${key}[${at}]: ${actual[at]} vs ${expected.data[at]}` };
    }
  }
  return worst;
}
