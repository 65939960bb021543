import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ALIGN,
  alignUp,
  allocateArenas,
  bindParameters,
  flatLayout,
  gradSlot,
  modelLayouts,
  packTensors,
  splitRange,
  unpackTensors,
} from "../../parallel/arena.ts";
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
  const flat = new Float32Array(arenas.params);
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
  assert.equal(new Float32Array(arenas.grads)[alignUp(12) + 6], 7);
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
