/**
 * The worker entry of DataParallel: builds its copy of the model on shared parameter
 * memory, trains on its shard of each batch into its own gradient slot, and updates
 * its slice of the parameter vector (reduce-scatter + sharded optimizer step).
 *
 * Started by the pool (_pool.ts) as a node:worker_threads Worker on `_worker_entry.js`,
 * whose only job is to import this module (see there why), or in a browser as a module Web
 * Worker on this module's bundle; exposes `WorkerApi` (protocol.ts) through comlink on the
 * endpoint to its parent (_platform.ts), then posts `READY_MESSAGE`. It bumps its
 * heartbeat (barrier.ts) while it works, so the main thread can tell it from a stuck one.
 */

import * as Comlink from "comlink";
import { firstNonFinite, sumIntoFinite, zeroFloats } from "../tensor/kernels/mod.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BufferCache, reusingBuffers } from "../tensor/buffers.ts";
import { manualSeed, type Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import { type AnyUpdateRule, optimizerRules } from "../optim/rules.ts";
import type { StateBuffers } from "../optim/optimizer.ts";
import type { TrainData } from "../trainer/trainer.ts";
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
} from "../trainer/_trainer_shared.ts";
import {
  ALIGN,
  type Arenas,
  bindParameters,
  type FlatLayout,
  gradSlot,
  packTensors,
  regionFloats,
  splitRange,
  unpackTensors,
} from "./arena.ts";
import { Barrier, BarrierAbortedError, BarrierTimeoutError } from "./barrier.ts";
import {
  type EvalReply,
  FAULT,
  faultFlag,
  READY_MESSAGE,
  type SharedData,
  type StepFault,
  type StepReply,
  type StepRequest,
  type WorkerApi,
  workerSeed,
} from "./protocol.ts";
import { collectGarbage, parentEndpoint } from "./_platform.ts";
import { SLICE_MS } from "./_stall_clock.ts";

/**
 * Eval chunks between full collections where the runtime offers one (collectGarbage): under
 * Bun a cifar-cnn test pass of 10000 images on 2 workers then peaks at 1.5 GB, not 3.1 GB.
 */
const GC_EVERY_CHUNKS = 8;

interface State {
  index: number;
  workers: number;
  model: Module;
  loss: ReducingLoss;
  classTargets: boolean;
  rule: AnyUpdateRule;
  arenas: Arenas;
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

/** The state, after a heartbeat (every call beats once on entry). */
function beat(method: string): State {
  if (s === null) throw new Error(`Cannot run worker.${method}: the worker is not initialized`);
  s.barrier.beat(s.index);
  return s;
}

/** What this module exposes through comlink (protocol.ts's `WorkerApi`). */
export type WorkerHandlers = WorkerApi;

const api: WorkerHandlers = {
  async init(init) {
    const { workerIndex: index, workers, arenas } = init;
    const control = new Int32Array(arenas.control);
    const barrier = new Barrier(control, workers, init.timeoutMs);
    const rng = manualSeed(workerSeed(init.seed, index));
    // Loading a model module is asynchronous: beat from a timer meanwhile (a loop in it stops the beats).
    const beating = setInterval(() => barrier.beat(index), SLICE_MS);
    let model: Module;
    try {
      model = await instantiateModel(init.model, { workerIndex: index, workers });
    } finally {
      clearInterval(beating);
    }
    const params = regionFloats(arenas, arenas.params);
    const slots = Array.from({ length: workers }, (_, w) => gradSlot(arenas, init.params.total, w));
    bindParameters(model.parameters(), init.params, params, slots[index], { copy: false });
    const { loss, classTargets } = createLoss(init.loss, "Cannot build the loss");
    const [lo, hi] = splitRange(init.params.total, workers, ALIGN)[index];
    s = {
      index,
      workers,
      model,
      loss,
      classTargets,
      rule: optimizerRules[init.optimizer] as AnyUpdateRule,
      params,
      slots,
      arenas,
      state: Object.fromEntries(
        Object.entries(arenas.state).map(([k, v]) => [k, regionFloats(arenas, v)]),
      ),
      bufferLayout: init.buffers,
      bufferFlat: new Float32Array(arenas.buffers),
      bufferTensors: model.namedBuffers().map(([, t]) => t),
      control,
      barrier,
      lo,
      hi,
      rng: rng.fork(1),
      batchBuffers: new BufferCache(),
      evalBatchSize: init.evalBatchSize,
      splits: {},
    };
  },

  setData(split, data, augment) {
    beat("setData").splits[split] = batchSource(sharedViews(data), augment);
  },

  addState(name, region) {
    const st = beat("addState");
    st.state[name] = regionFloats(st.arenas, region);
  },

  step(requests, firstStep) {
    const st = beat("step");
    // Flags of the previous call are stale; every worker clears its own before its first barrier.
    Atomics.store(st.control, faultFlag(st.workers, st.index), 0);
    try {
      const replies: StepReply[] = [];
      let step = firstStep;
      for (const request of requests) {
        const { reply, stop } = trainStep(st, request, step);
        if (reply.updated) step++;
        replies.push(reply);
        if (stop) break;
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
    const st = beat("evaluate");
    const data = st.splits[split];
    if (data === undefined) {
      throw new Error(`Cannot evaluate: no "${split}" data in worker ${st.index}`);
    }
    if (st.index !== 0) unpackTensors(st.bufferFlat, st.bufferLayout, st.bufferTensors);
    let chunks = 0;
    const onChunk = () => {
      st.barrier.beat(st.index);
      if (++chunks % GC_EVERY_CHUNKS === 0) collectGarbage();
    };
    // Each chunk's output is read (loss, arg-max) before the next forward and none is kept,
    // so the eval-mode layers may reuse their buffers instead of allocating them per chunk.
    return reusingBuffers(() =>
      evaluateRows(st, data, indices, st.evalBatchSize, onChunk)
    ) satisfies EvalReply;
  },

  loadBuffers() {
    const st = beat("loadBuffers");
    unpackTensors(st.bufferFlat, st.bufferLayout, st.bufferTensors);
  },

  reseed(seed) {
    const st = beat("reseed");
    const derived = workerSeed(seed, st.index);
    manualSeed(derived);
    st.rng.seed(derived ^ 0x5bd1e995);
  },
};

/**
 * Forward/backward of this shard into the own slot; barrier; reduce of the own slice with
 * a finiteness check; barrier (no slice is applied unless all are finite); update of the
 * own slice; barrier. `stop` ends the call after a non-finite loss, gradient or parameter.
 */
function trainStep(
  st: State,
  request: StepRequest,
  step: number,
): { reply: StepReply; stop: boolean } {
  const t0 = performance.now();
  const { indices, globalCount } = request;
  const { index, workers, barrier } = st;
  const n = indices.length;
  zeroFloats(st.slots[index], 0, st.slots[index].length);
  let loss = 0;
  let correct = 0;
  let fault: StepFault | null = null;
  if (n > 0) {
    const data = st.splits.train;
    if (data === undefined) {
      throw new Error(`Cannot run a step: no "train" data in worker ${index}`);
    }
    const { x, labels } = gatherBatch(data, indices, true, st.rng, st.batchBuffers);
    st.model.train();
    barrier.beat(index);
    const output = st.model.forward(x);
    barrier.beat(index);
    const value = st.loss.forward(
      output,
      lossTarget(st.classTargets, labels, output, st.batchBuffers),
    );
    // "mean" over the shard × shard/global size = this shard's part of the mean over the global batch.
    const scale = st.loss.reduction === "mean" ? n / globalCount : 1;
    loss = value * scale;
    correct = countCorrect(output, labels, null);
    if (Number.isFinite(value)) {
      const grad = st.loss.backward();
      if (scale !== 1) { for (let i = 0; i < grad.data.length; i++) grad.data[i] *= scale; }
      st.model.backwardParameters(grad);
    } else {
      fault = { kind: "loss", value, index: -1 };
      Atomics.store(st.control, faultFlag(workers, index), FAULT.loss);
    }
  }
  const t1 = performance.now();
  barrier.wait(index);
  const t2 = performance.now();
  let updated = !anyFault(st, FAULT.loss);
  if (updated) {
    const { lo, hi, slots } = st;
    // One worker has nothing to add: only the check, by the active (WebAssembly) firstNonFinite.
    const bad = workers > 1
      ? sumIntoFinite(slots[0], slots.slice(1), lo, hi)
      : firstNonFinite(slots[0], lo, hi);
    if (bad >= 0) {
      fault = { kind: "gradient", value: slots[0][bad], index: bad };
      Atomics.store(st.control, faultFlag(workers, index), FAULT.gradient);
    }
    if (workers > 1) barrier.wait(index);
    updated = !anyFault(st, FAULT.gradient);
  }
  if (updated) {
    st.rule.update(st.params, st.slots[0], st.state, step, request.hp as never, st.lo, st.hi);
    const bad = firstNonFinite(st.params, st.lo, st.hi);
    if (bad >= 0) {
      fault = { kind: "parameter", value: st.params[bad], index: bad };
      Atomics.store(st.control, faultFlag(workers, index), FAULT.parameter);
    }
  }
  if (index === 0) packTensors(st.bufferTensors, st.bufferLayout, st.bufferFlat);
  const t3 = performance.now();
  barrier.wait(index);
  const stop = !updated || anyFault(st, FAULT.parameter);
  const reply = { loss, correct, count: n, updated, fault, computeMs: t1 - t0, updateMs: t3 - t2 };
  return { reply, stop };
}

/** Whether some worker's fault flag holds `code` (read right after the barrier that follows its writes). */
function anyFault(st: State, code: number): boolean {
  for (let w = 0; w < st.workers; w++) {
    if (Atomics.load(st.control, faultFlag(st.workers, w)) === code) return true;
  }
  return false;
}

/** `TrainData` views of a dataset in shared memory (no copy). */
function sharedViews(data: SharedData): TrainData {
  if (data.kind === "tokens") {
    return {
      kind: "tokens",
      tokens: new Int32Array(data.tokens),
      shape: data.shape,
      vocabSize: data.vocabSize,
    };
  }
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

const port = parentEndpoint();
Comlink.expose(api, port);
// The pool sends nothing before this (the entry imports this module asynchronously).
port.postMessage(READY_MESSAGE);
