import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildModel,
  formatPath,
  LAYER_TYPES,
  type ModelSpec,
  parseModelSpec,
} from "../../layers/spec.ts";
import type { Module } from "../../layers/module.ts";
import { Sequential } from "../../layers/sequential.ts";
import { manualSeed } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";

function count(model: Module): number {
  return model.parameters().reduce((sum, p) => sum + p.size, 0);
}

/** Class names of a Sequential's direct children. */
function classes(model: Module): string[] {
  return model.children().map(([, m]) => m.constructor.name);
}

// One row per layer type: the spec entry, the class it builds, its parameter count.
const VALID: { entry: Record<string, unknown>; className: string; params: number }[] = [
  {
    entry: { type: "linear", inFeatures: 784, outFeatures: 10 },
    className: "Linear",
    params: 7850,
  },
  {
    entry: { type: "linear", inFeatures: 4, outFeatures: 3, bias: false },
    className: "Linear",
    params: 12,
  },
  {
    entry: { type: "conv2d", inChannels: 1, outChannels: 8, kernelSize: 5 },
    className: "Conv2d",
    params: 208,
  },
  {
    entry: {
      type: "conv2d",
      inChannels: 4,
      outChannels: 8,
      kernelSize: [3, 1],
      stride: 2,
      padding: [1, 0],
      groups: 2,
      bias: false,
    },
    className: "Conv2d",
    params: 48,
  },
  {
    entry: { type: "conv2d", inChannels: 3, outChannels: 4, kernelSize: 3, padding: "same" },
    className: "Conv2d",
    params: 112,
  },
  { entry: { type: "maxpool2d", kernelSize: 2 }, className: "MaxPool2d", params: 0 },
  {
    entry: { type: "maxpool2d", kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
    className: "MaxPool2d",
    params: 0,
  },
  {
    entry: { type: "avgpool2d", kernelSize: 2, countIncludePad: false },
    className: "AvgPool2d",
    params: 0,
  },
  {
    entry: { type: "adaptiveavgpool2d", outputSize: 1 },
    className: "AdaptiveAvgPool2d",
    params: 0,
  },
  { entry: { type: "flatten" }, className: "Flatten", params: 0 },
  { entry: { type: "batchnorm1d", numFeatures: 16 }, className: "BatchNorm1d", params: 32 },
  {
    entry: { type: "batchnorm2d", numFeatures: 8, momentum: null, affine: false },
    className: "BatchNorm2d",
    params: 0,
  },
  { entry: { type: "layernorm", normalizedShape: [3, 4] }, className: "LayerNorm", params: 24 },
  { entry: { type: "dropout", p: 0.25 }, className: "Dropout", params: 0 },
  { entry: { type: "relu" }, className: "ReLU", params: 0 },
  { entry: { type: "leakyrelu", negativeSlope: 0.1 }, className: "LeakyReLU", params: 0 },
  { entry: { type: "elu", alpha: 0.5 }, className: "ELU", params: 0 },
  { entry: { type: "gelu", approximate: "tanh" }, className: "GELU", params: 0 },
  { entry: { type: "sigmoid" }, className: "Sigmoid", params: 0 },
  { entry: { type: "tanh" }, className: "Tanh", params: 0 },
  { entry: { type: "softplus", beta: 2, threshold: 10 }, className: "Softplus", params: 0 },
  { entry: { type: "softmax", dim: 1 }, className: "Softmax", params: 0 },
  { entry: { type: "logsoftmax" }, className: "LogSoftmax", params: 0 },
  { entry: { type: "identity" }, className: "Identity", params: 0 },
  {
    entry: { type: "embedding", numEmbeddings: 65, embeddingDim: 16, paddingIdx: 0 },
    className: "Embedding",
    params: 1040,
  },
  {
    entry: { type: "rnn", inputSize: 4, hiddenSize: 3, nonlinearity: "relu" },
    className: "RNN",
    params: 27,
  },
  {
    entry: {
      type: "lstm",
      inputSize: 16,
      hiddenSize: 32,
      numLayers: 2,
      batchFirst: true,
      dropout: 0.1,
    },
    className: "LSTM",
    params: 14848,
  },
  {
    entry: { type: "gru", inputSize: 4, hiddenSize: 3, bidirectional: true, bias: false },
    className: "GRU",
    params: 126,
  },
  {
    entry: {
      type: "positionalembedding",
      numEmbeddings: 65,
      embeddingDim: 16,
      maxLength: 8,
      batchFirst: true,
    },
    className: "PositionalEmbedding",
    params: 65 * 16 + 8 * 16,
  },
  {
    entry: { type: "multiheadattention", embedDim: 8, numHeads: 2 },
    className: "MultiheadAttention",
    params: 24 * 8 + 24 + 8 * 8 + 8,
  },
  {
    entry: {
      type: "multiheadattention",
      embedDim: 8,
      numHeads: 2,
      kdim: 3,
      vdim: 5,
      bias: false,
      isCausal: true,
    },
    className: "MultiheadAttention",
    params: 8 * 8 + 8 * 3 + 8 * 5 + 8 * 8,
  },
  {
    entry: {
      type: "transformerencoderlayer",
      dModel: 8,
      nhead: 2,
      dimFeedforward: 16,
      activation: "gelu",
      normFirst: true,
      batchFirst: true,
      isCausal: true,
      dropout: 0,
    },
    className: "TransformerEncoderLayer",
    params: 288 + (8 * 16 + 16) + (16 * 8 + 8) + 4 * 8,
  },
  {
    entry: {
      type: "residual",
      layers: [{ type: "linear", inFeatures: 6, outFeatures: 6 }, { type: "relu" }],
    },
    className: "Residual",
    params: 42,
  },
  {
    entry: {
      type: "sequential",
      layers: [{ type: "linear", inFeatures: 2, outFeatures: 3 }, { type: "tanh" }],
    },
    className: "Sequential",
    params: 9,
  },
];

for (const { entry, className, params } of VALID) {
  test(`buildModel() builds ${className} from ${JSON.stringify(entry)} with ${params} parameters`, () => {
    const model = buildModel({ layers: [entry] });
    assert.ok(model instanceof Sequential);
    assert.deepEqual(classes(model), [className]);
    assert.equal(count(model), params);
  });
}

test("LAYER_TYPES lists every type the table builds, each covered by a VALID row", () => {
  assert.deepEqual(
    [...new Set(VALID.map((row) => row.entry.type as string))].sort(),
    [...LAYER_TYPES].sort(),
  );
});

test("buildModel() builds the MNIST CNN with PyTorch's keys and 5,258 parameters", () => {
  const spec: ModelSpec = {
    layers: [
      { type: "conv2d", inChannels: 1, outChannels: 8, kernelSize: 5 },
      { type: "maxpool2d", kernelSize: 2 },
      { type: "relu" },
      { type: "conv2d", inChannels: 8, outChannels: 16, kernelSize: 3 },
      { type: "maxpool2d", kernelSize: 2 },
      { type: "relu" },
      { type: "flatten" },
      { type: "linear", inFeatures: 400, outFeatures: 10 },
    ],
  };
  const model = buildModel(spec);
  assert.equal(count(model), 208 + 1168 + 4010);
  assert.deepEqual(Object.keys(model.stateDict()), [
    "0.weight",
    "0.bias",
    "3.weight",
    "3.bias",
    "7.weight",
    "7.bias",
  ]);
  assert.deepEqual(model.forward(Tensor.zeros([2, 1, 28, 28])).shape, [2, 10]);
});

test("buildModel() nests residual branches under fn and keeps BatchNorm buffers", () => {
  const model = buildModel({
    layers: [
      { type: "batchnorm1d", numFeatures: 4 },
      { type: "residual", layers: [{ type: "linear", inFeatures: 4, outFeatures: 4 }] },
    ],
  });
  assert.deepEqual(Object.keys(model.stateDict()), [
    "0.weight",
    "0.bias",
    "0.running_mean",
    "0.running_var",
    "0.num_batches_tracked",
    "1.fn.0.weight",
    "1.fn.0.bias",
  ]);
});

test("buildModel() after the same manualSeed gives the same weights", () => {
  const spec = { layers: [{ type: "linear", inFeatures: 5, outFeatures: 3 }] };
  manualSeed(7);
  const a = buildModel(spec).parameters()[0].data.data;
  manualSeed(7);
  const b = buildModel(spec).parameters()[0].data.data;
  assert.deepEqual(a, b);
});

test("parseModelSpec() accepts a JSON string and returns the spec", () => {
  const spec = parseModelSpec('{"layers":[{"type":"relu"}]}');
  assert.deepEqual(spec, { layers: [{ type: "relu" }] });
});

// One row per kind of mistake: the spec and the exact message after "Invalid model spec: ".
const INVALID: { name: string; spec: unknown; message: string }[] = [
  {
    name: "a zero kernel size",
    spec: {
      layers: [{ type: "relu" }, { type: "relu" }, { type: "flatten" }, {
        type: "conv2d",
        inChannels: 1,
        outChannels: 2,
        kernelSize: 0,
      }],
    },
    message: "layers[3].kernelSize: expected positive integer, got 0",
  },
  {
    name: "a fractional feature count",
    spec: { layers: [{ type: "linear", inFeatures: 2.5, outFeatures: 3 }] },
    message: "layers[0].inFeatures: expected positive integer, got 2.5",
  },
  {
    name: "a missing required option",
    spec: { layers: [{ type: "linear", inFeatures: 2 }] },
    message: "layers[0].outFeatures: required, expected positive integer",
  },
  {
    name: "an unknown layer type",
    spec: { layers: [{ type: "conv3d" }] },
    message:
      `layers[0].type: unknown layer type "conv3d" (did you mean "conv2d"?); expected one of ${
        LAYER_TYPES.join(", ")
      }`,
  },
  {
    name: "an unknown layer type with no near name",
    spec: { layers: [{ type: "transformer" }] },
    message: `layers[0].type: unknown layer type "transformer"; expected one of ${
      LAYER_TYPES.join(", ")
    }`,
  },
  {
    name: "a missing type",
    spec: { layers: [{ inFeatures: 2 }] },
    message: `layers[0].type: missing layer type; expected one of ${LAYER_TYPES.join(", ")}`,
  },
  {
    name: "a snake_case option",
    spec: {
      layers: [{ type: "conv2d", inChannels: 1, outChannels: 2, kernelSize: 3, kernel_size: 3 }],
    },
    message: 'layers[0].kernel_size: unknown option for "conv2d" (did you mean "kernelSize"? ' +
      "known options: inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias)",
  },
  {
    name: "a misspelt option inside a residual branch",
    spec: {
      layers: [{ type: "residual", layers: [{ type: "maxpool2d", kernelSize: 2, paddding: 1 }] }],
    },
    message: 'layers[0].layers[0].paddding: unknown option for "maxpool2d" (did you mean ' +
      '"padding"? known options: kernelSize, stride, padding, ceilMode, dilation)',
  },
  {
    name: "an option of a layer that takes none",
    spec: { layers: [{ type: "relu", inplace: true }] },
    message: 'layers[0].inplace: unknown option for "relu" (it takes none)',
  },
  {
    name: "an option PyTorch has but the spec does not (rng is not JSON)",
    spec: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2, rng: 1 }] },
    message:
      'layers[0].rng: unknown option for "linear" (known options: inFeatures, outFeatures, bias)',
  },
  {
    name: "a dropout probability of 1",
    spec: { layers: [{ type: "dropout", p: 1 }] },
    message: "layers[0].p: expected number in [0, 1), got 1",
  },
  {
    name: "a bad option inside a residual branch",
    spec: {
      layers: [{ type: "residual", layers: [{ type: "linear", inFeatures: 4, outFeatures: -4 }] }],
    },
    message: "layers[0].layers[0].outFeatures: expected positive integer, got -4",
  },
  {
    name: "a string where a flag belongs",
    spec: { layers: [{ type: "linear", inFeatures: 4, outFeatures: 4, bias: "yes" }] },
    message: 'layers[0].bias: expected boolean, got "yes"',
  },
  {
    name: "layers that are not an array",
    spec: { layers: { type: "relu" } },
    message: 'layers: expected array of layers, got {"type":"relu"}',
  },
  {
    name: "an unknown top-level key",
    spec: { layers: [], optimizer: "sgd" },
    message: "optimizer: unknown option (known options: layers)",
  },
  {
    name: "a misspelt top-level key",
    spec: { layer: [] },
    message:
      'layer: unknown option (did you mean "layers"? known options: layers) (and 1 more problem)',
  },
  {
    name: "a misspelt required option (the typo is reported, not the missing name)",
    spec: { layers: [{ type: "conv2d", inChannels: 1, outChannels: 2, kernel_size: 3 }] },
    message: 'layers[0].kernel_size: unknown option for "conv2d" (did you mean "kernelSize"? ' +
      "known options: inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias) " +
      "(and 1 more problem)",
  },
];

for (const { name, spec, message } of INVALID) {
  test(`parseModelSpec() rejects ${name} with one TypeError naming the path`, () => {
    assert.throws(() => parseModelSpec(spec), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, `Invalid model spec: ${message}`);
      return true;
    });
  });
}

test("buildModel() puts the path in front of a layer constructor's own error", () => {
  assert.throws(
    () =>
      buildModel({
        layers: [
          { type: "relu" },
          {
            type: "residual",
            layers: [{ type: "conv2d", inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 }],
          },
        ],
      }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /^Invalid model spec: layers\[1\]\.layers\[0\]: Cannot create Conv2d: /,
      );
      return true;
    },
  );
});

test("parseModelSpec() rejects sequence layers that disagree on batchFirst, naming both", () => {
  const emb = { type: "positionalembedding", numEmbeddings: 5, embeddingDim: 4, maxLength: 3 };
  const block = { type: "transformerencoderlayer", dModel: 4, nhead: 2 };
  assert.throws(
    () =>
      parseModelSpec({
        layers: [{ ...emb, batchFirst: true }, { type: "residual", layers: [block] }],
      }),
    {
      name: "TypeError",
      message:
        "Invalid model spec: layers[1].layers[0].batchFirst is false (the default) but layers[0].batchFirst is true: the sequence layers of one model must share one layout (nothing in a spec transposes between them)",
    },
  );
  // Agreeing layouts, given or by default, pass.
  parseModelSpec({ layers: [{ ...emb, batchFirst: true }, { ...block, batchFirst: true }] });
  parseModelSpec({ layers: [emb, block, { type: "lstm", inputSize: 4, hiddenSize: 4 }] });
});

test("parseModelSpec() reports the first problem and how many more there are", () => {
  assert.throws(
    () => parseModelSpec({ layers: [{ type: "linear", inFeatures: 0, outFeatures: 0 }] }),
    {
      message:
        "Invalid model spec: layers[0].inFeatures: expected positive integer, got 0 (and 1 more problem)",
    },
  );
});

test("parseModelSpec() rejects text that is not JSON with a SyntaxError", () => {
  assert.throws(() => parseModelSpec("{layers: ["), SyntaxError);
});

test("formatPath() writes array indices in brackets and keys with dots", () => {
  assert.equal(
    formatPath(["layers", 3, "layers", 0, "kernelSize"]),
    "layers[3].layers[0].kernelSize",
  );
  assert.equal(formatPath([]), "(root)");
});
