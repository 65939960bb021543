import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../tensor/tensor.ts";
import { Rng } from "../../tensor/rng.ts";
import { buildModel, parseModelSpec } from "../../layers/spec.ts";
import { PRESET_NAMES, PRESETS } from "../../train/presets.ts";

const INPUTS = [
  { name: "MNIST", sampleShape: [1, 28, 28], numClasses: 10 },
  { name: "CIFAR-10", sampleShape: [3, 32, 32], numClasses: 10 },
];

for (const preset of PRESET_NAMES) {
  for (const input of INPUTS) {
    test(`PRESETS["${preset}"].build() gives a valid spec whose model maps ${input.name} [2, ${input.sampleShape}] to [2, 10]`, () => {
      const spec = parseModelSpec(PRESETS[preset].build(input));
      const model = buildModel(spec);
      const x = Tensor.randn([2, ...input.sampleShape], { rng: new Rng(1) });
      assert.deepEqual(model.forward(x).shape, [2, 10]);
    });
  }
}

test(`PRESETS.mlp builds a 2-64-64-K network for 2-D toy sets with their own defaults`, () => {
  const input = { sampleShape: [2], numClasses: 3 };
  const spec = PRESETS.mlp.build(input);
  assert.deepEqual(spec.layers.map((l) => l.type), ["linear", "relu", "linear", "relu", "linear"]);
  assert.equal(PRESETS.mlp.defaultsFor?.(input).epochs, 30);
});

test("PRESETS.lenet is the seed course's CNN exactly", () => {
  assert.deepEqual(PRESETS.lenet.build({ sampleShape: [1, 28, 28], numClasses: 10 }).layers, [
    { type: "conv2d", inChannels: 1, outChannels: 8, kernelSize: 5 },
    { type: "maxpool2d", kernelSize: 2 },
    { type: "relu" },
    { type: "conv2d", inChannels: 8, outChannels: 16, kernelSize: 3 },
    { type: "maxpool2d", kernelSize: 2 },
    { type: "relu" },
    { type: "flatten" },
    { type: "linear", inFeatures: 400, outFeatures: 10 },
  ]);
});

test("PRESETS.lenet refuses vector data with a TypeError naming the shape", () => {
  assert.throws(
    () => PRESETS.lenet.build({ sampleShape: [2], numClasses: 2 }),
    /needs images \[C, H, W\], the dataset gives samples of shape \[2\]/,
  );
});

test("PRESETS.resnet-small has residual blocks with BatchNorm (PyTorch keys with num_batches_tracked)", () => {
  const model = buildModel(
    PRESETS["resnet-small"].build({ sampleShape: [3, 32, 32], numClasses: 10 }),
  );
  const keys = Object.keys(model.stateDict());
  assert.ok(keys.some((k) => /^3\.\w+\.1\.running_mean$/.test(k)), keys.join(" "));
  assert.ok(keys.includes("1.num_batches_tracked"));
});
