import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../tensor/rng.ts";
import { makeBlobs } from "../../data/synthetic.ts";
import { countCorrect, LocalTrainer } from "../../train/local_trainer.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type ImageData, NonFiniteError, type TrainerConfig, type VectorData } from "../../train/trainer.ts";

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

const NAN_GRAD: TrainerConfig = {
  model: { moduleUrl: new URL("../parallel/fixtures/nan_grad_model.ts", import.meta.url).href },
  loss: { type: "cross_entropy" },
  optimizer: { type: "sgd", lr: 0.1, momentum: 0.9 },
  seed: 0,
};

/** Rows 0..7 ordinary, row 8 holds a NaN, row 9 is 1e5 everywhere (the fixture's gradients turn NaN). */
function poisoned(): VectorData {
  const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
  x.fill(1e5, 36, 40);
  x[33] = NaN;
  return { kind: "vectors", x, shape: [10, 4], labels: Int32Array.from({ length: 10 }, (_, i) => i % 3) };
}

test("LocalTrainer.step() rejects NaN gradients under a finite loss, and a NaN loss, without applying the step", async () => {
  const trainer = await LocalTrainer.fromConfig(NAN_GRAD);
  await trainer.setData("train", poisoned());
  await trainer.step(new Int32Array([0, 1, 2]));
  const before = await trainer.stateDict();
  const unchanged = async () => {
    const after = await trainer.stateDict();
    for (const [key, t] of Object.entries(before)) assert.deepEqual(after[key].data, t.data, key);
  };
  await assert.rejects(trainer.step(new Int32Array([3, 9])), (error: unknown) => {
    assert.ok(error instanceof NonFiniteError, String(error));
    assert.equal(error.kind, "gradient");
    assert.equal(error.parameter, "0.weight");
    assert.equal(error.stepIndex, 0);
    assert.equal(
      error.message,
      'Cannot run LocalTrainer.step: the gradient of "0.weight" is NaN (element 0); the step was not applied, the parameters are still the last finite ones',
    );
    return true;
  });
  await unchanged();
  await assert.rejects(trainer.step(new Int32Array([8, 1])), {
    name: "NonFiniteError",
    message: /^Cannot run LocalTrainer\.step: the loss is NaN; the step was not applied/,
  });
  await unchanged();
  assert.ok(Number.isFinite((await trainer.step(new Int32Array([0, 1]))).loss));
});

test("LocalTrainer rejects unknown config and option keys and extra arguments; `await using` closes it", async () => {
  const fromConfig = LocalTrainer.fromConfig as (...args: unknown[]) => Promise<LocalTrainer>;
  await assert.rejects(fromConfig({ ...CONFIG, sed: 1 }), {
    name: "TypeError",
    message: /^Cannot create LocalTrainer: config: unknown option "sed" \(did you mean "seed"\?/,
  });
  await assert.rejects(fromConfig(CONFIG, {}), /expected at most 1 argument, got 2/);
  const { model, loss, optimizer } = await LocalTrainer.fromConfig(CONFIG);
  const Ctor = LocalTrainer as unknown as new (...args: unknown[]) => LocalTrainer;
  assert.throws(() => new Ctor({ model, loss, optimizer }, { classTarget: false }), /unknown option "classTarget" \(did you mean "classTargets"\?/);
  assert.throws(() => new Ctor({ model, loss, optimizer, evalBatch: 5 }), /parts: unknown option "evalBatch" \(did you mean "evalBatchSize"\?/);
  let kept: LocalTrainer;
  {
    await using trainer = new LocalTrainer({ model, loss, optimizer });
    kept = trainer;
  }
  await assert.rejects(kept.step(new Int32Array([0])), /the trainer is closed/);
});
