import { test } from "node:test";
import assert from "node:assert/strict";
import { MultiheadAttention, type MultiheadAttentionOptions } from "../../layers/attention.ts";
import type { AttentionForwardOptions } from "../../layers/attention.ts";
import { Sequential } from "../../layers/sequential.ts";
import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients, gradcheck, randomTensor } from "../_helpers/gradcheck.ts";
import {
  attentionReference,
  readSequence,
  type RefMask,
  writeSequence,
} from "./_attention_reference.ts";

const E = 8, H = 2, N = 2, L = 4, S = 3;

interface Case {
  name: string;
  options: MultiheadAttentionOptions;
  /** Self-attention (one input tensor for query, key and value). */
  self: boolean;
  attnMask?: RefMask;
  keyPaddingMask?: RefMask;
  isCausal?: boolean;
  unbatched?: boolean;
}

const boolMask = (bits: number[]): RefMask => ({ bool: bits.map((b) => b === 1) });
const CASES: Case[] = [
  { name: "self, seq-first, causal", options: {}, self: true, isCausal: true },
  {
    name: "self, batch-first, causal + boolean key padding",
    options: { batchFirst: true },
    self: true,
    isCausal: true,
    keyPaddingMask: boolMask([0, 0, 0, 1, 0, 0, 0, 0]),
  },
  {
    name: "cross, seq-first, boolean [L, S] attnMask",
    options: {},
    self: false,
    attnMask: boolMask([0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
  },
  {
    name: "cross, batch-first, kdim/vdim, additive [N·H, L, S] attnMask + additive padding",
    options: { batchFirst: true, kdim: 3, vdim: 5 },
    self: false,
    attnMask: { add: Array.from({ length: N * H * L * S }, (_, i) => Math.sin(i) * 2) },
    keyPaddingMask: { add: [0, -1.5, 0, 0.5, 0, -Infinity] },
  },
  {
    name: "cross, seq-first, no bias, padding + causal",
    options: { bias: false },
    self: false,
    isCausal: true,
    keyPaddingMask: boolMask([0, 1, 0, 0, 0, 1]),
  },
  { name: "self, unbatched [L, E]", options: { batchFirst: true }, self: true, unbatched: true },
];

function toMask(m: RefMask | undefined, shape: number[]): Tensor | Uint8Array | undefined {
  if (m === undefined || m === null) return undefined;
  if ("bool" in m) return Uint8Array.from(m.bool, (b) => (b ? 1 : 0));
  return new Tensor(Float32Array.from(m.add), shape);
}

function setup(c: Case, seed: number) {
  const layer = new MultiheadAttention(E, H, { ...c.options, rng: new Rng(seed) });
  // Nonzero biases, so a bias read from the wrong place shows.
  for (const p of layer.parameters()) {
    if (p.data.ndim === 1) p.data.data.set(randomTensor([p.size], seed + 1, -0.5, 0.5).data);
  }
  const bf = c.options.batchFirst ?? false;
  const shape = (len: number, dim: number) =>
    c.unbatched ? [len, dim] : bf ? [N, len, dim] : [len, N, dim];
  const s = c.self ? L : S;
  const query = randomTensor(shape(L, E), seed + 2);
  const key = c.self ? query : randomTensor(shape(S, c.options.kdim ?? E), seed + 3);
  const value = c.self ? query : randomTensor(shape(S, c.options.vdim ?? E), seed + 4);
  const n = c.unbatched ? 1 : N;
  const options: AttentionForwardOptions = {
    attnMask: toMask(
      c.attnMask,
      c.attnMask && "add" in c.attnMask && c.attnMask.add.length > L * s ? [n * H, L, s] : [L, s],
    ),
    keyPaddingMask: toMask(c.keyPaddingMask, c.unbatched ? [s] : [n, s]),
    isCausal: c.isCausal ?? false,
  };
  const expected = () => {
    const ref = attentionReference(
      layer,
      readSequence(query, bf),
      readSequence(key, bf),
      readSequence(value, bf),
      {
        embedDim: E,
        numHeads: H,
        batchFirst: bf,
        attnMask: c.attnMask,
        keyPaddingMask: c.keyPaddingMask,
        isCausal: c.isCausal,
      },
    );
    return { output: writeSequence(ref.output, bf || !!c.unbatched), weights: ref.weights };
  };
  return { layer, query, key, value, options, expected };
}

for (const c of CASES) {
  test(`MultiheadAttention ${c.name}: output and weights match the float64 PyTorch formulas`, () => {
    const { layer, query, key, value, options, expected } = setup(c, 10);
    const want = expected();
    const args = c.self ? [query, undefined, undefined] as const : [query, key, value] as const;
    const { output, weights } = layer.forwardWithWeights(args[0], args[1], args[2], {
      ...options,
      averageAttnWeights: false,
    });
    assert.deepEqual(output.shape, query.shape);
    assertClose(output.data, want.output, { atol: 2e-6, rtol: 1e-5, message: "output" });
    const n = c.unbatched ? 1 : N;
    const s = c.self ? L : S;
    assert.deepEqual(weights!.shape, c.unbatched ? [H, L, s] : [n, H, L, s]);
    assertClose(weights!.data, want.weights.flat(3), {
      atol: 1e-6,
      rtol: 1e-5,
      message: "weights",
    });
    const averaged = layer.forwardWithWeights(args[0], args[1], args[2], options).weights!;
    assert.deepEqual(averaged.shape, c.unbatched ? [L, s] : [n, L, s]);
    const mean = want.weights.flatMap((b) =>
      b[0].flatMap((row, i) => row.map((v, j) => (v + b[1][i][j]) / 2))
    );
    assertClose(averaged.data, mean, { atol: 1e-6, rtol: 1e-5, message: "averaged weights" });
    assert.equal(
      layer.forwardWithWeights(args[0], args[1], args[2], { ...options, needWeights: false })
        .weights,
      null,
    );
    // forward gives the same output as forwardWithWeights.
    assertClose(layer.forward(args[0], args[1], args[2], options).data, want.output, {
      atol: 2e-6,
      rtol: 1e-5,
    });
  });

  test(`MultiheadAttention ${c.name}: dL/dquery, dL/dkey, dL/dvalue and every parameter pass the finite-difference check`, () => {
    const { layer, query, key, value, options } = setup(c, 20);
    if (c.self) {
      // backward returns the sum over the three uses of the one input (self-attention).
      const run = new SelfAttention(layer, options);
      checkModuleGradients(run, query);
      return;
    }
    const r = randomTensor([...query.shape], 21);
    layer.zeroGrad();
    layer.forward(query, key, value, options);
    const g = layer.backwardInputs(r);
    const params = layer.namedParameters();
    const analytic = params.map(([, p]) => p.grad.data.slice());
    const evaluate = () => {
      const y = layer.forward(query, key, value, options);
      let sum = 0;
      for (let i = 0; i < y.size; i++) sum += y.data[i] * r.data[i];
      return sum;
    };
    gradcheck(evaluate, [
      { name: "query", values: query.data, analytic: g.query.data.slice() },
      { name: "key", values: key.data, analytic: g.key.data.slice() },
      { name: "value", values: value.data, analytic: g.value.data.slice() },
      ...params.map(([name, p], i) => ({ name, values: p.data.data, analytic: analytic[i] })),
    ]);
  });
}

/** Runs `forward(x, x, x, options)` so checkModuleGradients can drive masked self-attention. */
class SelfAttention extends Sequential {
  constructor(readonly inner: MultiheadAttention, readonly options: AttentionForwardOptions) {
    super(inner);
  }
  override forward(x: Tensor): Tensor {
    return this.inner.forward(x, x, x, this.options);
  }
}

test("MultiheadAttention: backward sums dL/dkey into dL/dquery when key is the query tensor", () => {
  const layer = new MultiheadAttention(E, H, { rng: new Rng(3) });
  const x = randomTensor([L, N, E], 4);
  const v = randomTensor([L, N, E], 5);
  const r = randomTensor([L, N, E], 6);
  layer.forward(x, x, v);
  const summed = layer.backward(r).data.slice();
  layer.forward(x, x, v);
  const parts = layer.backwardInputs(r);
  assertClose(summed, Array.from(parts.query.data, (q, i) => q + parts.key.data[i]), {
    atol: 1e-6,
  });
});

test("MultiheadAttention: state-dict keys, shapes and init follow PyTorch", () => {
  const packed = new MultiheadAttention(16, 4, { rng: new Rng(1) });
  const shapes = (m: MultiheadAttention) =>
    Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]);
  assert.deepEqual(shapes(packed), [
    ["in_proj_weight", [48, 16]],
    ["in_proj_bias", [48]],
    ["out_proj.weight", [16, 16]],
    ["out_proj.bias", [16]],
  ]);
  const xavier = Math.sqrt(6 / (16 + 48));
  const w = packed.inProjWeight!.data.data;
  assert.ok(w.every((v) => Math.abs(v) <= xavier) && w.some((v) => Math.abs(v) > 0.9 * xavier));
  assert.ok(packed.inProjBias!.data.data.every((v) => v === 0));
  assert.ok(packed.outProj.bias!.data.data.every((v) => v === 0));
  const wo = packed.outProj.weight.data.data;
  assert.ok(wo.every((v) => Math.abs(v) <= 0.25) && wo.some((v) => Math.abs(v) > 0.2));
  const separate = new MultiheadAttention(16, 4, { kdim: 3, vdim: 5, bias: false });
  assert.deepEqual(shapes(separate), [
    ["q_proj_weight", [16, 16]],
    ["k_proj_weight", [16, 3]],
    ["v_proj_weight", [16, 5]],
    ["out_proj.weight", [16, 16]],
  ]);
  assert.equal(
    String(packed),
    "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=16, out_features=16, bias=True)\n)",
  );
});

test("MultiheadAttention: a query row with every key masked is NaN, as PyTorch; the other rows are not", () => {
  const layer = new MultiheadAttention(E, H, { rng: new Rng(2) });
  const x = randomTensor([L, 1, E], 3);
  const mask = new Uint8Array(L * L);
  mask.fill(1, 0, L); // query row 0 sees no key
  const y = layer.forward(x, x, x, { attnMask: mask });
  assert.ok(y.data.subarray(0, E).every(Number.isNaN));
  assert.ok(y.data.subarray(E).every(Number.isFinite));
});

test("MultiheadAttention: dropout drops attention weights in training only, and its backward uses the same mask", () => {
  const size = N * H * L * L;
  let i = 0;
  const draws = Array.from({ length: size }, (_, k) => ((k * 0.618034) % 1));
  // Replays the same draws at every forward, so the finite differences see one mask.
  const replay = { random: () => draws[i++ % size] };
  const layer = new MultiheadAttention(E, H, { dropout: 0.3, rng: replay as unknown as Rng });
  const x = randomTensor([L, N, E], 7);
  const { weights } = layer.forwardWithWeights(x, undefined, undefined, {
    averageAttnWeights: false,
  });
  const dropped = draws.filter((d) => d < 0.3).length;
  assert.equal(weights!.data.filter((v) => v === 0).length, dropped);
  checkModuleGradients(layer, x);
  layer.eval();
  const evalWeights = layer.forwardWithWeights(x, undefined, undefined, {
    averageAttnWeights: false,
  }).weights!;
  assert.ok(evalWeights.data.every((v) => v > 0));
});

test("MultiheadAttention: wrong arguments and masks are errors naming what is wrong", () => {
  assert.throws(() => new MultiheadAttention(10, 3), /embedDim 10 must be divisible by numHeads 3/);
  assert.throws(() => new MultiheadAttention(8, 2, { dropout: 1 }), /dropout in \[0, 1\)/);
  const layer = new MultiheadAttention(E, H);
  const x = randomTensor([L, N, E], 1);
  assert.throws(() => layer.forward(randomTensor([L, N, 6], 1)), /expected query \[L, N, 8\]/);
  assert.throws(() => layer.forward(x, x), /pass both key and value/);
  assert.throws(
    () => layer.forward(x, undefined, undefined, { attnMask: new Uint8Array(5) }),
    /attnMask .* 16 or 64 elements, got 5/,
  );
  assert.throws(
    () => layer.forward(x, undefined, undefined, { attnMask: new Uint8Array(16).fill(2) }),
    /element 0 is 2/,
  );
  assert.throws(
    () =>
      layer.forward(x, undefined, undefined, {
        attnMask: new Tensor(new Float32Array(16).fill(NaN), [L, L]),
      }),
    /attnMask element 0 is NaN/,
  );
  assert.throws(
    () =>
      layer.forward(x, undefined, undefined, {
        keyPaddingMask: new Tensor(new Float32Array(8), [L, N]),
      }),
    /keyPaddingMask \[2, 4\], got \[4, 2\]/,
  );
  assert.throws(
    () => layer.forward(x, undefined, undefined, { needWeights: false } as AttentionForwardOptions),
    /unknown option "needWeights"/,
  );
  assert.throws(
    () => layer.forward(x, randomTensor([S, 3, E], 2), randomTensor([S, 3, E], 3)),
    /disagree on N or S/,
  );
  assert.throws(() => layer.backward(x), /no forward pass/);
});

test("MultiheadAttention: isCausal from the constructor makes forward(x) causal in a Sequential", () => {
  const causal = new MultiheadAttention(E, H, { isCausal: true, rng: new Rng(4) });
  const x = randomTensor([L, 1, E], 5);
  const y0 = causal.forward(x).data.slice();
  // Changing the last step changes no earlier output.
  x.data[(L - 1) * E] += 1;
  const y1 = new Sequential(causal).forward(x).data.slice();
  assertClose(y1.subarray(0, (L - 1) * E), y0.subarray(0, (L - 1) * E), { atol: 0 });
  assert.notEqual(y1[(L - 1) * E], y0[(L - 1) * E]);
  // An explicit isCausal: false overrides it.
  assert.notDeepEqual(
    causal.forward(x, x, x, { isCausal: false }).data.subarray(0, E),
    y1.subarray(0, E),
  );
});
