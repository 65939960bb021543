/**
 * Shared-memory arenas of the data-parallel trainer: the flat parameter vector, one
 * gradient slot per worker and the optimizer state in one shared WebAssembly.Memory, and
 * the model buffers and control words in SharedArrayBuffers, all viewed by every worker.
 */

import type { Module } from "../layers/module.ts";
import type { Parameter } from "../tensor/parameter.ts";
import type { Tensor } from "../tensor/tensor.ts";
import {
  allocateSharedMemory,
  growSharedMemory,
  sharedMemoryFloats,
} from "../tensor/kernels/mod.ts";

/** Floats per 64-byte cache line: slot strides and shard boundaries are multiples of it (no false sharing). */
export const ALIGN = 16;

/** `n` rounded up to a multiple of `align`. */
export function alignUp(n: number, align = ALIGN): number {
  return Math.ceil(n / align) * align;
}

/**
 * Splits `[0, total)` into `parts` contiguous ranges `[lo, hi)` as equal as `align`
 * allows: every inner boundary is a multiple of `align`; ranges may be empty.
 * `splitRange(10, 3)` → `[[0, 4], [4, 7], [7, 10]]` (the first `total mod parts` get one more).
 */
export function splitRange(total: number, parts: number, align = 1): [number, number][] {
  const out: [number, number][] = [];
  const units = Math.ceil(total / align);
  const base = Math.floor(units / parts);
  const extra = units % parts;
  let lo = 0;
  for (let i = 0; i < parts; i++) {
    const hi = Math.min(total, lo + (base + (i < extra ? 1 : 0)) * align);
    out.push([lo, hi]);
    lo = hi;
  }
  return out;
}

/** Where each tensor of a list sits in one flat vector (packed, in list order). */
export interface FlatLayout {
  /** PyTorch names (`"0.weight"`), in order. */
  names: string[];
  /** Shapes, in order. */
  shapes: number[][];
  /** Element offset of each tensor in the flat vector. */
  offsets: number[];
  /** Total elements. */
  total: number;
}

/** The layout of `entries` packed back to back. */
export function flatLayout(
  entries: [string, { shape: readonly number[]; size: number }][],
): FlatLayout {
  const layout: FlatLayout = { names: [], shapes: [], offsets: [], total: 0 };
  for (const [name, t] of entries) {
    layout.names.push(name);
    layout.shapes.push([...t.shape]);
    layout.offsets.push(layout.total);
    layout.total += t.size;
  }
  return layout;
}

/** Parameters in `parameters()` order, and buffers (running statistics) in `namedBuffers()` order. */
export function modelLayouts(model: Module): { params: FlatLayout; buffers: FlatLayout } {
  return { params: flatLayout(model.namedParameters()), buffers: flatLayout(model.namedBuffers()) };
}

/**
 * `length` floats at byte `offset` of the arenas' shared memory, or of `buffer` where that is
 * not null (a model whose arenas do not fit the memory's 4 GiB, or state the memory could not
 * grow for).
 */
export interface FloatRegion {
  buffer: SharedArrayBuffer | null;
  offset: number;
  length: number;
}

/**
 * The shared memory of one trainer (structured-cloneable: postMessage shares, never copies, it).
 * Parameters, gradient slots and optimizer state live in one shared WebAssembly.Memory, so the
 * elementwise kernels (optimizer step, finiteness checks) run on them in place in every worker
 * (tensor/kernels/wasm/shared_memory.ts).
 */
export interface Arenas {
  /** Holds every region whose `buffer` is null; null itself where none fits in 4 GiB. */
  memory: WebAssembly.Memory | null;
  /** Parameters: `P` floats. */
  params: FloatRegion;
  /** Gradients: `workers` slots of `alignUp(P)` floats; worker w accumulates into slot w. */
  grads: FloatRegion;
  /** Model buffers (BatchNorm running statistics), worker 0's: `B` floats. */
  buffers: SharedArrayBuffer;
  /** Optimizer state: one `P`-float region per state name (`momentum_buffer`, `exp_avg`...). */
  state: Record<string, FloatRegion>;
  /** Int32 control words (barrier, per-worker flags); see data_parallel.ts. */
  control: SharedArrayBuffer;
}

/** Most optimizer-state buffers a rule keeps per parameter (Adam with amsgrad; centered RMSprop with momentum). */
const MAX_STATE_BUFFERS = 3;

/** Allocates zeroed arenas for `paramCount` parameters, `bufferCount` buffer floats and `workers` slots. */
export function allocateArenas(
  paramCount: number,
  bufferCount: number,
  workers: number,
  controlWords: number,
): Arenas {
  const paramBytes = alignBytes(4 * paramCount);
  const gradBytes = 4 * alignUp(paramCount) * workers;
  const memory = allocateSharedMemory(
    paramBytes + gradBytes,
    paramBytes + gradBytes + MAX_STATE_BUFFERS * paramBytes,
  );
  const region = (offset: number, length: number): FloatRegion =>
    memory === null
      ? { buffer: new SharedArrayBuffer(4 * length), offset: 0, length }
      : { buffer: null, offset, length };
  return {
    memory,
    params: region(0, paramCount),
    grads: region(paramBytes, alignUp(paramCount) * workers),
    buffers: new SharedArrayBuffer(4 * bufferCount),
    state: {},
    control: new SharedArrayBuffer(4 * controlWords),
  };
}

/** The floats of `region` (registered with the in-place kernels where they are in `arenas.memory`). */
export function regionFloats(arenas: Pick<Arenas, "memory">, region: FloatRegion): Float32Array {
  if (region.buffer !== null) return new Float32Array(region.buffer, region.offset, region.length);
  if (arenas.memory === null) {
    throw new TypeError(
      "Cannot view an arena region: it lies in a shared memory the arenas do not have",
    );
  }
  return sharedMemoryFloats(arenas.memory, region.offset, region.length);
}

/**
 * Lays out `model` and allocates its arenas: the parameters are copied in and the model's
 * Parameters bound to them (its `data` now IS the shared memory), the buffers copied in,
 * and one state buffer per entry of `state` (name → initial value) allocated.
 */
export function arenasForModel(
  model: Module,
  workers: number,
  controlWords: number,
  state: Record<string, number>,
): { arenas: Arenas; layouts: { params: FlatLayout; buffers: FlatLayout } } {
  const layouts = modelLayouts(model);
  const paramCount = layouts.params.total;
  const arenas = allocateArenas(paramCount, layouts.buffers.total, workers, controlWords);
  const params = regionFloats(arenas, arenas.params);
  bindParameters(model.parameters(), layouts.params, params, null, { copy: true });
  const buffers = model.namedBuffers().map(([, t]) => t);
  packTensors(buffers, layouts.buffers, new Float32Array(arenas.buffers));
  for (const [name, value] of Object.entries(state)) {
    arenas.state[name] = allocateState(arenas, value);
  }
  return { arenas, layouts };
}

/**
 * A fresh optimizer-state region of `P` floats filled with `value`, after every region so far in
 * the shared memory (grown for it), or in a SharedArrayBuffer of its own where it cannot grow.
 */
export function allocateState(arenas: Arenas, value: number): FloatRegion {
  const length = arenas.params.length;
  let region: FloatRegion = { buffer: new SharedArrayBuffer(4 * length), offset: 0, length };
  if (arenas.memory !== null) {
    const inMemory = [arenas.params, arenas.grads, ...Object.values(arenas.state)]
      .filter((r) => r.buffer === null);
    const offset = alignBytes(Math.max(...inMemory.map((r) => r.offset + 4 * r.length)));
    if (growSharedMemory(arenas.memory, offset + 4 * length)) {
      region = { buffer: null, offset, length };
    }
  }
  if (value !== 0) regionFloats(arenas, region).fill(value);
  return region;
}

/** Worker `w`'s gradient slot: `P` floats starting at `w · alignUp(P)`. */
export function gradSlot(arenas: Arenas, paramCount: number, w: number): Float32Array {
  const start = alignUp(paramCount) * w;
  return regionFloats(arenas, arenas.grads).subarray(start, start + paramCount);
}

/** `bytes` rounded up to a whole 64-byte cache line. */
function alignBytes(bytes: number): number {
  return 4 * alignUp(bytes / 4);
}

/**
 * Moves every parameter's `data` (and `grad`, if `grads` is given) onto views of the
 * flat vectors at `layout`'s offsets. `copy: true` writes the current values into
 * `params` first (the process that initializes the arena); workers bind with `copy: false`.
 */
export function bindParameters(
  parameters: Parameter[],
  layout: FlatLayout,
  params: Float32Array,
  grads: Float32Array | null,
  { copy }: { copy: boolean },
): void {
  if (parameters.length !== layout.names.length) {
    throw new TypeError(
      `Cannot bind parameters: the model has ${parameters.length} parameters, the arena layout ${layout.names.length}`,
    );
  }
  parameters.forEach((p, k) => {
    const lo = layout.offsets[k];
    const hi = lo + p.size;
    p.bind(params.subarray(lo, hi), grads?.subarray(lo, hi), { copy });
  });
}

/** Copies tensors (in layout order) into the flat vector. */
export function packTensors(tensors: Tensor[], layout: FlatLayout, flat: Float32Array): void {
  tensors.forEach((t, k) => flat.set(t.data, layout.offsets[k]));
}

/** Copies the flat vector back into tensors (in layout order), in place. */
export function unpackTensors(flat: Float32Array, layout: FlatLayout, tensors: Tensor[]): void {
  tensors.forEach((t, k) =>
    t.data.set(flat.subarray(layout.offsets[k], layout.offsets[k] + t.size))
  );
}
