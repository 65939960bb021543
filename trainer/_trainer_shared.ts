/**
 * What the in-process trainer (local_trainer.ts) and DataParallel's workers
 * (parallel/worker.ts) share, so that both build and train the same way: the loss
 * table of `TrainerConfig.loss`, model instantiation from a spec or module URL, batch
 * gathering with augmentation and uint8 normalization, one-hot targets, evaluation in
 * chunks and accuracy counting, and the config check.
 */

import { Tensor } from "../tensor/tensor.ts";
import type { BufferCache } from "../tensor/buffers.ts";
import type { Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import { gatherPixels, pixelTable } from "../tensor/kernels/mod.ts";
import { Module } from "../layers/module.ts";
import { buildModel, type ModelSpec } from "../layers/spec.ts";
import { BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss } from "../losses/mod.ts";
import {
  compose,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
  type Transform,
} from "../data/transforms.ts";
import type { Augment, LossConfig, TrainData } from "./trainer.ts";
import { checkTokenData, gatherWindows } from "./_token_data.ts";

/** The keys of `TrainerConfig`. */
const CONFIG_KEYS = ["model", "loss", "optimizer", "seed", "workers"];

/**
 * Throws a TypeError naming the problem when `config` is not a `TrainerConfig` object with
 * known keys only, or the call got more than `maxArguments` positional arguments
 * (`argumentCount` is the caller's `arguments.length`).
 */
export function checkTrainerConfig(
  where: string,
  config: unknown,
  argumentCount: number,
  maxArguments: number,
): void {
  checkArgumentCount(where, argumentCount, maxArguments);
  if (config === undefined) {
    throw new TypeError(`${where}: expected a config { ${CONFIG_KEYS.join(", ")} }, got undefined`);
  }
  checkOptions(`${where}: config`, config, CONFIG_KEYS);
  for (const key of ["model", "loss", "optimizer"]) {
    if (!((config as Record<string, unknown>)[key] instanceof Object)) {
      throw new TypeError(`${where}: config.${key} is missing (expected an object)`);
    }
  }
}

/** What every loss of losses/ offers: `forward` returns the reduced loss, `backward` dL/dpred. */
export interface Loss {
  forward(prediction: Tensor, target: Tensor | Int32Array | Uint8Array): number;
  backward(): Tensor;
}

/** A loss of the table: a `Loss` that also says its reduction (the workers scale "mean" by shard size). */
export type ReducingLoss = Loss & { readonly reduction: string };

/**
 * Loss types of `TrainerConfig.loss`: `create` takes the config's other fields as
 * options; `classTargets: false` ones get one-hot float targets `[B, K]` built from the
 * class labels (see `lossTarget`).
 */
export const LOSSES: Record<
  LossConfig["type"],
  { create: (options: Record<string, unknown>) => ReducingLoss; classTargets: boolean }
> = {
  cross_entropy: { create: (o) => new CrossEntropyLoss(o), classTargets: true },
  nll: { create: (o) => new NLLLoss(o), classTargets: true },
  mse: { create: (o) => new MSELoss(o), classTargets: false },
  bce_with_logits: { create: (o) => new BCEWithLogitsLoss(o), classTargets: false },
};

/**
 * Builds `config.type`'s loss with the config's other fields as options; `where` starts
 * the error message of an unknown type (`${where}: unknown loss type "hinge"`).
 */
export function createLoss(
  config: LossConfig,
  where: string,
): { loss: ReducingLoss; classTargets: boolean } {
  const { type, ...options } = config;
  const entry = Object.hasOwn(LOSSES, type) ? LOSSES[type] : undefined;
  if (entry === undefined) throw new TypeError(`${where}: unknown loss type "${type}"`);
  return { loss: entry.create(options), classTargets: entry.classTargets };
}

/**
 * Targets for the loss: the labels themselves, or one-hot rows `[B, K]` (K = output.shape[1]),
 * written into the previous call's buffer when `buffers` (a trainer's own) are given.
 */
export function lossTarget(
  classTargets: boolean,
  labels: Int32Array,
  output: Tensor,
  buffers?: BufferCache,
): Tensor | Int32Array {
  if (classTargets) return labels;
  const k = output.shape[1];
  const onehot = buffers?.tensor("onehot", [labels.length, k], true) ??
    Tensor.zeros([labels.length, k]);
  onehot.data.fill(0);
  for (let i = 0; i < labels.length; i++) onehot.data[i * k + labels[i]] = 1;
  return onehot;
}

/** What a module URL model exports; `context` tells it where it runs (`workerIndex` null on the main thread). */
export interface ModelModule {
  createModel(context?: ModelContext): Module;
}

/** The argument the trainers pass to `createModel`. */
export interface ModelContext {
  /** This worker's index, or null when the main thread builds its copy. */
  workerIndex: number | null;
  /** Number of workers (1 for the in-process trainer). */
  workers: number;
}

/**
 * Builds the model a config names: `buildModel(spec)`, or `createModel(context)` of the
 * module at `moduleUrl` (which must return a Module). Initialization draws from the
 * module-level generator, so seed it first.
 */
export async function instantiateModel(
  source: ModelSpec | { moduleUrl: string },
  context: ModelContext,
): Promise<Module> {
  if (source !== null && typeof source === "object" && "moduleUrl" in source) {
    const mod = await import(source.moduleUrl) as Partial<ModelModule>;
    if (typeof mod.createModel !== "function") {
      throw new TypeError(
        `Cannot build the model: ${source.moduleUrl} does not export createModel()`,
      );
    }
    const model = mod.createModel(context);
    if (!(model instanceof Module)) {
      throw new TypeError(
        `Cannot build the model: createModel() of ${source.moduleUrl} did not return a Module`,
      );
    }
    return model;
  }
  return buildModel(source);
}

/** A dataset ready for batch gathering: rows, labels, and the transforms of its kind. */
export interface BatchSource {
  /** Rows `[N, ...sample]`, flat: uint8 pixels or float features; for tokens the token ids. */
  rows: Uint8Array | Float32Array | Int32Array;
  /** Class indices `[N]`. */
  labels: Uint8Array | Int32Array;
  /** N, the number of rows. */
  count: number;
  /** Sample shape without the batch dimension (`[C, H, W]` or `[F]`). */
  sample: number[];
  /** Byte → float and per-channel normalization (images); null for vectors. */
  transform: Transform | null;
  /**
   * The same conversion as one table lookup per byte (`pixelTable`), for a batch that is not
   * augmented first; null where the transform must run (no byte images, or a mean/std that does
   * not fit the channels: the transform then says so).
   */
  pixels: Float32Array | null;
  /** Random crop and flip (training only); null when none was asked for. */
  augment: Transform | null;
  /** Targets (and predictions) per row: 1, or L for token windows (`[N·L]` targets). */
  targetsPerRow: number;
}

/** The batch source of `data` with `augment`'s crop and flip (image sets only). */
export function batchSource(data: TrainData, augment: Augment = {}): BatchSource {
  if (data.kind === "vectors") {
    return {
      rows: data.x,
      labels: data.labels,
      count: data.shape[0],
      sample: [data.shape[1]],
      transform: null,
      pixels: null,
      augment: null,
      targetsPerRow: 1,
    };
  }
  if (data.kind === "tokens") {
    checkTokenData(data, "Cannot use the data");
    if ((augment.cropPadding ?? 0) > 0 || augment.flip) {
      throw new TypeError(
        "Cannot use the data: crop and flip augmentation apply to images, not tokens",
      );
    }
    return {
      rows: data.tokens,
      labels: data.tokens,
      count: data.shape[0],
      sample: [data.shape[1]],
      transform: null,
      pixels: null,
      augment: null,
      targetsPerRow: data.shape[1],
    };
  }
  const [, c, h, w] = data.shape;
  const steps: Transform[] = [];
  const crop = augment.cropPadding ?? 0;
  // A trainer is done with a batch before it gathers the next: the crop reuses its output.
  if (crop > 0) steps.push(randomCrop([h, w], { padding: crop, reuseOutput: true }));
  if (augment.flip) steps.push(randomHorizontalFlip());
  return {
    rows: data.images,
    labels: data.labels,
    count: data.shape[0],
    sample: [c, h, w],
    transform: compose([toFloat(), normalize(data.mean, data.std)]),
    pixels: data.mean.length === 1 || data.mean.length === c
      ? pixelTable(data.mean, data.std, c)
      : null,
    augment: steps.length > 0 ? compose(steps) : null,
    targetsPerRow: 1,
  };
}

/**
 * Rows `indices` as float32 `x` `[B, ...sample]` — augmented (training only), then
 * converted and normalized, both drawing from `rng` — and their labels `[B]`. With
 * `buffers` (a trainer's own), x (before augmentation) and labels are written into the
 * buffers of the previous call of the same batch size instead of new ones.
 */
export function gatherBatch(
  source: BatchSource,
  indices: Int32Array,
  training: boolean,
  rng: Rng,
  buffers?: BufferCache,
): { x: Tensor; labels: Int32Array } {
  const { rows, sample, count: n } = source;
  const size = sample.reduce((a, b) => a * b, 1);
  const reuse = buffers !== undefined;
  const buffer = buffers?.floats("x", indices.length * size, reuse) ??
    new Float32Array(indices.length * size);
  const targets = indices.length * source.targetsPerRow;
  const labels = buffers?.ints("labels", targets, reuse) ?? new Int32Array(targets);
  if (source.targetsPerRow > 1) {
    // Token windows: row i is the window starting at token i (the targets are the next tokens).
    gatherWindows(rows as Int32Array, size, indices, buffer, labels);
    return { x: new Tensor(buffer, [indices.length, ...sample]), labels };
  }
  for (let b = 0; b < indices.length; b++) {
    const row = indices[b];
    if (!(row >= 0 && row < n)) {
      throw new RangeError(`Cannot gather a batch: index ${row} is outside [0, ${n})`);
    }
    labels[b] = source.labels[row];
  }
  const augmented = training && source.augment !== null;
  if (!augmented && source.pixels !== null && rows instanceof Uint8Array) {
    // Converted and normalized in the gather: the transform's values, by table.
    const channels = sample[0];
    gatherPixels(rows, indices, channels, size / channels, source.pixels, buffer);
    return { x: new Tensor(buffer, [indices.length, ...sample]), labels };
  }
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * size;
    for (let k = 0; k < size; k++) buffer[b * size + k] = rows[src + k];
  }
  let x = new Tensor(buffer, [indices.length, ...sample]);
  if (training && source.augment !== null) x = source.augment(x, rng);
  if (source.transform !== null) x = source.transform(x, rng);
  return { x, labels };
}

/**
 * Eval mode, no gradients: forwards `indices` in chunks of `batchSize` and returns
 * Σ (chunk loss × chunk size), the correct count and the arg-max per target (per row, or
 * per token of a token window); the model is
 * back in training mode afterwards. `onChunk` runs before each chunk (a worker's heartbeat).
 */
export function evaluateRows(
  parts: { model: Module; loss: Loss; classTargets: boolean; rng: Rng },
  source: BatchSource,
  indices: Int32Array,
  batchSize: number,
  onChunk?: () => void,
): { lossSum: number; correct: number; predictions: Int32Array } {
  const { model, loss, classTargets, rng } = parts;
  const perRow = source.targetsPerRow;
  const predictions = new Int32Array(indices.length * perRow);
  let lossSum = 0;
  let correct = 0;
  model.eval();
  try {
    for (let start = 0; start < indices.length; start += batchSize) {
      onChunk?.();
      const chunk = indices.subarray(start, Math.min(indices.length, start + batchSize));
      const { x, labels } = gatherBatch(source, chunk, false, rng);
      const output = model.forward(x);
      lossSum += loss.forward(output, lossTarget(classTargets, labels, output)) * chunk.length;
      correct += countCorrect(
        output,
        labels,
        predictions.subarray(start * perRow, (start + chunk.length) * perRow),
      );
    }
  } finally {
    model.train();
  }
  return { lossSum, correct, predictions };
}

/** Counts rows of `output` `[B, K]` whose arg-max (first maximum on ties) equals the label; writes it to `into`. */
export function countCorrect(output: Tensor, labels: Int32Array, into: Int32Array | null): number {
  const [b, k] = [output.shape[0], output.size / Math.max(1, output.shape[0])];
  const d = output.data;
  let correct = 0;
  for (let i = 0; i < b; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (d[i * k + j] > d[i * k + best]) best = j;
    if (into !== null) into[i] = best;
    if (best === labels[i]) correct++;
  }
  return correct;
}
