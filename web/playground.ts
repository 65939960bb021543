/**
 * The playground page (web/index.html, `npm run web`): pick a dataset, a train.ts preset and
 * the optimizer, train in workers (DataParallel on module Web Workers when the page is
 * cross-origin isolated, else one Worker) with live loss/accuracy curves and samples/s, a
 * per-class report and confusion matrix after each epoch, a decision boundary for the 2-D
 * sets and a drawing pad for MNIST; checkpoints go out and come in as train.ts's
 * model.safetensors + model.json. `globalThis.playground` exposes the state to the browser tests.
 */

/// <reference lib="dom" />

import { PRESETS } from "../train/presets.ts";
import { classificationReport, confusionMatrix } from "../train/metrics.ts";
import type { ModelSpec } from "../layers/spec.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/rng.ts";
import {
  drawBoundary,
  drawChart,
  type Series,
  showConfusion,
  showReport,
} from "./playground_charts.ts";
import { encodeCheckpoint, Predictor } from "./playground_model.ts";
import {
  $,
  downloadFiles,
  input,
  integer,
  readPickedCheckpoint,
  schedule,
  select,
  showProbabilities,
} from "./playground_ui.ts";
import { padToMnist, setupPad } from "./playground_pad.ts";
import {
  createTrainer,
  IMAGE_SETS,
  loadImageSet,
  loadSynthetic,
  type PlaygroundData,
} from "./playground_trainer.ts";

/**
 * Where each set is on the server when no files are picked: serve.ts's one `--mirror` folder
 * (MNIST by `npm run web`) is /data/, so Fashion-MNIST must be a fashion-mnist/ folder inside
 * it; a set that is not there is an HTTP 404 naming the URL, never the other set's files.
 */
const SERVER_FOLDERS: Record<string, string> = {
  mnist: "/data/",
  "fashion-mnist": "/data/fashion-mnist/",
};
const IMAGE_PRESETS = ["lenet", "mnist-cnn", "mlp"];
const VECTOR_PRESETS = ["mlp"];

/** What the tests read (and what the page shows). */
const state = {
  running: false,
  epochsDone: 0,
  testAccuracy: null as number | null,
  samplesPerSecond: null as number | null,
  mode: "",
  error: null as string | null,
  prediction: null as { label: number; probabilities: number[] } | null,
};
let data: PlaygroundData | null = null;
let dataKey = "";
let model: { spec: ModelSpec; state: Record<string, Tensor> } | null = null;
let loaded: { spec: ModelSpec; state: Record<string, Tensor> } | null = null;
let predictor: Predictor | null = null;
let stopRequested = false;

const isolationLine = crossOriginIsolated
  ? `cross-origin isolated: training runs on up to ${navigator.hardwareConcurrency} workers (DataParallel over SharedArrayBuffer)`
  : "training on one worker: the page is not cross-origin isolated (no COOP/COEP headers), " +
    "so SharedArrayBuffer, which DataParallel needs, is unavailable";
$("isolation").textContent = isolationLine;
if (!crossOriginIsolated) $("isolation").className = "warning";
input("workers").value = String(
  crossOriginIsolated ? Math.min(navigator.hardwareConcurrency, 8) : 1,
);
input("workers").disabled = !crossOriginIsolated;

function fail(error: unknown): void {
  state.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  $("error").textContent = state.error;
}

/** Fills the preset list for the dataset and the preset's defaults into the fields. */
function onDataset(): void {
  const isImage = select("dataset").value in IMAGE_SETS;
  const names = isImage ? IMAGE_PRESETS : VECTOR_PRESETS;
  select("preset").innerHTML = names.map((n) => `<option value="${n}">${n}</option>`).join("");
  $("pad-section").hidden = select("dataset").value !== "mnist";
  $("boundary-section").hidden = isImage;
  onPreset();
}

function onPreset(): void {
  const preset = PRESETS[select("preset").value];
  const isImage = select("dataset").value in IMAGE_SETS;
  const input2d = { sampleShape: isImage ? [1, 28, 28] : [2], numClasses: 10 };
  const d = { ...preset.defaults, ...preset.defaultsFor?.(input2d) };
  input("batch-size").value = String(d.batchSize);
  input("lr").value = String(d.lr);
  select("optimizer").value = d.optimizer === "adamw"
    ? "adamw"
    : d.optimizer === "adam"
    ? "adam"
    : "sgd";
  select("schedule").value = d.scheduler === "onecycle" ? "onecycle" : "constant";
  input("epochs").value = String(isImage ? Math.min(d.epochs, 2) : d.epochs);
}

async function getData(): Promise<PlaygroundData> {
  const name = select("dataset").value;
  const limit = integer("limit", true);
  const files = input("idx-files").files;
  const key = `${name}/${limit}/${
    files?.length ? [...files].map((f) => f.name + f.size).join() : "server"
  }`;
  if (data !== null && dataKey === key) return data;
  $("progress").textContent = `loading ${name}...`;
  data = name in IMAGE_SETS
    ? await loadImageSet(name, files?.length ? { files } : { folder: SERVER_FOLDERS[name] }, limit)
    : loadSynthetic(name);
  dataKey = key;
  return data;
}

const curves = {
  loss: [] as [number, number][],
  trainAcc: [] as [number, number][],
  testAcc: [] as [number, number][],
};

function redrawCharts(): void {
  drawChart($("loss-chart"), "training loss", [{ name: "train loss", points: curves.loss }]);
  const acc: Series[] = [
    { name: "train acc", points: curves.trainAcc },
    { name: "test acc", points: curves.testAcc },
  ];
  drawChart($("accuracy-chart"), "accuracy", acc, [0, 1]);
}

/** Runs the test split through `trainer` and shows the report; the weights become the pad's/boundary's. */
async function afterEpoch(
  trainer: { evaluate(): ReturnType<Awaited<ReturnType<typeof createTrainer>>["evaluate"]> },
  d: PlaygroundData,
): Promise<number> {
  const result = await trainer.evaluate();
  const report = classificationReport(
    confusionMatrix(result.predictions, d.labels.test, d.numClasses),
  );
  showReport($("report"), report, d.classNames);
  showConfusion($("confusion"), report, d.classNames);
  $("test-accuracy").textContent = `(accuracy ${(report.accuracy * 100).toFixed(2)}%)`;
  return report.accuracy;
}

function setModel(
  next: { spec: ModelSpec; state: Record<string, Tensor> },
  d: PlaygroundData,
): void {
  model = next;
  predictor = new Predictor(next.spec, next.state, d.sampleShape);
  ($("download") as HTMLButtonElement).disabled = false;
  if (d.train.kind === "vectors") {
    const x = (d.test as { x: Float32Array }).x;
    drawBoundary($("boundary"), (xy, n) => predictor!.probabilities(xy, n), {
      x,
      labels: d.labels.test,
    });
  } else predictPad();
}

async function start(): Promise<void> {
  const button = (
    id: string,
    disabled: boolean,
  ) => (($(id) as HTMLButtonElement).disabled = disabled);
  state.error = null;
  $("error").textContent = "";
  state.running = true;
  stopRequested = false;
  button("start", true);
  button("stop", false);
  let trainer: Awaited<ReturnType<typeof createTrainer>> | null = null;
  try {
    const d = await getData();
    const epochs = integer("epochs")!,
      batchSize = integer("batch-size")!,
      workers = integer("workers")!;
    const lr = Number(input("lr").value);
    if (!Number.isFinite(lr) || lr <= 0) {
      throw new RangeError(`lr: expected a positive number, got "${input("lr").value}"`);
    }
    const preset = PRESETS[select("preset").value];
    const resume = input("continue").checked && loaded !== null;
    const spec = resume
      ? loaded!.spec
      : preset.build({ sampleShape: d.sampleShape, numClasses: d.numClasses });
    const kind = select("optimizer").value as "sgd" | "adam" | "adamw";
    const weightDecay = preset.defaults.weightDecay;
    const optimizer = kind === "sgd"
      ? { type: kind, lr, momentum: 0.9, weightDecay }
      : { type: kind, lr, weightDecay };
    $("progress").textContent = "starting workers...";
    trainer = await createTrainer({
      model: spec,
      loss: { type: "cross_entropy" },
      optimizer,
      seed: 0,
      workers,
    }, d);
    if (resume) await trainer.loadStateDict(loaded!.state);
    state.mode = trainer.mode;
    const n = d.train.shape[0], perEpoch = Math.ceil(n / batchSize);
    const rates = schedule(perEpoch * epochs, lr, select("schedule").value);
    const chunk = d.train.kind === "vectors" ? 4 : 10;
    const rng = new Rng(0);
    curves.loss = [], curves.trainAcc = [], curves.testAcc = [];
    state.epochsDone = 0;
    for (let epoch = 0; epoch < epochs && !stopRequested; epoch++) {
      const order = rng.permutation(n);
      const batches = Array.from(
        { length: perEpoch },
        (_, b) => order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize)),
      );
      for (let i = 0; i < perEpoch && !stopRequested; i += chunk) {
        const started = performance.now();
        const step0 = epoch * perEpoch + i;
        const results = await trainer.trainSteps(
          batches.slice(i, i + chunk),
          // As many rates as batches: an epoch's last chunk may be short.
          rates.slice(step0, step0 + Math.min(chunk, perEpoch - i)),
        );
        const seconds = (performance.now() - started) / 1000;
        const count = results.reduce((a, r) => a + r.count, 0);
        const at = epoch + (i + results.length) / perEpoch;
        curves.loss.push([at, results.reduce((a, r) => a + r.loss * r.count, 0) / count]);
        curves.trainAcc.push([at, results.reduce((a, r) => a + r.correct, 0) / count]);
        state.samplesPerSecond = count / seconds;
        $("progress").textContent =
          `epoch ${epoch + 1}/${epochs}, step ${i + results.length}/${perEpoch}, ` +
          `loss ${curves.loss.at(-1)![1].toFixed(4)}, ${
            Math.round(state.samplesPerSecond)
          } samples/s (${trainer.mode})`;
        redrawCharts();
        if (d.train.kind === "vectors") setModel({ spec, state: await trainer.stateDict() }, d);
      }
      const accuracy = await afterEpoch(trainer, d);
      curves.testAcc.push([epoch + 1, accuracy]);
      redrawCharts();
      setModel({ spec, state: await trainer.stateDict() }, d);
      state.testAccuracy = accuracy;
      state.epochsDone = epoch + 1;
    }
    $("progress").textContent += stopRequested ? " — stopped" : " — done";
  } catch (error) {
    fail(error);
  } finally {
    await trainer?.close().catch(fail);
    state.running = false;
    button("start", false);
    button("stop", true);
  }
}

/** Evaluates the loaded checkpoint on the chosen dataset's test split (in workers). */
async function evaluateLoaded(): Promise<void> {
  if (loaded === null) return;
  let trainer: Awaited<ReturnType<typeof createTrainer>> | null = null;
  try {
    state.running = true;
    const d = await getData();
    const workers = integer("workers")!;
    trainer = await createTrainer({
      model: loaded.spec,
      loss: { type: "cross_entropy" },
      optimizer: { type: "sgd", lr: 0 },
      seed: 0,
      workers,
    }, d);
    await trainer.loadStateDict(loaded.state);
    state.testAccuracy = await afterEpoch(trainer, d);
    setModel(loaded, d);
    $("progress").textContent = `evaluated the loaded checkpoint: test accuracy ${
      (state.testAccuracy * 100).toFixed(2)
    }%`;
  } catch (error) {
    fail(error);
  } finally {
    await trainer?.close().catch(fail);
    state.running = false;
  }
}

async function onCheckpointFiles(): Promise<void> {
  try {
    const picked = await readPickedCheckpoint([...(input("checkpoint-files").files ?? [])]);
    loaded = { spec: picked.spec, state: picked.state };
    ($("evaluate") as HTMLButtonElement).disabled = false;
    input("continue").disabled = false;
    $("progress").textContent = `loaded ${picked.names} (${
      Object.keys(picked.state).length
    } tensors)`;
  } catch (error) {
    fail(error);
  }
}

function checkpointFiles() {
  if (model === null) throw new Error("download checkpoint: train or load a model first");
  return encodeCheckpoint(model.state, model.spec);
}

function predictPad(): void {
  const pixels = padToMnist($("pad"));
  if (predictor === null || data === null || pixels === null) return;
  const set = IMAGE_SETS[data.name];
  const x = Float32Array.from(pixels, (v) => (v / 255 - set.mean) / set.std);
  const p = [...predictor.probabilities(x, 1)[0]];
  const label = p.indexOf(Math.max(...p));
  state.prediction = { label, probabilities: p };
  $("prediction").textContent = `predicted: ${data.classNames[label]} (${
    (p[label] * 100).toFixed(1)
  }%)`;
  $("prediction").dataset.label = String(label);
  showProbabilities($("probabilities"), p, data.classNames);
}

const pad = setupPad($("pad"), predictPad);
$("clear").addEventListener("click", () => {
  pad.clear();
  state.prediction = null;
  $("prediction").textContent = "draw a digit";
  $("probabilities").innerHTML = "";
});
select("dataset").addEventListener("change", onDataset);
select("preset").addEventListener("change", onPreset);
$("start").addEventListener("click", () => void start());
$("stop").addEventListener("click", () => (stopRequested = true));
$("download").addEventListener("click", () => {
  try {
    downloadFiles(checkpointFiles());
  } catch (error) {
    fail(error);
  }
});
input("checkpoint-files").addEventListener("change", () => void onCheckpointFiles());
$("evaluate").addEventListener("click", () => void evaluateLoaded());
onDataset();
redrawCharts();

const api = { state: () => ({ ...state }), checkpointFiles };
(globalThis as { playground?: typeof api }).playground = api;
