/**
 * The control plane between DataParallel (main thread) and its workers: the messages
 * comlink carries, the layout of the shared control words, and `WorkerError`.
 * Only small records and indices cross postMessage; tensors stay in shared memory.
 */

import type { ModelSpec } from "../layers/spec.ts";
import { Rng } from "../tensor/rng.ts";
import type { Augment, LossConfig, TrainData } from "../trainer/trainer.ts";
import type { OptimizerName } from "../optim/rules.ts";
import type { Arenas, FlatLayout, FloatRegion } from "./arena.ts";
import { barrierWords } from "./barrier.ts";
import { type SharedTokens, shareTokens } from "../trainer/_token_data.ts";

/** What a worker posts once it listens for comlink calls. */
export const READY_MESSAGE = "shardgrad:worker-ready";

/** Control words: the barrier (with the heartbeats), then one fault flag per worker. */
export function controlWords(workers: number): number {
  return barrierWords(workers) + workers;
}

/**
 * Index of worker `w`'s fault flag in the control words: 0, or the `FAULT` code of what
 * it found non-finite in the current step call (it stays set until the next call).
 */
export function faultFlag(workers: number, w: number): number {
  return barrierWords(workers) + w;
}

/** Fault flag values: each is written and read between its own pair of barriers. */
export const FAULT = { loss: 1, gradient: 2, parameter: 3 } as const;

/** A non-finite value a worker found in a step: its loss, or an element of its slice of the gradient or parameters. */
export interface StepFault {
  kind: keyof typeof FAULT;
  value: number;
  /** Index in the flat parameter vector (-1 for a loss). */
  index: number;
}

// Model instantiation is shared with LocalTrainer (trainer/_trainer_shared.ts); its types stay importable from here.
export type { ModelContext, ModelModule } from "../trainer/_trainer_shared.ts";

/** Everything a worker needs to build its model and find shared memory. */
export interface WorkerInit {
  workerIndex: number;
  workers: number;
  model: ModelSpec | { moduleUrl: string };
  loss: LossConfig;
  optimizer: OptimizerName;
  seed: number;
  arenas: Arenas;
  params: FlatLayout;
  buffers: FlatLayout;
  /** How long a worker may make no progress (barrier waits, see barrier.ts). */
  timeoutMs: number;
  /** Samples per forward pass in `evaluate`. */
  evalBatchSize: number;
}

/** A dataset in shared memory: images as uint8 (normalized per batch) or float vectors. */
export type SharedData =
  | {
    kind: "images";
    images: SharedArrayBuffer;
    shape: [number, number, number, number];
    labels: SharedArrayBuffer;
    mean: number[];
    std: number[];
  }
  | { kind: "vectors"; x: SharedArrayBuffer; shape: [number, number]; labels: SharedArrayBuffer }
  | SharedTokens;

/** One training step for one worker. */
export interface StepRequest {
  /** This worker's shard of the global batch (row numbers of "train"). */
  indices: Int32Array;
  /** Samples in the global batch. */
  globalCount: number;
  /** The param group's hyperparameters (lr as the scheduler left it). */
  hp: Record<string, unknown>;
}

/** One worker's share of a step's results, plus where its time went (ms). */
export interface StepReply {
  /** This shard's contribution to the global mean loss (shard loss × scale). */
  loss: number;
  correct: number;
  count: number;
  /** False when a loss or gradient of the step was not finite: nothing was updated (and the call stopped). */
  updated: boolean;
  /** What this worker found non-finite, if anything (the call stops after this step). */
  fault: StepFault | null;
  /** Batch gathering + forward + backward. */
  computeMs: number;
  /** Reduce-scatter of the gradient slice + optimizer update of it. */
  updateMs: number;
}

/** One worker's share of an evaluation. */
export interface EvalReply {
  /** Σ over chunks of (chunk loss × chunk size). */
  lossSum: number;
  correct: number;
  predictions: Int32Array;
}

/** The API a worker exposes through comlink. */
export interface WorkerApi {
  init(init: WorkerInit): Promise<void>;
  setData(split: "train" | "test", data: SharedData, augment: Augment): void;
  addState(name: string, region: FloatRegion): void;
  /**
   * Runs the steps in order, meeting the other workers at the barriers of each;
   * `firstStep` is the 1-based optimizer step count of the first. Stops after a step in
   * which some worker found a non-finite loss, gradient or parameter (every worker stops
   * after the same step; a step with a non-finite loss or gradient updates nothing).
   */
  step(requests: StepRequest[], firstStep: number): StepReply[];
  evaluate(split: "train" | "test", indices: Int32Array): EvalReply;
  /** Copies the buffer arena (worker 0's running statistics) into this worker's model. */
  loadBuffers(): void;
  /** Restarts dropout and augmentation streams from a seed derived from `seed` and the worker index. */
  reseed(seed: number): void;
}

/**
 * A worker failed: it threw, exited, or made no progress for the timeout. `workerIndex`
 * says which; `cause` is the worker's own error.
 */
export class WorkerError extends Error {
  /** The failing worker, 0-based. */
  readonly workerIndex: number;
  constructor(action: string, workerIndex: number, cause: unknown) {
    super(`Cannot run ${action}: worker ${workerIndex} failed: ${describeCause(cause)}`, { cause });
    this.name = "WorkerError";
    this.workerIndex = workerIndex;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (cause !== null && typeof cause === "object" && "message" in cause) {
    return String(cause.message);
  }
  return String(cause);
}

/**
 * Worker `w`'s seed for dropout and augmentation: `seed` itself for worker 0 (so one
 * worker draws exactly what the in-process trainer draws), an independent stream
 * `new Rng(seed).fork(w)` for the others.
 */
export function workerSeed(seed: number, w: number): number {
  return w === 0 ? seed : new Rng(seed).fork(w).nextU32();
}

/**
 * Copies a dataset into SharedArrayBuffers (images as uint8, labels as int32), checking sizes;
 * uint8 images that already fill a SharedArrayBuffer are shared without a copy.
 */
export function shareData(data: TrainData): SharedData {
  const where = "Cannot run DataParallel.setData";
  // Token sets share their ids once; a window's targets are read from them.
  if (data.kind === "tokens") return shareTokens(data, where);
  const n = data.shape[0];
  if (data.labels.length !== n) {
    throw new TypeError(`${where}: ${n} samples but ${data.labels.length} labels`);
  }
  const labels = new SharedArrayBuffer(4 * n);
  new Int32Array(labels).set(data.labels);
  if (data.kind === "images") {
    const [, c, h, w] = data.shape;
    if (data.images.length !== n * c * h * w) {
      throw new TypeError(
        `${where}: images hold ${data.images.length} bytes, shape [${data.shape}] needs ${
          n * c * h * w
        }`,
      );
    }
    if (data.mean.length !== c || data.std.length !== c) {
      throw new TypeError(
        `${where}: expected ${c} mean and std values (one per channel), got ${data.mean.length} and ${data.std.length}`,
      );
    }
    // Images already filling a SharedArrayBuffer of their own (data/ allocates them so) are
    // shared as they are: a copy would hold the set twice (150 MB for CIFAR-10; issue 16).
    const { buffer, byteOffset, byteLength } = data.images;
    const own = typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer &&
      byteOffset === 0 && byteLength === buffer.byteLength;
    const images = own ? buffer as SharedArrayBuffer : new SharedArrayBuffer(data.images.length);
    if (!own) new Uint8Array(images).set(data.images);
    return {
      kind: "images",
      images,
      shape: [...data.shape],
      labels,
      mean: [...data.mean],
      std: [...data.std],
    };
  }
  if (data.kind !== "vectors") {
    throw new TypeError(`${where}: unknown data kind "${(data as { kind: unknown }).kind}"`);
  }
  if (data.x.length !== n * data.shape[1]) {
    throw new TypeError(
      `${where}: x holds ${data.x.length} floats, shape [${data.shape}] needs ${n * data.shape[1]}`,
    );
  }
  const x = new SharedArrayBuffer(4 * data.x.length);
  new Float32Array(x).set(data.x);
  return { kind: "vectors", x, shape: [...data.shape], labels };
}
