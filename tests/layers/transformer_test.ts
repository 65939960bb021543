import { test } from "node:test";
import assert from "node:assert/strict";
import { TransformerEncoderLayer } from "../../layers/transformer.ts";
import type { TransformerEncoderLayerForwardOptions } from "../../layers/transformer.ts";
import { MultiheadAttention } from "../../layers/attention.ts";
import { PositionalEmbedding } from "../../layers/positional_embedding.ts";
import { Sequential } from "../../layers/sequential.ts";
import { Residual } from "../../layers/residual.ts";
import { LayerNorm } from "../../layers/normalization.ts";
import { Linear } from "../../layers/linear.ts";
import { GELU } from "../../layers/activation.ts";
import { buildModel } from "../../layers/spec.ts";
import { CrossEntropyLoss } from "../../losses/cross_entropy.ts";
import { AdamW } from "../../optim/adamw.ts";
import { erf } from "../../tensor/kernels/mod.ts";
import { manualSeed, Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { assertClose } from "../_helpers/assert_close.ts";
import { checkModuleGradients, randomTensor } from "../_helpers/gradcheck.ts";
import { encoderLayerReference, readSequence, writeSequence } from "./_attention_reference.ts";

const E = 8, H = 2, F = 12, N = 2, L = 4;

interface Case {
  normFirst: boolean;
  activation: "relu" | "gelu";
  batchFirst: boolean;
  masks: boolean;
}
const CASES: Case[] = [];
for (const normFirst of [false, true]) {
  for (const activation of ["relu", "gelu"] as const) {
    CASES.push({ normFirst, activation, batchFirst: activation === "gelu", masks: normFirst });
  }
}

function make(c: Case, seed: number): TransformerEncoderLayer {
  const layer = new TransformerEncoderLayer(E, H, {
    dimFeedforward: F,
    dropout: 0,
    activation: c.activation,
    batchFirst: c.batchFirst,
    normFirst: c.normFirst,
    rng: new Rng(seed),
  });
  // Non-trivial biases and norm weights, so each is seen.
  for (const [name, p] of layer.namedParameters()) {
    if (p.data.ndim === 1) {
      p.data.data.set(
        randomTensor(
          [p.size],
          seed + p.size,
          name.includes("norm") ? 0.5 : -0.3,
          name.includes("norm") ? 1.5 : 0.3,
        ).data,
      );
    }
  }
  return layer;
}

// Causal srcMask as a boolean [L, L] and one padded key in batch element 1.
const SRC_MASK = Uint8Array.from({ length: L * L }, (_, k) => (k % L > Math.floor(k / L) ? 1 : 0));
const PADDING = Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 0]);

function forwardOptions(c: Case): TransformerEncoderLayerForwardOptions {
  return c.masks ? { srcMask: SRC_MASK, srcKeyPaddingMask: PADDING } : {};
}

for (const c of CASES) {
  const label = `TransformerEncoderLayer ${JSON.stringify(c)}`;
  test(`${label}: output matches the float64 PyTorch formulas`, () => {
    const layer = make(c, 3);
    const x = randomTensor(c.batchFirst ? [N, L, E] : [L, N, E], 4, -2, 2);
    const y = layer.forward(x, forwardOptions(c));
    const want = encoderLayerReference(layer, readSequence(x, c.batchFirst), {
      embedDim: E,
      numHeads: H,
      batchFirst: c.batchFirst,
      attnMask: c.masks ? { bool: Array.from(SRC_MASK, (b) => b === 1) } : null,
      keyPaddingMask: c.masks ? { bool: Array.from(PADDING, (b) => b === 1) } : null,
      normFirst: c.normFirst,
      activation: c.activation,
      eps: 1e-5,
      dimFeedforward: F,
    }, erf);
    assert.deepEqual(y.shape, x.shape);
    assertClose(y.data, writeSequence(want, c.batchFirst), { atol: 1e-5, rtol: 1e-4 });
  });

  test(`${label}: dL/dx and every parameter gradient pass the finite-difference check`, () => {
    const layer = make(c, 5);
    const x = randomTensor(c.batchFirst ? [N, L, E] : [L, N, E], 6, -2, 2);
    const module = c.masks ? new WithOptions(layer, forwardOptions(c)) : layer;
    checkModuleGradients(module, x, { eps: c.activation === "relu" ? 1e-3 : 1e-2 });
  });
}

/** Passes fixed forward options, so checkModuleGradients can drive a masked layer. */
class WithOptions extends Sequential {
  constructor(
    readonly inner: TransformerEncoderLayer,
    readonly options: TransformerEncoderLayerForwardOptions,
  ) {
    super(inner);
  }
  override forward(x: Tensor): Tensor {
    return this.inner.forward(x, this.options);
  }
}

test("TransformerEncoderLayer: state-dict keys and shapes are PyTorch's", () => {
  const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 });
  assert.deepEqual(Object.entries(layer.stateDict()).map(([k, t]) => [k, t.shape]), [
    ["self_attn.in_proj_weight", [48, 16]],
    ["self_attn.in_proj_bias", [48]],
    ["self_attn.out_proj.weight", [16, 16]],
    ["self_attn.out_proj.bias", [16]],
    ["linear1.weight", [32, 16]],
    ["linear1.bias", [32]],
    ["linear2.weight", [16, 32]],
    ["linear2.bias", [16]],
    ["norm1.weight", [16]],
    ["norm1.bias", [16]],
    ["norm2.weight", [16]],
    ["norm2.bias", [16]],
  ]);
  assert.deepEqual(Object.keys(new TransformerEncoderLayer(16, 4, { bias: false }).stateDict()), [
    "self_attn.in_proj_weight",
    "self_attn.out_proj.weight",
    "linear1.weight",
    "linear2.weight",
    "norm1.weight",
    "norm2.weight",
  ]);
  assert.throws(
    () => new TransformerEncoderLayer(10, 4),
    /embedDim 10 must be divisible by numHeads 4/,
  );
  assert.throws(
    () => new TransformerEncoderLayer(8, 2, { activation: "tanh" as "relu" }),
    /activation "relu" or "gelu"/,
  );
});

test("a GPT block from Sequential + Residual (no hand-written glue) equals TransformerEncoderLayer(normFirst, gelu, isCausal)", () => {
  const layer = new TransformerEncoderLayer(E, H, {
    dimFeedforward: F,
    dropout: 0,
    activation: "gelu",
    normFirst: true,
    batchFirst: true,
    isCausal: true,
    rng: new Rng(8),
  });
  // x + attn(ln1(x)); x + mlp(ln2(x)), as nanoGPT's Block.
  const block = new Sequential(
    new Residual(
      new Sequential(
        new LayerNorm(E),
        new MultiheadAttention(E, H, { batchFirst: true, isCausal: true }),
      ),
    ),
    new Residual(new Sequential(new LayerNorm(E), new Linear(E, F), new GELU(), new Linear(F, E))),
  );
  const rename: Record<string, string> = {
    "0.fn.0.weight": "norm1.weight",
    "0.fn.0.bias": "norm1.bias",
    "0.fn.1.in_proj_weight": "self_attn.in_proj_weight",
    "0.fn.1.in_proj_bias": "self_attn.in_proj_bias",
    "0.fn.1.out_proj.weight": "self_attn.out_proj.weight",
    "0.fn.1.out_proj.bias": "self_attn.out_proj.bias",
    "1.fn.0.weight": "norm2.weight",
    "1.fn.0.bias": "norm2.bias",
    "1.fn.1.weight": "linear1.weight",
    "1.fn.1.bias": "linear1.bias",
    "1.fn.3.weight": "linear2.weight",
    "1.fn.3.bias": "linear2.bias",
  };
  const source = layer.stateDict();
  block.loadStateDict(Object.fromEntries(Object.entries(rename).map(([k, v]) => [k, source[v]])));
  const x = randomTensor([N, L, E], 9);
  const r = randomTensor([N, L, E], 10);
  assertClose(block.forward(x).data, layer.forward(x).data, { atol: 1e-6 });
  const gBlock = block.backward(r).data.slice();
  assertClose(gBlock, layer.backward(r).data, { atol: 1e-6 });
  const grads = Object.fromEntries(layer.namedParameters().map(([k, p]) => [k, p.grad.data]));
  for (const [k, p] of block.namedParameters()) {
    assertClose(p.grad.data, grads[rename[k]], { atol: 1e-6, message: k });
  }
  checkModuleGradients(block, x);
});

test("PositionalEmbedding: token rows plus position rows, both gradients, seq-first and batch-first", () => {
  for (const batchFirst of [false, true]) {
    const emb = new PositionalEmbedding(7, 3, 5, { batchFirst, rng: new Rng(1) });
    const ids = batchFirst ? [[1, 4, 6, 0], [2, 2, 5, 3]] : [[1, 2], [4, 2], [6, 5], [0, 3]];
    const x = new Tensor(Float32Array.from(ids.flat()), batchFirst ? [2, 4] : [4, 2]);
    const y = emb.forward(x);
    assert.deepEqual(y.shape, [...x.shape, 3]);
    const wte = emb.wte.weight.data.data, wpe = emb.wpe.weight.data.data;
    for (let i = 0; i < x.size; i++) {
      const t = batchFirst ? i % 4 : Math.floor(i / 2);
      const want = [0, 1, 2].map((c) => wte[x.data[i] * 3 + c] + wpe[t * 3 + c]);
      assertClose(y.data.subarray(i * 3, i * 3 + 3), want, { atol: 1e-7 });
    }
    checkModuleGradients(emb, x, { checkInput: false });
    assert.ok(
      emb.wpe.weight.grad.data.subarray(12).every((v) => v === 0),
      "positions ≥ L get no gradient",
    );
    assert.throws(
      () => emb.forward(Tensor.zeros(batchFirst ? [2, 6] : [6, 2])),
      /1 ≤ L ≤ maxLength 5, got/,
    );
  }
});

test("the char-gpt spec builds a GPT with nanoGPT's layout and learns a periodic sequence", () => {
  manualSeed(0);
  const V = 11, T = 8, B = 4, C = 16;
  const block = {
    type: "transformerencoderlayer",
    dModel: C,
    nhead: 4,
    dimFeedforward: 4 * C,
    dropout: 0,
    activation: "gelu",
    normFirst: true,
    batchFirst: true,
    isCausal: true,
  };
  const model = buildModel({
    layers: [
      {
        type: "positionalembedding",
        numEmbeddings: V,
        embeddingDim: C,
        maxLength: T,
        batchFirst: true,
      },
      block,
      block,
      { type: "layernorm", normalizedShape: C },
      { type: "linear", inFeatures: C, outFeatures: V },
      { type: "flatten", startDim: 0, endDim: 1 },
    ],
  });
  const keys = Object.keys(model.stateDict());
  assert.deepEqual(keys.slice(0, 3), [
    "0.wte.weight",
    "0.wpe.weight",
    "1.self_attn.in_proj_weight",
  ]);
  assert.deepEqual(keys.slice(-4), ["3.weight", "3.bias", "4.weight", "4.bias"]);
  const x = Tensor.zeros([B, T]);
  const y = new Int32Array(B * T);
  for (let i = 0; i < x.size; i++) [x.data[i], y[i]] = [(i * 3) % V, (i * 3 + 3) % V];
  const loss = new CrossEntropyLoss();
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    optimizer.zeroGrad();
    losses.push(loss.forward(model.forward(x), y));
    model.backward(loss.backward());
    optimizer.step();
  }
  assert.ok(losses[29] < 0.25 * losses[0], `loss ${losses[0]} → ${losses[29]}`);
});

test("MultiheadAttention and TransformerEncoderLayer applied to their own last output (training buffers) compute f(f(x)) and its gradients", () => {
  const makers = [
    () => new MultiheadAttention(E, H, { rng: new Rng(11) }),
    () => new TransformerEncoderLayer(E, H, { dimFeedforward: F, dropout: 0, rng: new Rng(11) }),
    () =>
      new TransformerEncoderLayer(E, H, {
        dimFeedforward: F,
        dropout: 0,
        normFirst: true,
        rng: new Rng(11),
      }),
  ];
  for (const make of makers) {
    const [a, b] = [make(), make()];
    const x = randomTensor([L, N, E], 12);
    const r = randomTensor([L, N, E], 13);
    // a: fed its own output buffer; b: fed a copy.
    const ya = a.forward(a.forward(x)).data.slice();
    const yb = b.forward(b.forward(x).clone()).data.slice();
    assertClose(ya, yb, { atol: 1e-6, message: `${a.constructor.name} output` });
    a.backward(r);
    b.backward(r);
    const gb = b.parameters().map((p) => p.grad.data);
    a.parameters().forEach((p, i) =>
      assertClose(p.grad.data, gb[i], { atol: 1e-6, message: a.constructor.name })
    );
  }
});
