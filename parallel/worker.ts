/**
 * The worker entry of DataParallel: builds its copy of the model on shared parameter
 * memory, trains on its shard of each batch into its own gradient slot, and updates
 * its slice of the parameter vector (reduce-scatter + sharded optimizer step).
 *
 * Started by the pool (_pool.ts) as `new Worker(new URL("./_worker_entry.js", import.meta.url), { type: "module" })`,
 * whose only job is to import this module (see there why); exposes `WorkerApi`
 * (protocol.ts) through comlink, then posts `READY_MESSAGE`.
 */

import * as Comlink from "comlink";
import { Tensor } from "../tensor/tensor.ts";
import { manualSeed, type Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import { type AnyUpdateRule, optimizerRules } from "../optim/rules.ts";
import type { StateBuffers } from "../optim/optimizer.ts";
import {
  compose,
  normalize,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
  type Transform,
} from "../data/transforms.ts";
import { countCorrect } from "../train/local_trainer.ts";
import type { Augment } from "../train/trainer.ts";
import {
  ALIGN,
  bindParameters,
  type FlatLayout,
  gradSlot,
  packTensors,
  splitRange,
  unpackTensors,
} from "./arena.ts";
import { Barrier, BarrierAbortedError, BarrierTimeoutError } from "./barrier.ts";
import {
  type EvalReply,
  instantiateModel,
  type Loss,
  LOSSES,
  nonFiniteFlag,
  READY_MESSAGE,
  type SharedData,
  type StepReply,
  type StepRequest,
  type WorkerApi,
  workerSeed,
} from "./protocol.ts";

interface Split {
  source: Uint8Array | Float32Array;
  labels: Int32Array;
  /** Sample shape without the batch dimension. */
  sample: number[];
  transform: Transform | null;
  augment: Transform | null;
}

interface State {
  index: number;
  workers: number;
  model: Module;
  loss: Loss;
  classTargets: boolean;
  rule: AnyUpdateRule;
  params: Float32Array;
  slots: Float32Array[];
  state: StateBuffers;
  bufferLayout: FlatLayout;
  bufferFlat: Float32Array;
  bufferTensors: Tensor[];
  control: Int32Array;
  barrier: Barrier;
  /** This worker's slice of the parameter vector. */
  lo: number;
  hi: number;
  rng: Rng;
  evalBatchSize: number;
  splits: Partial<Record<"train" | "test", Split>>;
}

let s: State | null = null;

function ready(method: string): State {
  if (s === null) throw new Error(`Cannot run worker.${method}: the worker is not initialized`);
  return s;
}

/** What this module exposes through comlink (protocol.ts's `WorkerApi`). */
export type WorkerHandlers = WorkerApi;

const api: WorkerHandlers = {
  async init(init) {
    const { workerIndex: index, workers, arenas } = init;
    const rng = manualSeed(workerSeed(init.seed, index));
    const model = await instantiateModel(init.model, { workerIndex: index, workers });
    const params = new Float32Array(arenas.params);
    const slots = Array.from({ length: workers }, (_, w) => gradSlot(arenas, init.params.total, w));
    bindParameters(model.parameters(), init.params, params, slots[index], { copy: false });
    const { type, ...lossOptions } = init.loss;
    const entry = LOSSES[type];
    const [lo, hi] = splitRange(init.params.total, workers, ALIGN)[index];
    const control = new Int32Array(arenas.control);
    s = {
      index,
      workers,
      model,
      loss: entry.create(lossOptions),
      classTargets: entry.classTargets,
      rule: optimizerRules[init.optimizer] as AnyUpdateRule,
      params,
      slots,
      state: Object.fromEntries(
        Object.entries(arenas.state).map(([k, v]) => [k, new Float32Array(v)]),
      ),
      bufferLayout: init.buffers,
      bufferFlat: new Float32Array(arenas.buffers),
      bufferTensors: model.namedBuffers().map(([, t]) => t),
      control,
      barrier: new Barrier(control, workers, init.timeoutMs),
      lo,
      hi,
      rng: rng.fork(1),
      evalBatchSize: init.evalBatchSize,
      splits: {},
    };
  },

  setData(split, data, augment) {
    ready("setData").splits[split] = makeSplit(data, augment);
  },

  addState(name, buffer) {
    ready("addState").state[name] = new Float32Array(buffer);
  },

  step(requests, firstStep) {
    const st = ready("step");
    try {
      const replies: StepReply[] = [];
      let step = firstStep;
      for (const request of requests) {
        const reply = trainStep(st, request, step);
        if (reply.updated) step++;
        replies.push(reply);
      }
      return replies;
    } catch (error) {
      // The first abort names the culprit: a timed-out wait blames the first missing worker.
      if (error instanceof BarrierTimeoutError) st.barrier.abort(error.missing[0]);
      else if (!(error instanceof BarrierAbortedError)) st.barrier.abort(st.index);
      throw error;
    }
  },

  evaluate(split, indices) {
    const st = ready("evaluate");
    const data = st.splits[split];
    if (data === undefined) {
      throw new Error(`Cannot evaluate: no "${split}" data in worker ${st.index}`);
    }
    if (st.index !== 0) unpackTensors(st.bufferFlat, st.bufferLayout, st.bufferTensors);
    const predictions = new Int32Array(indices.length);
    let lossSum = 0;
    let correct = 0;
    st.model.eval();
    try {
      for (let start = 0; start < indices.length; start += st.evalBatchSize) {
        const chunk = indices.subarray(start, Math.min(indices.length, start + st.evalBatchSize));
        const { x, labels } = gather(data, chunk, false, st.rng);
        const output = st.model.forward(x);
        lossSum += st.loss.forward(output, target(st, labels, output)) * chunk.length;
        correct += countCorrect(output, labels, predictions.subarray(start, start + chunk.length));
      }
    } finally {
      st.model.train();
    }
    return { lossSum, correct, predictions } satisfies EvalReply;
  },

  loadBuffers() {
    const st = ready("loadBuffers");
    unpackTensors(st.bufferFlat, st.bufferLayout, st.bufferTensors);
  },

  reseed(seed) {
    const st = ready("reseed");
    const derived = workerSeed(seed, st.index);
    manualSeed(derived);
    st.rng.seed(derived ^ 0x5bd1e995);
  },
};

/** Forward/backward of this shard into the own slot; barrier; reduce + update of the own slice; barrier. */
function trainStep(st: State, request: StepRequest, step: number): StepReply {
  const t0 = performance.now();
  const { indices, globalCount } = request;
  const n = indices.length;
  st.slots[st.index].fill(0);
  let loss = 0;
  let correct = 0;
  let finite = true;
  if (n > 0) {
    const data = st.splits.train;
    if (data === undefined) {
      throw new Error(`Cannot run a step: no "train" data in worker ${st.index}`);
    }
    const { x, labels } = gather(data, indices, true, st.rng);
    st.model.train();
    const output = st.model.forward(x);
    const value = st.loss.forward(output, target(st, labels, output));
    // "mean" over the shard × shard/global size = this shard's part of the mean over the global batch.
    const scale = st.loss.reduction === "mean" ? n / globalCount : 1;
    loss = value * scale;
    correct = countCorrect(output, labels, null);
    finite = Number.isFinite(value);
    if (finite) {
      const grad = st.loss.backward();
      if (scale !== 1) { for (let i = 0; i < grad.data.length; i++) grad.data[i] *= scale; }
      st.model.backward(grad);
    }
  }
  Atomics.store(st.control, nonFiniteFlag(st.workers, st.index), finite ? 0 : 1);
  const t1 = performance.now();
  st.barrier.wait(st.index);
  const t2 = performance.now();
  let updated = true;
  for (let w = 0; w < st.workers; w++) {
    if (Atomics.load(st.control, nonFiniteFlag(st.workers, w)) !== 0) updated = false;
  }
  if (updated) {
    const { lo, hi, slots } = st;
    const sum = slots[0];
    for (let w = 1; w < st.workers; w++) {
      const slot = slots[w];
      for (let j = lo; j < hi; j++) sum[j] += slot[j];
    }
    st.rule.update(st.params, sum, st.state, step, request.hp as never, lo, hi);
  }
  if (st.index === 0) packTensors(st.bufferTensors, st.bufferLayout, st.bufferFlat);
  const t3 = performance.now();
  st.barrier.wait(st.index);
  return { loss, correct, count: n, updated, computeMs: t1 - t0, updateMs: t3 - t2 };
}

function makeSplit(data: SharedData, augment: Augment): Split {
  if (data.kind === "vectors") {
    return {
      source: new Float32Array(data.x),
      labels: new Int32Array(data.labels),
      sample: [data.shape[1]],
      transform: null,
      augment: null,
    };
  }
  const [, c, h, w] = data.shape;
  const steps: Transform[] = [];
  const crop = augment.cropPadding ?? 0;
  if (crop > 0) steps.push(randomCrop([h, w], { padding: crop }));
  if (augment.flip) steps.push(randomHorizontalFlip());
  return {
    source: new Uint8Array(data.images),
    labels: new Int32Array(data.labels),
    sample: [c, h, w],
    transform: compose([toFloat(), normalize(data.mean, data.std)]),
    augment: steps.length > 0 ? compose(steps) : null,
  };
}

/** Rows `indices` as float32 `[B, ...]`, augmented (training only), converted and normalized, as LocalTrainer. */
function gather(
  split: Split,
  indices: Int32Array,
  training: boolean,
  rng: Rng,
): { x: Tensor; labels: Int32Array } {
  const { source, sample } = split;
  const size = sample.reduce((a, b) => a * b, 1);
  const rows = split.labels.length;
  const buffer = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const row = indices[b];
    if (!(row >= 0 && row < rows)) {
      throw new RangeError(`Cannot gather a batch: index ${row} is outside [0, ${rows})`);
    }
    const src = row * size;
    for (let k = 0; k < size; k++) buffer[b * size + k] = source[src + k];
    labels[b] = split.labels[row];
  }
  let x = new Tensor(buffer, [indices.length, ...sample]);
  if (training && split.augment !== null) x = split.augment(x, rng);
  if (split.transform !== null) x = split.transform(x, rng);
  return { x, labels };
}

function target(st: State, labels: Int32Array, output: Tensor): Tensor | Int32Array {
  if (st.classTargets) return labels;
  const k = output.shape[1];
  const onehot = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) onehot[i * k + labels[i]] = 1;
  return new Tensor(onehot, [labels.length, k]);
}

Comlink.expose(api);
// The pool sends nothing before this (the entry imports this module asynchronously).
(globalThis as unknown as { postMessage(message: unknown): void }).postMessage(READY_MESSAGE);
