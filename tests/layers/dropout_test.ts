import { test } from "node:test";
import assert from "node:assert/strict";
import { Dropout } from "../../layers/dropout.ts";
import { Module } from "../../layers/module.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkModuleGradients } from "../_helpers/gradcheck.ts";
import { randomTensor } from "./_inputs.ts";

/** Reseeds the dropout's generator before each forward, so the checker sees one fixed mask. */
class FixedMask extends Module {
  constructor(readonly inner: Dropout, readonly rng: Rng) {
    super();
  }
  forward(input: Tensor): Tensor {
    this.rng.seed(42);
    return this.inner.forward(input);
  }
  backward(gradOutput: Tensor): Tensor {
    return this.inner.backward(gradOutput);
  }
  override children(): [string, Module][] {
    return [["inner", this.inner]];
  }
}

const GRAD_CASES: { name: string; make: () => Module }[] = [
  {
    name: "p 0.3, training (fixed mask)",
    make: () => {
      const rng = new Rng(0);
      return new FixedMask(new Dropout({ p: 0.3, rng }), rng);
    },
  },
  { name: "p 0.5, eval", make: () => new Dropout({ p: 0.5 }).eval() },
  { name: "p 0, training", make: () => new Dropout({ p: 0 }) },
];

for (const { name, make } of GRAD_CASES) {
  test(`Dropout.backward() matches finite differences: ${name}`, () => {
    checkModuleGradients(make(), randomTensor([4, 6], 1));
  });
}

test("Dropout.forward() in training zeroes about p of the elements and scales the rest by 1/(1 − p)", () => {
  const x = randomTensor([100, 100], 2, 0.5, 1);
  const y = new Dropout({ p: 0.3, rng: new Rng(3) }).forward(x);
  let zeros = 0;
  for (let i = 0; i < x.size; i++) {
    if (y.data[i] === 0) zeros++;
    else {assert.ok(
        Math.abs(y.data[i] - x.data[i] / 0.7) < 1e-6,
        `element ${i}: ${y.data[i]} ≠ ${x.data[i]} / 0.7`,
      );}
  }
  assert.ok(
    Math.abs(zeros / x.size - 0.3) < 0.02,
    `dropped fraction ${zeros / x.size}, expected ≈ 0.3`,
  );
});

test("Dropout.backward() uses the mask of the last forward", () => {
  const drop = new Dropout({ p: 0.5, rng: new Rng(4) });
  const y = drop.forward(Tensor.ones([64]));
  const gx = drop.backward(Tensor.full([64], 3));
  for (let i = 0; i < 64; i++) assert.equal(gx.data[i], 3 * y.data[i]);
});

test("Dropout.forward() with the same seed draws the same mask, and a new mask each call", () => {
  const a = new Dropout({ rng: new Rng(5) });
  const b = new Dropout({ rng: new Rng(5) });
  const x = Tensor.ones([50]);
  const ya = a.forward(x).clone(); // the next training-mode forward reuses the output buffer
  assert.deepEqual(ya.data, b.forward(x).data);
  assert.notDeepEqual(ya.data, a.forward(x).data);
});

test("Dropout.forward() in eval mode returns the input itself and backward passes the gradient through", () => {
  const drop = new Dropout({ p: 0.9 }).eval();
  const x = randomTensor([3, 3], 6);
  assert.equal(drop.forward(x), x);
  const g = randomTensor([3, 3], 7);
  assert.equal(drop.backward(g), g);
});

for (const p of [1, -0.1, 1.5, NaN]) {
  test(`Dropout() rejects p = ${p} with a RangeError (p must be in [0, 1))`, () => {
    assert.throws(() => new Dropout({ p }), {
      name: "RangeError",
      message: /Cannot create Dropout: expected p .* in \[0, 1\), got/,
    });
  });
}

test("Dropout.toString() prints like PyTorch", () => {
  assert.equal(String(new Dropout({ p: 0.2 })), "Dropout(p=0.2, inplace=False)");
  assert.equal(String(new Dropout()), "Dropout(p=0.5, inplace=False)");
});

test("Dropout.backward() before forward() is a clear error", () => {
  assert.throws(
    () => new Dropout().backward(Tensor.zeros([2])),
    /Cannot run Dropout\.backward: .*forward/,
  );
});
