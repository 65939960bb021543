import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../tensor/tensor.ts";
import { Parameter } from "../../tensor/parameter.ts";
import { formatShape, normalizeDim, sizeOf, splitAtDim } from "../../tensor/shape.ts";
import { Rng } from "../../tensor/rng.ts";

test("Tensor: keeps the data it is given (no copy) and freezes its shape", () => {
  const data = new Float32Array(6);
  const t = new Tensor(data, [2, 3]);
  assert.equal(t.data, data);
  assert.equal(t.size, 6);
  assert.equal(t.ndim, 2);
  assert.throws(() => (t.shape as number[]).push(1));
});

test("Tensor: may view a SharedArrayBuffer", () => {
  const shared = new SharedArrayBuffer(4 * 8);
  const t = new Tensor(new Float32Array(shared, 8, 4), [2, 2]);
  t.data[0] = 3;
  assert.equal(new Float32Array(shared)[2], 3);
});

test("Tensor: a shape that does not match the data is a TypeError naming both", () => {
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /shape \[2, 3\] holds 6 elements but data has 5/);
  assert.throws(() => new Tensor(new Float32Array(2), [2, -1]), TypeError);
  assert.throws(() => new Tensor([1, 2] as unknown as Float32Array, [2]), /expected data to be a Float32Array/);
});

test("Tensor: the scalar shape [] holds one element", () => {
  const t = Tensor.full([], 5);
  assert.equal(t.size, 1);
  assert.equal(t.toArray(), 5);
});

test("Tensor.fromArray()/toArray() round-trip nested arrays", () => {
  const t = Tensor.fromArray([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual([...t.shape], [2, 3]);
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.throws(() => Tensor.fromArray([[1, 2], [3]]), /ragged/);
});

test("Tensor.reshape() shares data and infers -1", () => {
  const t = Tensor.zeros([2, 3, 4]);
  const r = t.reshape([6, -1]);
  assert.deepEqual([...r.shape], [6, 4]);
  assert.equal(r.data, t.data);
  assert.throws(() => t.reshape([5, 5]), /Cannot reshape Tensor: \[2, 3, 4\]/);
});

test("Tensor.randn() is reproducible with an explicit rng", () => {
  const a = Tensor.randn([10], { rng: new Rng(1) });
  const b = Tensor.randn([10], { rng: new Rng(1) });
  assert.deepEqual([...a.data], [...b.data]);
});

test("Tensor.clone()/copyFrom() copy values, not buffers", () => {
  const t = Tensor.fromArray([1, 2]);
  const c = t.clone();
  c.data[0] = 9;
  assert.equal(t.data[0], 1);
  t.copyFrom(c);
  assert.equal(t.data[0], 9);
  assert.throws(() => t.copyFrom(Tensor.zeros([3])), TypeError);
});

test("Parameter: grad starts at zero with the data's shape; bind() moves both onto given buffers", () => {
  const p = new Parameter(Tensor.fromArray([[1, 2], [3, 4]]));
  assert.deepEqual([...p.grad.data], [0, 0, 0, 0]);
  const shared = new Float32Array(new SharedArrayBuffer(32));
  p.bind(shared.subarray(0, 4), shared.subarray(4, 8));
  assert.deepEqual([...shared.subarray(0, 4)], [1, 2, 3, 4]);
  p.grad.data[0] = 5;
  assert.equal(shared[4], 5);
  assert.deepEqual([...p.shape], [2, 2]);
  assert.throws(() => p.bind(new Float32Array(3)), /expected buffers of 4 elements, got 3/);
});

test("shape helpers: sizeOf, formatShape, normalizeDim, splitAtDim", () => {
  assert.equal(sizeOf([2, 3, 4]), 24);
  assert.equal(sizeOf([]), 1);
  assert.equal(formatShape([8, 1, 28, 28]), "[8, 1, 28, 28]");
  assert.equal(normalizeDim(-1, 3, "x"), 2);
  assert.throws(() => normalizeDim(3, 3, "Softmax"), /Softmax: dim 3 is out of range for a tensor of rank 3/);
  assert.deepEqual(splitAtDim([2, 3, 4, 5], 1), [2, 3, 20]);
});
