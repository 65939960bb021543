import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../tensor/rng.ts";
import { makeBlobs } from "../../data/synthetic.ts";
import { countCorrect, LocalTrainer } from "../../train/local_trainer.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { ImageData, TrainerConfig, VectorData } from "../../train/trainer.ts";

const CONFIG: TrainerConfig = {
  model: {
    layers: [{ type: "linear", inFeatures: 2, outFeatures: 8 }, { type: "relu" }, {
      type: "linear",
      inFeatures: 8,
      outFeatures: 3,
    }],
  },
  loss: { type: "cross_entropy" },
  optimizer: { type: "adam", lr: 0.05 },
  seed: 1,
};

function blobs(): VectorData {
  const { x, y } = makeBlobs(120, { centers: 3, clusterStd: 0.5, rng: new Rng(2) });
  return { kind: "vectors", x: x.data, shape: [120, 2], labels: y };
}

const all = Int32Array.from({ length: 120 }, (_, i) => i);

test("LocalTrainer.step() lowers the loss on a separable set and evaluate() agrees", async () => {
  const trainer = await LocalTrainer.fromConfig(CONFIG);
  await trainer.setData("train", blobs());
  const first = await trainer.step(all);
  let last = first;
  for (let i = 0; i < 60; i++) last = await trainer.step(all);
  assert.ok(last.loss < first.loss / 4, `${first.loss} → ${last.loss}`);
  const evaluation = await trainer.evaluate("train");
  assert.equal(evaluation.count, 120);
  assert.ok(evaluation.correct >= 115, `${evaluation.correct}/120`);
});

test("LocalTrainer.fromConfig() with the same seed gives the same weights; stateDict() returns copies", async () => {
  const a = await (await LocalTrainer.fromConfig(CONFIG)).stateDict();
  const trainer = await LocalTrainer.fromConfig(CONFIG);
  const b = await trainer.stateDict();
  assert.deepEqual(Array.from(a["0.weight"].data), Array.from(b["0.weight"].data));
  b["0.weight"].data[0] += 1;
  assert.notEqual((await trainer.stateDict())["0.weight"].data[0], b["0.weight"].data[0]);
});

test("LocalTrainer.loadStateDict() names a shape mismatch", async () => {
  const trainer = await LocalTrainer.fromConfig(CONFIG);
  const state = await trainer.stateDict();
  state["2.weight"] = Tensor.zeros([4, 8]);
  await assert.rejects(
    trainer.loadStateDict(state),
    /"2\.weight" has shape \[4, 8\] in the state dict but \[3, 8\] in the model/,
  );
});

test("LocalTrainer optimizer state round-trips into a fresh trainer and continues identically", async () => {
  const a = await LocalTrainer.fromConfig(CONFIG);
  await a.setData("train", blobs());
  for (let i = 0; i < 3; i++) await a.step(all);
  const b = await LocalTrainer.fromConfig(CONFIG);
  await b.setData("train", blobs());
  await b.loadStateDict(await a.stateDict());
  await b.loadOptimizerStateDict(await a.optimizerStateDict());
  assert.equal((await b.step(all)).loss, (await a.step(all)).loss);
  assert.deepEqual(
    Array.from((await b.stateDict())["0.weight"].data),
    Array.from((await a.stateDict())["0.weight"].data),
  );
});

test("LocalTrainer normalizes image bytes per channel and augments only training batches", async () => {
  const trainer = await LocalTrainer.fromConfig({
    model: { layers: [{ type: "flatten" }, { type: "linear", inFeatures: 4, outFeatures: 2 }] },
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0 },
    seed: 0,
  });
  const images: ImageData = {
    kind: "images",
    images: new Uint8Array([0, 255, 51, 102]),
    shape: [1, 1, 2, 2],
    labels: new Uint8Array([1]),
    mean: [0.2],
    std: [0.5],
  };
  await trainer.setData("test", images);
  await trainer.setData("train", images, { flip: true });
  // With weight = identity-like probe: read the model input through a Linear with known weights.
  const linear = trainer.model.stateDict();
  linear["1.weight"].data.set([1, 0, 0, 0, 0, 1, 0, 0]);
  linear["1.bias"].data.fill(0);
  const { predictions } = await trainer.evaluate("test");
  // x = (byte/255 − 0.2)/0.5 = [-0.4, 1.6, 0, 0.4]: logit 1 (1.6) beats logit 0 (−0.4).
  assert.deepEqual(Array.from(predictions), [1]);
});

test("LocalTrainer rejects use before setData and after close", async () => {
  const trainer = await LocalTrainer.fromConfig(CONFIG);
  await assert.rejects(trainer.step(all), /no "train" data; call setData\("train", \.\.\.\) first/);
  await trainer.close();
  await assert.rejects(trainer.evaluate("test"), /the trainer is closed/);
});

test("countCorrect() takes the first maximum on ties, as torch.argmax", () => {
  const out = new Tensor(new Float32Array([1, 1, 0, 0, 2, 2]), [2, 3]);
  const into = new Int32Array(2);
  assert.equal(countCorrect(out, new Int32Array([0, 1]), into), 2);
  assert.deepEqual(Array.from(into), [0, 1]);
});
