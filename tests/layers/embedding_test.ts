import { test } from "node:test";
import assert from "node:assert/strict";
import { Embedding } from "../../layers/embedding.ts";
import { LSTM } from "../../layers/rnn.ts";
import { Linear } from "../../layers/linear.ts";
import { Sequential } from "../../layers/sequential.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";

function row(emb: Embedding, i: number): number[] {
  const d = emb.embeddingDim;
  return Array.from(emb.weight.data.data.subarray(i * d, (i + 1) * d));
}

test("Embedding.forwardIndices() gathers one row per index: [2, 3] indices → [2, 3, dim]", () => {
  const emb = new Embedding(10, 4, { rng: new Rng(1) });
  const indices = new Int32Array([3, 0, 9, 3, 7, 1]);
  const y = emb.forwardIndices(indices, [2, 3]);
  assert.deepEqual(y.shape, [2, 3, 4]);
  for (let k = 0; k < 6; k++) {
    assert.deepEqual(Array.from(y.data.subarray(4 * k, 4 * k + 4)), row(emb, indices[k]));
  }
  // The same through forward(Tensor) with integer values, through a Uint8Array, and with the default 1-D shape.
  const viaTensor = emb.forward(new Tensor(Float32Array.from(indices), [3, 2]));
  assert.deepEqual(viaTensor.shape, [3, 2, 4]);
  assert.deepEqual(Array.from(viaTensor.data), Array.from(y.data));
  assert.deepEqual(
    Array.from(emb.forwardIndices(Uint8Array.from(indices)).data),
    Array.from(y.data),
  );
  assert.deepEqual(emb.forwardIndices(indices).shape, [6, 4]);
  assert.deepEqual(emb.forward(Tensor.full([], 2)).shape, [4], "a scalar index gives one row");
});

test("Embedding: weight is drawn from N(0, 1) as PyTorch, the paddingIdx row zeroed (negative paddingIdx counts from the end)", () => {
  const emb = new Embedding(1000, 16, { paddingIdx: -1, rng: new Rng(2) });
  assert.equal(emb.paddingIdx, 999);
  assert.deepEqual(row(emb, 999), new Array(16).fill(0));
  const d = emb.weight.data.data.subarray(0, 999 * 16);
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  const again = new Embedding(1000, 16, { paddingIdx: -1, rng: new Rng(2) });
  assert.deepEqual(Array.from(again.weight.data.data), Array.from(emb.weight.data.data));
});

test("Embedding.backward() scatters (accumulates) dL/dy into the looked-up rows, none into paddingIdx, and returns zeros of the input's shape", () => {
  const emb = new Embedding(5, 2, { paddingIdx: 0, rng: new Rng(3) });
  const y = emb.forwardIndices(new Int32Array([1, 0, 1, 4]), [2, 2]);
  const gy = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), y.shape);
  const gx = emb.backward(gy);
  assert.deepEqual(gx.shape, [2, 2]);
  assert.ok(gx.data.every((v) => v === 0));
  assert.deepEqual(Array.from(emb.weight.grad.data), [0, 0, 1 + 5, 2 + 6, 0, 0, 0, 0, 7, 8]);
  emb.backwardParameters(gy);
  assert.deepEqual(Array.from(emb.weight.grad.data), [0, 0, 12, 16, 0, 0, 0, 0, 14, 16]);
});

test("Embedding: every weight gradient passes the finite-difference check (repeated indices, 3-D input)", () => {
  const emb = new Embedding(6, 3, { rng: new Rng(4) });
  const indices = new Tensor(Float32Array.from([0, 1, 2, 1, 5, 5, 3, 2, 0, 1, 1, 4]), [2, 3, 2]);
  checkModuleGradients(emb, indices, { checkInput: false });
});

test("Embedding({ paddingIdx }): the other rows pass the finite-difference check; the padding row, used but frozen, gets 0", () => {
  const emb = new Embedding(6, 3, { paddingIdx: 2, rng: new Rng(4) });
  const indices = new Int32Array([0, 1, 2, 1, 5, 5, 3, 2, 0, 1, 1, 4]);
  const y = emb.forwardIndices(indices, [2, 3, 2]);
  const r = randomTensor([...y.shape], 5);
  emb.backward(r);
  const [w, g] = [emb.weight.data.data, emb.weight.grad.data];
  assert.ok(g.subarray(6, 9).every((v) => v === 0));
  const evaluate = () => {
    const out = emb.forwardIndices(indices, [2, 3, 2]);
    return out.data.reduce((s, v, i) => s + v * r.data[i], 0);
  };
  gradcheck(evaluate, [
    { name: "weight[0:2]", values: w.subarray(0, 6), analytic: g.slice(0, 6) },
    { name: "weight[3:6]", values: w.subarray(9), analytic: g.slice(9) },
  ]);
});

test("Embedding({ scaleGradByFreq }): each row's gradient is divided by its index's count in the batch, as PyTorch", () => {
  const emb = new Embedding(4, 2, { scaleGradByFreq: true, paddingIdx: 3, rng: new Rng(5) });
  emb.forwardIndices(new Int32Array([1, 2, 1, 1, 3, 3]));
  emb.backward(new Tensor(Float32Array.from([1, 1, 2, 2, 3, 3, 5, 5, 7, 7, 9, 9]), [6, 2]));
  assert.deepEqual(Array.from(emb.weight.grad.data), [0, 0, 3, 3, 2, 2, 0, 0]);
});

test("Embedding({ maxNorm }): looked-up rows above the bound are rescaled in place to maxNorm / (norm + 1e-7), others untouched", () => {
  for (const normType of [2, 1, 3, Infinity]) {
    const emb = new Embedding(5, 3, { maxNorm: 0.5, normType, rng: new Rng(6) });
    emb.weight.data.data.set([3, 4, 0, 0.1, 0.1, 0.1, -2, 1, 2, 5, 5, 5, 1, 1, 1]);
    const before = Array.from(emb.weight.data.data);
    const y = emb.forwardIndices(new Int32Array([0, 1, 2, 0]));
    const norm = (v: number[]) =>
      normType === Infinity
        ? Math.max(...v.map(Math.abs))
        : v.reduce((s, x) => s + Math.abs(x) ** normType, 0) ** (1 / normType);
    for (let i = 0; i < 5; i++) {
      const old = before.slice(3 * i, 3 * i + 3);
      const looked = i <= 2;
      const n = norm(old);
      const want = looked && n > 0.5 ? old.map((v) => v * (0.5 / (n + 1e-7))) : old;
      assertClose(row(emb, i), want, { rtol: 1e-6, message: `normType ${normType} row ${i}` });
    }
    assertClose(Array.from(y.data.subarray(9, 12)), row(emb, 0), { atol: 0, rtol: 0 });
  }
});

test("Embedding: an index out of range or not an integer is a RangeError naming its value and position", () => {
  const emb = new Embedding(10, 2);
  assert.throws(() => emb.forwardIndices(new Int32Array([0, 3, 12, 1]), [2, 2]), {
    name: "RangeError",
    message:
      "Cannot run Embedding.forwardIndices: index 12 at position [1, 0] is out of range (expected an integer in [0, 9] for 10 embeddings)",
  });
  assert.throws(() => emb.forward(new Tensor(Float32Array.from([1, -1]), [2])), {
    name: "RangeError",
    message:
      "Cannot run Embedding.forward: index -1 at position [1] is out of range (expected an integer in [0, 9] for 10 embeddings)",
  });
  assert.throws(() => emb.forward(new Tensor(Float32Array.from([1, 2, 3, 2.5]), [1, 2, 2])), {
    name: "RangeError",
    message: /index 2\.5 at position \[0, 1, 1\] is out of range/,
  });
  assert.throws(() => emb.forward(new Tensor(Float32Array.from([NaN]), [1])), {
    name: "RangeError",
    message: /index NaN at position \[0\]/,
  });
});

const ERRORS: {
  name: string;
  run: () => unknown;
  kind: typeof TypeError | typeof RangeError;
  message: string | RegExp;
}[] = [
  {
    name: "a paddingIdx outside [-numEmbeddings, numEmbeddings)",
    run: () => new Embedding(5, 2, { paddingIdx: 5 }),
    kind: RangeError,
    message:
      "Cannot create Embedding: expected paddingIdx to be null or an integer in [-5, 4] (numEmbeddings 5), got 5",
  },
  {
    name: "a maxNorm of 0",
    run: () => new Embedding(5, 2, { maxNorm: 0 }),
    kind: RangeError,
    message: "Cannot create Embedding: expected maxNorm to be null or a finite number > 0, got 0",
  },
  {
    name: "a normType of -1",
    run: () => new Embedding(5, 2, { normType: -1 }),
    kind: RangeError,
    message:
      "Cannot create Embedding: expected normType to be a number > 0 (Infinity allowed), got -1",
  },
  {
    name: "forwardIndices with a shape that does not hold the indices",
    run: () => new Embedding(5, 2).forwardIndices(new Int32Array(6), [4, 2]),
    kind: TypeError,
    message: "Cannot run Embedding.forwardIndices: shape [4, 2] holds 8 indices but 6 were given",
  },
  {
    name: "forwardIndices with a Float32Array (use forward with a Tensor)",
    run: () => new Embedding(5, 2).forwardIndices(new Float32Array(2) as unknown as Int32Array),
    kind: TypeError,
    message:
      /^Cannot run Embedding.forwardIndices: expected indices as an Int32Array or Uint8Array, got/,
  },
  {
    name: "forward with an Int32Array (use forwardIndices)",
    run: () => new Embedding(5, 2).forward(new Int32Array(2) as unknown as Tensor),
    kind: TypeError,
    message:
      /^Cannot run Embedding.forward: expected a Tensor of indices \(or call forwardIndices\(indices, shape\)\)/,
  },
  {
    name: "a gradOutput of the wrong shape",
    run: () => {
      const emb = new Embedding(5, 2);
      emb.forwardIndices(new Int32Array(3));
      return emb.backward(Tensor.zeros([3, 3]));
    },
    kind: TypeError,
    message:
      "Cannot run Embedding.backward: expected gradOutput [3, 2] (the shape of the last output), got [3, 3]",
  },
];

for (const { name, run, kind, message } of ERRORS) {
  test(`Embedding rejects ${name}`, () => {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
      if (typeof message === "string") assert.equal((error as Error).message, message);
      else assert.match((error as Error).message, message);
      return true;
    });
  });
}

test("Embedding prints as PyTorch", () => {
  assert.equal(String(new Embedding(10, 3)), "Embedding(10, 3)");
  assert.equal(
    String(new Embedding(10, 3, { paddingIdx: 0, maxNorm: 1, normType: 1, scaleGradByFreq: true })),
    "Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)",
  );
});

test("Sequential(Embedding, LSTM, Linear): token indices in, per-step logits out, gradients to the embedding rows used", () => {
  const rng = new Rng(8);
  const emb = new Embedding(7, 5, { rng });
  const model = new Sequential(
    emb,
    new LSTM(5, 6, { batchFirst: true, rng }),
    new Linear(6, 7, { rng }),
  );
  const tokens = new Tensor(Float32Array.from([0, 1, 2, 3, 1, 2, 3, 4]), [2, 4]);
  const y = model.forward(tokens);
  assert.deepEqual(y.shape, [2, 4, 7]);
  model.zeroGrad();
  model.backwardParameters(randomTensor([2, 4, 7], 9));
  const g = emb.weight.grad.data;
  for (let i = 0; i < 7; i++) {
    const used = i <= 4;
    assert.equal(g.subarray(5 * i, 5 * i + 5).some((v) => v !== 0), used, `row ${i}`);
  }
  assert.deepEqual(Object.keys(model.stateDict()), [
    "0.weight",
    "1.weight_ih_l0",
    "1.weight_hh_l0",
    "1.bias_ih_l0",
    "1.bias_hh_l0",
    "2.weight",
    "2.bias",
  ]);
});
