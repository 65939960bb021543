import { test } from "node:test";
import assert from "node:assert/strict";
import { GRU, LSTM, RNN } from "../../layers/rnn.ts";
import type { RecurrentOptions } from "../../layers/rnn.ts";
import { Sequential } from "../../layers/sequential.ts";
import { buildModel } from "../../layers/spec.ts";
import { Embedding } from "../../layers/embedding.ts";
import { Linear } from "../../layers/linear.ts";
import { CrossEntropyLoss } from "../../losses/cross_entropy.ts";
import { Adam } from "../../optim/adam.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import {
  checkModuleGradients,
  gradcheck,
  type GradcheckEntry,
  randomTensor,
} from "../_helpers/gradcheck.ts";
import { type Mode, reference } from "./_rnn_reference.ts";

type Layer = RNN | LSTM | GRU;

function make(mode: Mode, inputSize: number, hidden: number, options: RecurrentOptions): Layer {
  if (mode === "LSTM") return new LSTM(inputSize, hidden, options);
  if (mode === "GRU") return new GRU(inputSize, hidden, options);
  return new RNN(inputSize, hidden, {
    ...options,
    nonlinearity: mode === "RNN_RELU" ? "relu" : "tanh",
  });
}

interface Case {
  mode: Mode;
  options: RecurrentOptions;
}

const L = 4, N = 3, I = 3, H = 4;
const CASES: Case[] = [];
for (const mode of ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"] as Mode[]) {
  CASES.push(
    { mode, options: { numLayers: 2, bidirectional: true, batchFirst: true } },
    { mode, options: { numLayers: 2, bidirectional: true, batchFirst: false, bias: false } },
    { mode, options: { numLayers: 2, batchFirst: false } },
    { mode, options: { bidirectional: true, batchFirst: true, bias: false } },
  );
}

function label({ mode, options }: Case): string {
  return `${mode} ${JSON.stringify(options)}`;
}

function inputShape(batchFirst: boolean | undefined): number[] {
  return batchFirst ? [N, L, I] : [L, N, I];
}

function stateShape(layer: Layer): number[] {
  return [layer.numLayers * (layer.bidirectional ? 2 : 1), N, H];
}

/**
 * Seeded inputs for the gradient checks. A relu RNN's finite differences are wrong where a
 * ±eps nudge moves a pre-activation across 0, so for relu the first seed of inputs and weights whose smallest
 * |pre-activation| (float64 oracle) is ≥ 0.005, five times the effect of the eps = 1e-3 nudge.
 */
function checkInputs(
  c: Case,
  layer: Layer,
  seed: number,
  withState: boolean,
): { x: Tensor; h0: Tensor; c0: Tensor | null } {
  for (let s = seed; s < seed + 3000; s += 3) {
    const x = randomTensor(inputShape(c.options.batchFirst), s);
    const h0 = randomTensor(stateShape(layer), s + 1);
    const c0 = c.mode === "LSTM" ? randomTensor(stateShape(layer), s + 2) : null;
    if (c.mode !== "RNN_RELU") return { x, h0, c0 };
    layer.resetParameters(new Rng(s + 2));
    if (reference(c.mode, layer, x, withState ? h0 : null, null).minAbsPre >= 0.005) {
      return { x, h0, c0 };
    }
  }
  throw new Error(`no relu-safe input found for ${label(c)}`);
}

for (const c of CASES) {
  test(`${label(c)}: forward output and final states match the float64 PyTorch formulas`, () => {
    const layer = make(c.mode, I, H, { ...c.options, rng: new Rng(1) });
    const x = randomTensor(inputShape(c.options.batchFirst), 2);
    const h0 = randomTensor(stateShape(layer), 3);
    const c0 = c.mode === "LSTM" ? randomTensor(stateShape(layer), 4) : null;
    const got = layer.forwardWithState(x, h0, c0);
    const want = reference(c.mode, layer, x, h0, c0);
    assert.deepEqual(got.output.shape, want.outputShape);
    assertClose(got.output.data, want.output, { atol: 2e-6, rtol: 1e-5, message: "output" });
    assertClose(got.h.data, want.h, { atol: 2e-6, rtol: 1e-5, message: "hN" });
    if (c0 !== null) assertClose(got.c!.data, want.c!, { atol: 2e-6, rtol: 1e-5, message: "cN" });
    else assert.equal(got.c, null);
    // forward(x) with zero states is the same as the reference with zero states.
    const plain = layer.forward(x);
    assertClose(plain.data, reference(c.mode, layer, x, null, null).output, {
      atol: 2e-6,
      rtol: 1e-5,
    });
  });

  test(`${label(c)}: dL/dx and every parameter gradient pass the finite-difference check`, () => {
    const layer = make(c.mode, I, H, { ...c.options, rng: new Rng(5) });
    const eps = c.mode === "RNN_RELU" ? 1e-3 : 1e-2;
    checkModuleGradients(layer, checkInputs(c, layer, 6, false).x, { eps });
  });

  test(`${label(c)}: dL/dh0, dL/dc0 and gradients through dL/dh_N, dL/dc_N pass the finite-difference check`, () => {
    const layer = make(c.mode, I, H, { ...c.options, rng: new Rng(7) });
    const lstm = c.mode === "LSTM";
    const { x, h0, c0 } = checkInputs(c, layer, 8, true);
    const first = layer.forwardWithState(x, h0, c0);
    const r = randomTensor([...first.output.shape], 11);
    const rh = randomTensor(stateShape(layer), 12);
    const rc = lstm ? randomTensor(stateShape(layer), 13) : null;
    layer.zeroGrad();
    const gx = layer.backward(r, rh, rc);
    const grads = layer.gradInitialState!;
    const entries: GradcheckEntry[] = [
      { name: "input", values: x.data, analytic: gx.data.slice() },
      { name: "h0", values: h0.data, analytic: grads.h.data.slice() },
      ...layer.namedParameters().map(([name, p]) => ({
        name,
        values: p.data.data,
        analytic: p.grad.data.slice(),
      })),
    ];
    if (lstm) entries.push({ name: "c0", values: c0!.data, analytic: grads.c!.data.slice() });
    else assert.equal(grads.c, null);
    const dot = (a: Tensor, b: Tensor) => {
      let s = 0;
      for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
      return s;
    };
    gradcheck(
      () => {
        const y = layer.forwardWithState(x, h0, c0);
        return dot(y.output, r) + dot(y.h, rh) + (lstm ? dot(y.c!, rc!) : 0);
      },
      entries,
      { eps: c.mode === "RNN_RELU" ? 1e-3 : 1e-2 },
    );
  });
}

test("LSTM with dropout between layers: training masks layer outputs, eval does not, gradients check through the masks", () => {
  const options = { numLayers: 3, dropout: 0.5, bidirectional: true, batchFirst: true };
  const x = randomTensor([N, L, I], 20);
  // A layer built from the same seed draws the same weights, then the same masks.
  const build = () => new LSTM(I, H, { ...options, rng: new Rng(21) });
  const layer = build();
  const train = layer.forward(x).clone();
  const evalOut = layer.eval().forward(x);
  assertClose(evalOut.data, reference("LSTM", layer, x, null, null).output, {
    atol: 2e-6,
    rtol: 1e-5,
  });
  assert.ok(
    train.data.some((v, i) => Math.abs(v - evalOut.data[i]) > 1e-3),
    "dropout changed nothing in training",
  );
  layer.train();
  const fresh = build();
  const y = fresh.forward(x);
  assertClose(y.data, train.data, { atol: 0, rtol: 0, message: "same seed, same masks" });
  const r = randomTensor([...y.shape], 22);
  const gx = fresh.backward(r);
  const params = fresh.namedParameters();
  const entries: GradcheckEntry[] = [
    { name: "input", values: x.data, analytic: gx.data.slice() },
    ...params.map(([name, p]) => ({ name, values: p.data.data, analytic: p.grad.data.slice() })),
  ];
  gradcheck(() => {
    const again = build();
    again.loadStateDict(fresh.stateDict());
    const out = again.forward(x);
    let s = 0;
    for (let i = 0; i < out.size; i++) s += out.data[i] * r.data[i];
    return s;
  }, entries);
});

test("LSTM(3, 5, numLayers 2, bidirectional) has PyTorch's state-dict keys, order and shapes", () => {
  const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
  const shapes = Object.entries(lstm.stateDict()).map(([k, t]) => [k, [...t.shape]]);
  const expected: [string, number[]][] = [];
  for (const k of [0, 1]) {
    for (const suffix of ["", "_reverse"]) {
      const inSize = k === 0 ? 3 : 10;
      expected.push(
        [`weight_ih_l${k}${suffix}`, [20, inSize]],
        [`weight_hh_l${k}${suffix}`, [20, 5]],
        [`bias_ih_l${k}${suffix}`, [20]],
        [`bias_hh_l${k}${suffix}`, [20]],
      );
    }
  }
  assert.deepEqual(shapes, expected);
  assert.deepEqual(
    Object.entries(new GRU(4, 6, { bias: false }).stateDict()).map(([k, t]) => [k, [...t.shape]]),
    [["weight_ih_l0", [18, 4]], ["weight_hh_l0", [18, 6]]],
  );
  assert.deepEqual(
    Object.entries(new RNN(4, 6).stateDict()).map(([k, t]) => [k, [...t.shape]]),
    [["weight_ih_l0", [6, 4]], ["weight_hh_l0", [6, 6]], ["bias_ih_l0", [6]], ["bias_hh_l0", [6]]],
  );
});

test("RNN, LSTM, GRU: every parameter is drawn from U(−1/√hidden, 1/√hidden), seeded by rng", () => {
  for (const Class of [RNN, LSTM, GRU]) {
    const layer = new Class(30, 16, { numLayers: 2, rng: new Rng(3) });
    const bound = 1 / 4;
    for (const [name, p] of layer.namedParameters()) {
      const d = p.data.data;
      const max = Math.max(...d.map(Math.abs));
      assert.ok(
        max <= bound && max > 0.9 * bound,
        `${Class.name}.${name}: max |w| ${max}, bound ${bound}`,
      );
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      assert.ok(
        Math.abs(mean) < 0.1 * bound + 3 * bound / Math.sqrt(3 * d.length),
        `${name} mean ${mean}`,
      );
    }
    const again = new Class(30, 16, { numLayers: 2, rng: new Rng(3) });
    assert.deepEqual(
      again.parameters().map((p) => [...p.data.data]),
      layer.parameters().map((p) => [...p.data.data]),
    );
  }
});

test("LSTM: truncated BPTT carrying the detached state across two chunks equals one pass over the whole sequence", () => {
  const lstm = new LSTM(I, H, { numLayers: 2, batchFirst: true, rng: new Rng(30) });
  const whole = randomTensor([N, 2 * L, I], 31);
  const full = lstm.forwardWithState(whole).output.clone();
  const chunk = (k: number) => {
    const t = Tensor.zeros([N, L, I]);
    for (let n = 0; n < N; n++) {
      t.data.set(
        whole.data.subarray((n * 2 * L + k * L) * I, (n * 2 * L + (k + 1) * L) * I),
        n * L * I,
      );
    }
    return t;
  };
  const first = lstm.forwardWithState(chunk(0));
  const second = lstm.forwardWithState(chunk(1), first.h, first.c);
  for (let n = 0; n < N; n++) {
    const want = full.data.subarray((n * 2 * L + L) * H, (n * 2 * L + 2 * L) * H);
    assertClose(second.output.data.subarray(n * L * H, (n + 1) * L * H), want, { atol: 1e-6 });
  }
  // The same through a Sequential: initialState = lastState between steps.
  const model = new Sequential(lstm);
  lstm.initialState = null;
  model.forward(chunk(0));
  lstm.initialState = lstm.lastState;
  const y = model.forward(chunk(1));
  assertClose(y.data, second.output.data, { atol: 0, rtol: 0 });
  // Backward stops at the carried state: its gradient is reported, nothing flows further.
  model.zeroGrad();
  model.backward(Tensor.ones(y.shape));
  assert.deepEqual(lstm.gradInitialState!.h.shape, [2, N, H]);
  assert.ok(lstm.gradInitialState!.h.data.some((v) => v !== 0));
  // A carried state of another batch size is a loud error, not a silent reset.
  assert.throws(() => model.forward(Tensor.zeros([N + 1, L, I])), {
    name: "TypeError",
    message: `Cannot run LSTM.forward: expected h0 [2, ${
      N + 1
    }, ${H}] ([numLayers·directions, N, hiddenSize]), got [2, ${N}, ${H}]`,
  });
});

test("GRU: an unbatched [L, inputSize] input equals a batch of one, states [layers·dirs, H]", () => {
  const gru = new GRU(I, H, { numLayers: 2, bidirectional: true, rng: new Rng(40) });
  const x = randomTensor([L, I], 41);
  const h0 = randomTensor([4, H], 42);
  const batched = gru.forwardWithState(x.reshape([L, 1, I]), h0.reshape([4, 1, H]));
  const want = {
    output: batched.output.clone(),
    h: batched.h,
    gx: gru.backward(Tensor.ones([L, 1, 2 * H])).clone(),
  };
  const single = gru.forwardWithState(x, h0);
  assert.deepEqual(single.output.shape, [L, 2 * H]);
  assert.deepEqual(single.h.shape, [4, H]);
  assertClose(single.output.data, want.output.data, { atol: 0, rtol: 0 });
  assertClose(single.h.data, want.h.data, { atol: 0, rtol: 0 });
  const gx = gru.backward(Tensor.ones([L, 2 * H]));
  assert.deepEqual(gx.shape, [L, I]);
  assertClose(gx.data, want.gx.data, { atol: 0, rtol: 0 });
});

test("RNN, LSTM, GRU print as PyTorch", () => {
  assert.equal(
    String(new LSTM(10, 20, { numLayers: 2, batchFirst: true, dropout: 0.5, bidirectional: true })),
    "LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)",
  );
  assert.equal(String(new GRU(3, 4, { bias: false })), "GRU(3, 4, bias=False)");
  assert.equal(String(new RNN(3, 4, { nonlinearity: "relu" })), "RNN(3, 4)");
});

const ERRORS: {
  name: string;
  run: () => unknown;
  kind: typeof TypeError | typeof RangeError | typeof Error;
  message: string | RegExp;
}[] = [
  {
    name: "an input with the wrong feature size",
    run: () => new LSTM(3, 4).forward(Tensor.zeros([5, 2, 4])),
    kind: TypeError,
    message: "Cannot run LSTM.forward: expected input [L, N, 3] or [L, 3], got [5, 2, 4]",
  },
  {
    name: "a 4-D input (batchFirst names [N, L, ·])",
    run: () => new GRU(3, 4, { batchFirst: true }).forward(Tensor.zeros([1, 5, 2, 3])),
    kind: TypeError,
    message: "Cannot run GRU.forward: expected input [N, L, 3] or [L, 3], got [1, 5, 2, 3]",
  },
  {
    name: "an h0 of the wrong shape",
    run: () =>
      new RNN(3, 4, { numLayers: 2 }).forwardWithState(
        Tensor.zeros([5, 2, 3]),
        Tensor.zeros([1, 2, 4]),
      ),
    kind: TypeError,
    message:
      "Cannot run RNN.forwardWithState: expected h0 [2, 2, 4] ([numLayers·directions, N, hiddenSize]), got [1, 2, 4]",
  },
  {
    name: "a c0 given to a GRU",
    run: () =>
      new GRU(3, 4).forwardWithState(Tensor.zeros([5, 2, 3]), null, Tensor.zeros([1, 2, 4])),
    kind: TypeError,
    message: "Cannot run GRU.forwardWithState: GRU has no cell state; pass h0 only",
  },
  {
    name: "an LSTM c0 of the wrong shape",
    run: () =>
      new LSTM(3, 4).forwardWithState(Tensor.zeros([5, 2, 3]), null, Tensor.zeros([1, 3, 4])),
    kind: TypeError,
    message:
      "Cannot run LSTM.forwardWithState: expected c0 [1, 2, 4] ([numLayers·directions, N, hiddenSize]), got [1, 3, 4]",
  },
  {
    name: "backward before forward",
    run: () => new LSTM(3, 4).backward(Tensor.zeros([5, 2, 4])),
    kind: Error,
    message: /^Cannot run LSTM.backward: there is no forward pass/,
  },
  {
    name: "a gradOutput of the wrong shape",
    run: () => {
      const lstm = new LSTM(3, 4, { bidirectional: true });
      lstm.forward(Tensor.zeros([5, 2, 3]));
      return lstm.backward(Tensor.zeros([5, 2, 4]));
    },
    kind: TypeError,
    message:
      "Cannot run LSTM.backward: expected gradOutput [5, 2, 8] (the shape of the last output), got [5, 2, 4]",
  },
  {
    name: "a gradH of the wrong shape",
    run: () => {
      const gru = new GRU(3, 4);
      gru.forward(Tensor.zeros([5, 2, 3]));
      return gru.backward(Tensor.zeros([5, 2, 4]), Tensor.zeros([2, 2, 4]));
    },
    kind: TypeError,
    message:
      "Cannot run GRU.backward: expected gradH [1, 2, 4] ([numLayers·directions, N, hiddenSize]), got [2, 2, 4]",
  },
  {
    name: "dropout with a single layer (it would do nothing)",
    run: () => new LSTM(3, 4, { dropout: 0.2 }),
    kind: RangeError,
    message:
      "Cannot create LSTM: dropout 0.2 needs numLayers > 1 (it applies between stacked layers, never after the last)",
  },
  {
    name: "dropout 1",
    run: () => new GRU(3, 4, { numLayers: 2, dropout: 1 }),
    kind: RangeError,
    message: "Cannot create GRU: expected dropout in [0, 1), got 1",
  },
  {
    name: "a non-integer hiddenSize",
    run: () => new RNN(3, 2.5),
    kind: RangeError,
    message: "Cannot create RNN: expected hiddenSize to be an integer ≥ 1, got 2.5",
  },
  {
    name: 'nonlinearity "sigmoid"',
    run: () => new RNN(3, 2, { nonlinearity: "sigmoid" as "tanh" }),
    kind: TypeError,
    message: 'Cannot create RNN: expected nonlinearity to be "tanh" or "relu", got "sigmoid"',
  },
];

for (const { name, run, kind, message } of ERRORS) {
  test(`recurrent layers reject ${name}`, () => {
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
      if (typeof message === "string") assert.equal((error as Error).message, message);
      else assert.match((error as Error).message, message);
      return true;
    });
  });
}

test("Embedding → LSTM → Linear learns to predict the next character of a repeating string (≥ 95% within 400 Adam steps)", () => {
  // After "hello " comes "w" or "t": the letter 8 characters back ("d, " or "e, ") decides.
  const text = "hello world, hello there, ";
  const vocab = [...new Set(text)].sort();
  const ids = [...text].map((ch) => vocab.indexOf(ch));
  const V = vocab.length, T = 24, B = 16;
  const rng = new Rng(50);
  const emb = new Embedding(V, 8, { rng });
  const lstm = new LSTM(8, 32, { batchFirst: true, rng });
  const model = new Sequential(emb, lstm, new Linear(32, V, { rng }));
  const loss = new CrossEntropyLoss();
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  const batch = (source: Rng) => {
    const x = Tensor.zeros([B, T]);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = Math.floor(source.random() * text.length);
      for (let t = 0; t < T; t++) {
        x.data[b * T + t] = ids[(start + t) % ids.length];
        y[b * T + t] = ids[(start + t + 1) % ids.length];
      }
    }
    return { x, y };
  };
  // Nine characters of context decide every next one: score from position 9.
  const accuracy = () => {
    model.eval();
    const { x, y } = batch(new Rng(99));
    const logits = model.forward(x);
    model.train();
    let right = 0, total = 0;
    for (let k = 0; k < B * T; k++) {
      if (k % T < 9) continue;
      const row = logits.data.subarray(k * V, (k + 1) * V);
      right += Number(row.indexOf(Math.max(...row)) === y[k]);
      total++;
    }
    return right / total;
  };
  const before = accuracy();
  let steps = 0;
  for (; steps < 400 && (steps % 25 !== 0 || accuracy() < 0.99); steps++) {
    const { x, y } = batch(rng);
    const logits = model.forward(x);
    loss.forward(logits.reshape([B * T, V]), y);
    model.zeroGrad();
    model.backwardParameters(loss.backward().reshape([B, T, V]));
    optimizer.step();
  }
  const after = accuracy();
  assert.ok(after >= 0.95, `accuracy ${before} → ${after} after ${steps} steps`);
});

test("LSTM and Embedding reuse their output and dL/dx buffers across training steps; eval returns new tensors", () => {
  const lstm = new LSTM(I, H, {
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    rng: new Rng(60),
  });
  const x1 = randomTensor([N, L, I], 61), x2 = randomTensor([N, L, I], 62);
  const y1 = lstm.forward(x1);
  const g1 = lstm.backward(Tensor.ones(y1.shape));
  const want = reference("LSTM", lstm, x2, null, null).output;
  const y2 = lstm.forward(x2);
  const g2 = lstm.backward(Tensor.ones(y2.shape));
  assert.equal(y2.data, y1.data, "output buffer");
  assert.equal(g2.data, g1.data, "dL/dx buffer");
  assertClose(y2.data, want, { atol: 2e-6, rtol: 1e-5 });
  lstm.eval();
  assert.notEqual(lstm.forward(x2).data, y2.data);
  const emb = new Embedding(5, 2);
  const e1 = emb.forwardIndices(new Int32Array([1, 2]));
  assert.equal(emb.forwardIndices(new Int32Array([3, 4])).data, e1.data);
  assert.notEqual(emb.eval().forwardIndices(new Int32Array([3, 4])).data, e1.data);
});

test("LSTM applied to its own last output (training buffers) computes the same values and gradients as on a copy", () => {
  const make = () => new LSTM(H, H, { numLayers: 2, rng: new Rng(70) });
  const [a, b] = [make(), make()];
  const x = randomTensor([L, N, H], 71);
  const y1 = a.forward(x);
  const copy = y1.clone();
  b.forward(x);
  const y2 = a.forward(y1);
  const want = b.forward(copy);
  assertClose(y2.data, want.data, { atol: 0, rtol: 0 });
  const r = randomTensor([L, N, H], 72);
  a.zeroGrad();
  b.zeroGrad();
  const ga = a.backward(r);
  const gb = b.backward(r);
  assertClose(ga.data, gb.data, { atol: 0, rtol: 0 });
  a.parameters().forEach((p, i) =>
    assertClose(p.grad.data, b.parameters()[i].grad.data, { atol: 0, rtol: 0 })
  );
});

test("buildModel(): embedding → lstm → linear → flatten(0, 1) is a character model with [N·L, V] logits", () => {
  const model = buildModel({
    layers: [
      { type: "embedding", numEmbeddings: 7, embeddingDim: 5 },
      { type: "lstm", inputSize: 5, hiddenSize: 6, numLayers: 2, batchFirst: true },
      { type: "linear", inFeatures: 6, outFeatures: 7 },
      { type: "flatten", startDim: 0, endDim: 1 },
    ],
  });
  const tokens = new Tensor(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 0]), [2, 4]);
  const logits = model.forward(tokens);
  assert.deepEqual(logits.shape, [8, 7]);
  const loss = new CrossEntropyLoss();
  loss.forward(logits, new Int32Array([1, 2, 3, 4, 5, 6, 0, 1]));
  model.zeroGrad();
  model.backwardParameters(loss.backward());
  assert.ok(model.parameters().every((p) => p.grad.data.some((v) => v !== 0)));
  assert.deepEqual(Object.keys(model.stateDict()).slice(0, 3), [
    "0.weight",
    "1.weight_ih_l0",
    "1.weight_hh_l0",
  ]);
});
