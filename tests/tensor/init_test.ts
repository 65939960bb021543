import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import { calculateFanInAndFanOut, calculateGain, kaimingNormal, kaimingUniform, xavierUniform } from "../../tensor/init.ts";

test("calculateFanInAndFanOut() follows torch for Linear and Conv2d weights", () => {
  assert.deepEqual(calculateFanInAndFanOut([10, 784]), [784, 10]);
  assert.deepEqual(calculateFanInAndFanOut([16, 8, 3, 3]), [72, 144]);
  assert.throws(() => calculateFanInAndFanOut([5]), TypeError);
});

test("calculateGain() matches torch.nn.init.calculate_gain", () => {
  assert.equal(calculateGain("relu"), Math.SQRT2);
  assert.equal(calculateGain("tanh"), 5 / 3);
  assert.ok(Math.abs(calculateGain("leaky_relu", Math.sqrt(5)) - Math.sqrt(1 / 3)) < 1e-12);
});

test("kaimingUniform() with a = sqrt(5) (PyTorch's Linear default) stays within 1/sqrt(fan_in) and fills it", () => {
  const w = Tensor.zeros([64, 100]);
  kaimingUniform(w, { a: Math.sqrt(5), rng: new Rng(0) });
  const bound = 1 / Math.sqrt(100);
  let max = 0;
  for (const v of w.data) max = Math.max(max, Math.abs(v));
  assert.ok(max <= bound && max > 0.95 * bound, `max ${max}, bound ${bound}`);
});

test("kaimingNormal() (fan_in, relu) has std sqrt(2 / fan_in)", () => {
  const w = Tensor.zeros([200, 50]);
  kaimingNormal(w, { nonlinearity: "relu", rng: new Rng(1) });
  let sumSq = 0;
  for (const v of w.data) sumSq += v * v;
  const std = Math.sqrt(sumSq / w.size);
  assert.ok(Math.abs(std - Math.sqrt(2 / 50)) < 0.01, `std ${std}`);
});

test("xavierUniform() stays within gain * sqrt(6 / (fan_in + fan_out))", () => {
  const w = Tensor.zeros([30, 20]);
  xavierUniform(w, 1, { rng: new Rng(2) });
  const a = Math.sqrt(6 / 50);
  for (const v of w.data) assert.ok(Math.abs(v) <= a);
});
