/**
 * runCli: what train.ts runs — flags → dataset, model, trainer → `fit` → report; `--resume`
 * continues a checkpoint, `--eval` reports one. Returns the exit code.
 */

import { readFile, stat } from "node:fs/promises";
import { FetchError } from "../data/fetch_cached.ts";
import { basename, join } from "node:path";
import { buildModel, type ModelSpec } from "../layers/spec.ts";
import {
  type CliOptions,
  ConfigError,
  parseCli,
  parseTrainState,
  usage,
  UsageError,
} from "./cli.ts";
import { checkModelFits, checkWorkers, specFrom } from "./_cli_checks.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import {
  checkOutputFolder,
  checkpointDir,
  checkpointFiles,
  loadCheckpoint,
  loadStateDict,
  readCheckpointJson,
} from "./checkpoint.ts";
import { loadDataset, type LoadedDataset } from "./datasets.ts";
import { LocalTrainer } from "./local_trainer.ts";
import { fit, type RunConfig } from "./loop.ts";
import { PRESETS, type TrainingDefaults } from "./presets.ts";
import { Progress, type ProgressMode } from "./progress.ts";
import { printResult } from "./report.ts";
import { createTrainer } from "./create_trainer.ts";
import { describeKernels, kernelSelection } from "../tensor/kernels/mod.ts";
import type { Augment, TrainerConfig } from "./trainer.ts";
import { evaluateText, isTextCheckpoint, sampleCheckpoint, trainText } from "./text_run.ts";

/** Where output goes; the CLI passes the process's streams, tests may pass strings. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

const DEFAULT_MODEL: Record<string, string> = {
  mnist: "mnist-cnn",
  "fashion-mnist": "mnist-cnn",
  cifar10: "cifar-cnn",
  svhn: "cifar-cnn",
  "svhn-extra": "cifar-cnn",
  moons: "mlp",
  blobs: "mlp",
  spirals: "mlp",
};

/** Settings for a model given as a spec file (no preset to take them from). */
const SPEC_FILE_DEFAULTS: TrainingDefaults = {
  epochs: 10,
  batchSize: 64,
  optimizer: "adam",
  lr: 1e-3,
  momentum: 0.9,
  weightDecay: 0,
  scheduler: "cosine",
  augment: false,
};

/** Parses `args`, runs training, resume or evaluation, prints the results; returns 0, 1 (failure) or 2 (bad flags). */
export async function runCli(args: readonly string[], io: CliIO): Promise<number> {
  checkArgumentCount("Cannot run runCli", arguments.length, 2);
  checkOptions("Cannot run runCli: io", io, ["stdout", "stderr", "isTTY"]);
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${usage()}`);
    return 2;
  }
  if (options.help) {
    io.stdout(usage());
    return 0;
  }
  const mode: ProgressMode = options.json
    ? "json"
    : options.quiet
    ? "quiet"
    : io.isTTY
    ? "tty"
    : "lines";
  const progress = new Progress(mode, io.stdout);
  try {
    // Text runs (--dataset text, or a checkpoint whose state.json says so) have their own loop.
    if (options.generate !== undefined) return await sampleCheckpoint(options, progress, io);
    if (options.eval !== undefined && await isTextCheckpoint(options.eval)) {
      return await evaluateText(options, progress, io);
    }
    if (options.eval !== undefined && options.dataset === "text") {
      throw new ConfigError(`Cannot evaluate ${options.eval} on text: it is not a text checkpoint (its state.json is not a text run's)`);
    }
    if (
      options.dataset === "text" ||
      (options.resume !== undefined && await isTextCheckpoint(options.resume))
    ) {
      return await trainText(options, progress, io);
    }
    for (const [flag, value] of [["iters", options.iters], ["file", options.file]] as const) {
      if (value !== undefined) {
        throw new UsageError(`--${flag} applies to text runs; ${options.resume ?? options.eval} is not a text checkpoint`);
      }
    }
    if (options.eval !== undefined) return await evaluateCheckpoint(options, progress, io);
    return await train(options, progress, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${usage()}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    const hint = error instanceof FetchError
      ? "\nWith train.ts: --mirror /path/to/dir (or a URL) does the same.\n"
      : "";
    io.stderr(`error: ${(error as Error).message}\n${hint}`);
    return 1;
  }
}

async function train(options: CliOptions, progress: Progress, io: CliIO): Promise<number> {
  const resumed = options.resume !== undefined
    ? await resumeRun(options.resume, options.epochs, progress)
    : null;
  // Everything that can be checked before a download and an epoch is checked first.
  const workers = checkWorkers(options.workers, io.stderr);
  const out = options.out ?? resumed?.dir ??
    join(
      "runs",
      `${options.dataset}-${
        basename(options.model ?? DEFAULT_MODEL[options.dataset]).replace(/\.json$/, "")
      }`,
    );
  await checkOutputFolder(out).catch((error) => {
    throw new ConfigError((error as Error).message, { cause: error });
  });
  const data = await loadDataset(resumed?.config.dataset ?? options.dataset, {
    mirror: options.mirror,
    allowUnverified: options.allowUnverifiedData,
    limitTrain: resumed ? resumed.config.limitTrain : options.limitTrain ?? null,
    limitTest: resumed ? resumed.config.limitTest : options.limitTest ?? null,
    onProgress: (bytes, total) =>
      progress.transfer(resumed?.config.dataset ?? options.dataset, bytes, total),
  });
  const { config, spec } = resumed ?? await resolveRun(options, data);
  const trainer = await createTrainer({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: optimizerConfig(config),
    seed: config.seed,
    workers,
  });
  progress.info(
    `${config.dataset}: ${data.train.shape[0]} train / ${
      data.test.shape[0]
    } test samples (${data.verification}); model ${config.model}; ` +
      `${config.optimizer} lr ${config.lr}, ${config.scheduler} schedule, batch ${config.batchSize}, ` +
      `${config.epochs} epochs; ${workers} worker${workers > 1 ? "s" : ""}; output ${out}`,
  );
  progress.info(describeKernels());
  progress.event("start", {
    config,
    workers,
    out,
    kernels: kernelSelection,
    trainSamples: data.train.shape[0],
    testSamples: data.test.shape[0],
    verification: data.verification,
  });
  try {
    const started = performance.now();
    const result = await fit({
      trainer,
      config,
      train: data.train,
      test: data.test,
      augment: augmentFor(config, data),
      spec,
      progress,
      out,
      resume: resumed?.checkpoint,
    });
    printResult(result.test!, data, progress, io, {
      seconds: (performance.now() - started) / 1000,
      out,
    });
  } finally {
    await trainer.close();
  }
  return 0;
}

/** Reads a checkpoint folder for `--resume`: its settings (with `epochs` as the new total), spec and state. */
async function resumeRun(path: string, epochs: number | undefined, progress: Progress) {
  const dir = await checkpointDir(path);
  const checkpoint = await loadCheckpoint(path);
  const files = await checkpointFiles(path);
  const saved = parseTrainState(checkpoint.state, files.state);
  const config: RunConfig = { ...saved.config, epochs: epochs ?? saved.config.epochs };
  if (saved.epoch >= config.epochs) {
    progress.info(`${dir} already has ${saved.epoch} of ${config.epochs} epochs; evaluating only`);
  }
  return { dir, checkpoint, config, spec: specFrom(checkpoint.spec, files.spec) };
}

async function evaluateCheckpoint(
  options: CliOptions,
  progress: Progress,
  io: CliIO,
): Promise<number> {
  const files = await checkpointFiles(options.eval!);
  const dir = files.dir;
  const spec = specFrom(await readCheckpointJson(files.spec), files.spec);
  // A folder with only model.safetensors + model.json (e.g. exported from PyTorch) has no
  // state.json: then --dataset says what to evaluate on. A state.json that is there is read.
  const saved = await stat(files.state).then(
    async () => parseTrainState(await readCheckpointJson(files.state), files.state, "evaluate"),
    (error) => {
      if ((error as { code?: string }).code === "ENOENT") return null;
      throw new Error(`Cannot read ${files.state}: ${(error as Error).message}`, { cause: error });
    },
  );
  if (saved === null && !options.datasetGiven) {
    throw new ConfigError(
      `Cannot evaluate ${dir}: it has no ${
        basename(files.state)
      } to say which dataset it was trained on; pass --dataset`,
    );
  }
  const dataset = options.datasetGiven || saved === null ? options.dataset : saved.config.dataset;
  const data = await loadDataset(dataset, {
    mirror: options.mirror,
    allowUnverified: options.allowUnverifiedData,
    limitTest: options.limitTest ?? saved?.config.limitTest ?? null,
    splits: "test",
  });
  const trainer = await LocalTrainer.fromConfig({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0 },
    seed: 0,
  });
  const { tensors } = await loadStateDict(
    files.model,
    trainer.model.stateDict(),
  );
  await trainer.loadStateDict(tensors);
  try {
    checkModelFits(trainer.model, data, files.spec, `Cannot evaluate ${dir} on ${dataset}`);
  } catch (error) {
    // A --dataset the model does not fit is a command-line mistake; a state.json that names one is a broken checkpoint.
    if (options.datasetGiven) throw new ConfigError((error as Error).message, { cause: error });
    throw error;
  }
  await trainer.setData("test", data.test);
  progress.info(`evaluating ${dir} on ${dataset} (${data.test.shape[0]} test samples, ${data.verification})`);
  const started = performance.now();
  printResult(await trainer.evaluate("test"), data, progress, io, {
    seconds: (performance.now() - started) / 1000,
  });
  await trainer.close();
  return 0;
}

/** The run's settings: flags over the preset's defaults; the spec from the preset or the file. */
async function resolveRun(
  options: CliOptions,
  data: LoadedDataset,
): Promise<{ config: RunConfig; spec: ModelSpec }> {
  const model = options.model ?? DEFAULT_MODEL[options.dataset];
  const preset = PRESETS[model];
  let spec: ModelSpec;
  let defaults: TrainingDefaults;
  if (preset !== undefined) {
    const input = { sampleShape: data.sampleShape, numClasses: data.numClasses };
    spec = preset.build(input);
    defaults = { ...preset.defaults, ...preset.defaultsFor?.(input) };
  } else {
    let text: string;
    try {
      text = await readFile(model, "utf8");
    } catch {
      throw new UsageError(
        `--model: "${model}" is neither a preset (${
          Object.keys(PRESETS).join(", ")
        }) nor a readable JSON spec file`,
      );
    }
    try {
      spec = specFrom(text, model);
      checkModelFits(
        buildModel(spec),
        data,
        model,
        `--model ${model} cannot train on ${options.dataset}`,
      );
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
    defaults = SPEC_FILE_DEFAULTS;
  }
  const config: RunConfig = {
    dataset: options.dataset,
    model,
    epochs: options.epochs ?? defaults.epochs,
    batchSize: options.batchSize ?? defaults.batchSize,
    optimizer: options.optimizer ?? defaults.optimizer,
    lr: options.lr ?? defaults.lr,
    momentum: options.momentum ?? defaults.momentum,
    weightDecay: options.weightDecay ?? defaults.weightDecay,
    scheduler: options.scheduler ?? defaults.scheduler,
    augment: options.augment ?? defaults.augment,
    seed: options.seed,
    limitTrain: options.limitTrain ?? null,
    limitTest: options.limitTest ?? null,
  };
  return { config, spec };
}

/** The optimizer config of a run: only the options the chosen optimizer takes. */
export function optimizerConfig(config: RunConfig): TrainerConfig["optimizer"] {
  const { optimizer: type, lr, momentum, weightDecay } = config;
  return type === "sgd" || type === "rmsprop"
    ? { type, lr, momentum, weightDecay }
    : { type, lr, weightDecay };
}

/** `--augment` on images: random crop with padding (4 for 32×32 and larger, else 2); flips for CIFAR-10 only (digits are not mirror-symmetric). */
function augmentFor(config: RunConfig, data: LoadedDataset): Augment | undefined {
  if (!config.augment || data.train.kind !== "images") return undefined;
  return { cropPadding: data.sampleShape[1] >= 32 ? 4 : 2, flip: config.dataset === "cifar10" };
}
