import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ALIGN,
  alignUp,
  allocateArenas,
  allocateState,
  type Arenas,
  bindParameters,
  flatLayout,
  type FloatRegion,
  gradSlot,
  modelLayouts,
  packTensors,
  regionFloats,
  splitRange,
  unpackTensors,
} from "../../parallel/arena.ts";
import {
  allocateSharedMemory,
  firstNonFinite,
  growSharedMemory,
  inPlaceKernels,
  sgdKernel,
  wasmSimdSupported,
} from "../../tensor/kernels/mod.ts";
import { buildModel } from "../../layers/spec.ts";
import { Tensor } from "../../tensor/tensor.ts";

const SPLITS: { total: number; parts: number; align?: number; expected: [number, number][] }[] = [
  { total: 10, parts: 3, expected: [[0, 4], [4, 7], [7, 10]] },
  { total: 9, parts: 3, expected: [[0, 3], [3, 6], [6, 9]] },
  { total: 2, parts: 3, expected: [[0, 1], [1, 2], [2, 2]] },
  { total: 100, parts: 3, align: 16, expected: [[0, 48], [48, 80], [80, 100]] },
  { total: 5, parts: 2, align: 16, expected: [[0, 5], [5, 5]] },
];

for (const { total, parts, align, expected } of SPLITS) {
  test(`splitRange(${total}, ${parts}${align ? `, ${align}` : ""}) gives ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(splitRange(total, parts, align), expected);
  });
}

test("alignUp() rounds up to whole cache lines of floats", () => {
  assert.equal(ALIGN, 16);
  assert.deepEqual([0, 1, 16, 17].map((n) => alignUp(n)), [0, 16, 16, 32]);
});

test("flatLayout() packs tensors back to back in order", () => {
  const layout = flatLayout([["a", Tensor.zeros([2, 3])], ["b", Tensor.zeros([4])]]);
  assert.deepEqual(layout, {
    names: ["a", "b"],
    shapes: [[2, 3], [4]],
    offsets: [0, 6],
    total: 10,
  });
});

test("bindParameters() moves parameters onto the arena in parameters() order, slots one per worker", () => {
  const model = buildModel({
    layers: [{ type: "linear", inFeatures: 3, outFeatures: 2 }, {
      type: "batchnorm1d",
      numFeatures: 2,
    }],
  });
  const before = model.parameters().map((p) => Array.from(p.data.data));
  const layouts = modelLayouts(model);
  assert.deepEqual(layouts.params.offsets, [0, 6, 8, 10]);
  assert.deepEqual(layouts.buffers.names, [
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
  ]);
  const arenas = allocateArenas(layouts.params.total, layouts.buffers.total, 2, 8);
  const flat = regionFloats(arenas, arenas.params);
  bindParameters(
    model.parameters(),
    layouts.params,
    flat,
    gradSlot(arenas, layouts.params.total, 1),
    { copy: true },
  );
  assert.deepEqual(Array.from(flat), before.flat());
  flat[0] = 42;
  assert.equal(model.parameters()[0].data.data[0], 42);
  model.parameters()[1].grad.data[0] = 7;
  assert.equal(regionFloats(arenas, arenas.grads)[alignUp(12) + 6], 7);
});

test("allocateArenas() puts parameters and gradient slots in one shared WebAssembly.Memory, on cache lines", () => {
  const arenas = allocateArenas(1001, 3, 2, 8);
  assert.ok(arenas.memory instanceof WebAssembly.Memory);
  assert.ok(arenas.memory.buffer instanceof SharedArrayBuffer, "a shared memory");
  assert.deepEqual(arenas.params, { buffer: null, offset: 0, length: 1001 });
  assert.deepEqual(arenas.grads, {
    buffer: null,
    offset: 4 * alignUp(1001),
    length: 2 * alignUp(1001),
  });
  const params = regionFloats(arenas, arenas.params);
  const slot1 = gradSlot(arenas, 1001, 1);
  assert.equal(slot1.byteOffset, 4 * alignUp(1001) * 2);
  assert.equal(slot1.length, 1001);
  params.fill(1);
  slot1.fill(2);
  assert.equal(regionFloats(arenas, arenas.grads)[0], 0, "slot 0 untouched");
  assert.equal(params[1000], 1);
});

test("allocateState() appends zeroed or filled state to the memory, growing it, and the kernels run there in place", () => {
  const arenas = allocateArenas(5000, 0, 1, 8);
  const before = arenas.memory!.buffer.byteLength;
  arenas.state.momentum_buffer = allocateState(arenas, 0);
  arenas.state.square_avg = allocateState(arenas, 0.5);
  const m = arenas.state.momentum_buffer, v = arenas.state.square_avg;
  assert.equal(m.buffer, null);
  assert.equal(v.buffer, null);
  assert.equal(m.offset, arenas.grads.offset + 4 * arenas.grads.length);
  assert.equal(v.offset, m.offset + 4 * alignUp(5000));
  assert.ok(arenas.memory!.buffer.byteLength > before, "the memory grew");
  assert.ok(regionFloats(arenas, v).every((x) => x === 0.5));
  // Views of the memory are what the in-place kernels recognize (no copy in and out).
  const p = regionFloats(arenas, arenas.params), g = gradSlot(arenas, 5000, 0);
  const b = regionFloats(arenas, m);
  if (wasmSimdSupported()) assert.notEqual(inPlaceKernels([p, g, b]), null);
  assert.equal(inPlaceKernels([p, new Float32Array(5000)]), null, "a private array: copies");
  p.fill(1);
  g.fill(0.5);
  g[4999] = Infinity;
  sgdKernel(p, g, b, 0, 4999, 0.1, 0.9, 0, 0, 1, true, false);
  assert.equal(p[0], Math.fround(1 - Math.fround(0.1) * 0.5));
  assert.equal(b[4998], 0.5);
  assert.equal(p[4999], 1, "hi is exclusive");
  assert.equal(firstNonFinite(g, 0, 5000), 4999);
  assert.equal(firstNonFinite(g, 0, 4999), -1);
});

test("allocateState() falls back to a SharedArrayBuffer of its own where the memory cannot grow", () => {
  // The memory's maximum leaves room for three state buffers (the most a rule keeps): the fourth
  // and fifth get buffers of their own, which the kernels copy as any other array.
  const arenas = allocateArenas(20000, 0, 1, 8);
  const names = ["a", "b", "c", "d", "e"];
  for (const name of names) arenas.state[name] = allocateState(arenas, 1);
  assert.deepEqual(names.filter((n) => arenas.state[n].buffer !== null), ["d", "e"]);
  for (const name of names) {
    assert.ok(regionFloats(arenas, arenas.state[name]).every((x) => x === 1));
  }
  assert.equal(inPlaceKernels([regionFloats(arenas, arenas.state.d)]), null);
});

test("packTensors() and unpackTensors() copy buffers to and from the flat arena", () => {
  const tensors = [Tensor.fromArray([1, 2]), Tensor.fromArray([3])];
  const layout = flatLayout([["x", tensors[0]], ["y", tensors[1]]]);
  const flat = new Float32Array(3);
  packTensors(tensors, layout, flat);
  assert.deepEqual(Array.from(flat), [1, 2, 3]);
  flat.set([4, 5, 6]);
  unpackTensors(flat, layout, tensors);
  assert.deepEqual([tensors[0].toArray(), tensors[1].toArray()], [[4, 5], [6]]);
});

test("arenas without a shared memory (past 4 GiB) keep every region in a SharedArrayBuffer of its own", () => {
  // What allocateArenas builds when allocateSharedMemory returns null.
  const region = (length: number): FloatRegion => ({
    buffer: new SharedArrayBuffer(4 * length),
    offset: 0,
    length,
  });
  const arenas: Arenas = {
    memory: null,
    params: region(10),
    grads: region(2 * alignUp(10)),
    buffers: new SharedArrayBuffer(0),
    state: {},
    control: new SharedArrayBuffer(32),
  };
  arenas.state.exp_avg_sq = allocateState(arenas, 0.25);
  assert.ok(arenas.state.exp_avg_sq.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(
    Array.from(regionFloats(arenas, arenas.state.exp_avg_sq)),
    new Array(10).fill(0.25),
  );
  const slot = gradSlot(arenas, 10, 1);
  slot[9] = 3;
  assert.equal(new Float32Array(arenas.grads.buffer!)[alignUp(10) + 9], 3);
  assert.equal(inPlaceKernels([regionFloats(arenas, arenas.params), slot]), null);
  assert.throws(
    () => regionFloats(arenas, { buffer: null, offset: 0, length: 1 }),
    /lies in a shared memory the arenas do not have/,
  );
});

test("allocateSharedMemory() refuses more than a 32-bit memory holds (4 GiB) with null, and growth past the maximum with false", () => {
  assert.equal(allocateSharedMemory(2 ** 32 + 1, 2 ** 33), null);
  const memory = allocateSharedMemory(65536, 2 * 65536)!;
  assert.equal(memory.buffer.byteLength, 65536);
  assert.equal(growSharedMemory(memory, 3 * 65536), false);
  assert.equal(memory.buffer.byteLength, 65536, "unchanged");
  assert.equal(growSharedMemory(memory, 2 * 65536), true);
  assert.equal(memory.buffer.byteLength, 2 * 65536);
});
