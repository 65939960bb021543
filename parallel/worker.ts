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
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache } from "../tensor/buffers.ts";
import { manualSeed, type Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import { type AnyUpdateRule, optimizerRules } from "../optim/rules.ts";
import type { StateBuffers } from "../optim/optimizer.ts";
import type { TrainData } from "../train/trainer.ts";
import {
  type BatchSource,
  batchSource,
  countCorrect,
  createLoss,
  evaluateRows,
  gatherBatch,
  instantiateModel,
  lossTarget,
  type ReducingLoss,
} from "../train/_trainer_shared.ts";
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
  nonFiniteFlag,
  READY_MESSAGE,
  type SharedData,
  type StepReply,
  type StepRequest,
  type WorkerApi,
  workerSeed,
} from "./protocol.ts";

interface State {
  index: number;
  workers: number;
  model: Module;
  loss: ReducingLoss;
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
  /** The training batch's x, labels and one-hot targets, reused from step to step. */
  batchBuffers: BufferCache;
  evalBatchSize: number;
  splits: Partial<Record<"train" | "test", BatchSource>>;
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
    const { loss, classTargets } = createLoss(init.loss, "Cannot build the loss");
    const [lo, hi] = splitRange(init.params.total, workers, ALIGN)[index];
    const control = new Int32Array(arenas.control);
    s = {
      index,
      workers,
      model,
      loss,
      classTargets,
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
      batchBuffers: new BufferCache(),
      evalBatchSize: init.evalBatchSize,
      splits: {},
    };
  },

  setData(split, data, augment) {
    ready("setData").splits[split] = batchSource(sharedViews(data), augment);
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
    return evaluateRows(st, data, indices, st.evalBatchSize) satisfies EvalReply;
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
    const { x, labels } = gatherBatch(data, indices, true, st.rng, st.batchBuffers);
    st.model.train();
    const output = st.model.forward(x);
    const value = st.loss.forward(output, lossTarget(st.classTargets, labels, output, st.batchBuffers));
    // "mean" over the shard × shard/global size = this shard's part of the mean over the global batch.
    const scale = st.loss.reduction === "mean" ? n / globalCount : 1;
    loss = value * scale;
    correct = countCorrect(output, labels, null);
    finite = Number.isFinite(value);
    if (finite) {
      const grad = st.loss.backward();
      if (scale !== 1) { for (let i = 0; i < grad.data.length; i++) grad.data[i] *= scale; }
      st.model.backwardParameters(grad);
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

/** `TrainData` views of a dataset in shared memory (no copy). */
function sharedViews(data: SharedData): TrainData {
  if (data.kind === "vectors") {
    return {
      kind: "vectors",
      x: new Float32Array(data.x),
      shape: data.shape,
      labels: new Int32Array(data.labels),
    };
  }
  return {
    kind: "images",
    images: new Uint8Array(data.images),
    shape: data.shape,
    labels: new Int32Array(data.labels),
    mean: data.mean,
    std: data.std,
  };
}

Comlink.expose(api);
// The pool sends nothing before this (the entry imports this module asynchronously).
(globalThis as unknown as { postMessage(message: unknown): void }).postMessage(READY_MESSAGE);
