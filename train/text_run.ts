/**
 * What train.ts runs for character-level language models: `--dataset text` trains a
 * text preset (train/text_presets.ts) or spec file on a UTF-8 corpus with `fitText`,
 * `--resume` and `--eval` take a text checkpoint, `--generate N` samples from one. The
 * vocabulary travels in state.json, so a checkpoint folder is all that evaluation and
 * generation need (evaluation also reads the corpus it names).
 */

import { basename, join } from "node:path";
import { Rng } from "../tensor/rng.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { buildModel, type ModelSpec } from "../layers/spec.ts";
import type { TextDataset } from "../data/text.ts";
import { type CliOptions, ConfigError, UsageError } from "./cli.ts";
import { checkWorkers } from "./_cli_checks.ts";
import { checkOutputFolder, checkpointDir } from "./checkpoint.ts";
import { createTrainer } from "./create_trainer.ts";
import { describeKernels, kernelSelection } from "../tensor/kernels/mod.ts";
import { LocalTrainer } from "./local_trainer.ts";
import type { Progress } from "./progress.ts";
import { fitText, type TextEvalRecord, type TextRunConfig, tokenData } from "./text_loop.ts";
import { generateText } from "./generate.ts";
import { corpus, readTextCheckpoint } from "./_text_checkpoint.ts";
import { newRun } from "./_text_new_run.ts";

export { isTextCheckpoint, parseTextState } from "./_text_checkpoint.ts";
export { DEFAULT_TEXT_FILE } from "./_text_new_run.ts";

/** Where output goes (run_cli.ts's `CliIO`). */
interface IO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

/** Trains (or, with `--resume`, continues) a text run; returns the exit code. */
export async function trainText(options: CliOptions, progress: Progress, io: IO): Promise<number> {
  if (options.resume !== undefined && options.epochs !== undefined) {
    throw new UsageError(
      "--epochs does not apply to text checkpoints (they count optimizer steps): use --iters",
    );
  }
  const resumed = options.resume !== undefined
    ? await readTextCheckpoint(options.resume, "resume from")
    : null;
  const workers = checkWorkers(options.workers, io.stderr);
  const modelName = resumed?.state.config.model ?? options.model ?? "char-lstm";
  const out = options.out ??
    (resumed !== null
      ? await checkpointDir(options.resume!)
      : join("runs", `text-${basename(modelName).replace(/\.json$/, "")}`));
  await checkOutputFolder(out).catch((error) => {
    throw new ConfigError((error as Error).message, { cause: error });
  });
  let config: TextRunConfig;
  let spec: ModelSpec;
  let data: TextDataset;
  let initialize: ((state: Record<string, Tensor>) => void) | null = null;
  if (resumed !== null) {
    const saved = resumed.state.config;
    config = { ...saved, iters: options.iters ?? saved.iters };
    data = await corpus(
      saved.file,
      saved.blockSize,
      saved,
      resumed.vocabulary,
      `resume ${resumed.dir}`,
    );
    spec = resumed.spec;
    if (resumed.state.iter >= config.iters) {
      progress.info(
        `${resumed.dir} already has ${resumed.state.iter} of ${config.iters} iterations; nothing to train`,
      );
    } else if (config.iters > config.lrDecayIters) {
      progress.info(
        `resume: the learning rate stays at ${config.minLr} after iteration ${config.lrDecayIters} (the cosine decay of the saved run)`,
      );
    }
  } else {
    ({ config, spec, data, initialize } = await newRun(options, modelName));
  }
  const trainer = await createTrainer({
    model: spec,
    loss: { type: "cross_entropy" },
    optimizer: {
      type: config.optimizer,
      lr: config.lr,
      weightDecay: config.weightDecay,
      betas: config.betas,
    },
    seed: config.seed,
    workers,
  });
  try {
    const initial = await trainer.stateDict();
    if (initialize !== null) {
      initialize(initial);
      await trainer.loadStateDict(initial);
    }
    const parameters = Object.values(initial).reduce((n, t) => n + t.size, 0);
    const { train, val, vocabulary } = data;
    progress.info(
      `text ${config.file}: ${
        train.length + val.length
      } characters (${train.length} train / ${val.length} val), ` +
        `vocabulary ${vocabulary.size}; model ${config.model} (${parameters} parameters); ` +
        `${config.optimizer} lr ${config.lr} (warmup ${config.warmupIters}, cosine to ${config.minLr} at ${config.lrDecayIters}), ` +
        `batch ${config.batchSize} × block ${config.blockSize}, ${config.iters} iterations, eval every ${config.evalInterval} on ${config.evalIters} batches; ` +
        `${workers} worker${workers > 1 ? "s" : ""}; output ${out}`,
    );
    progress.info(describeKernels());
    progress.event("start", {
      config,
      workers,
      out,
      kernels: kernelSelection,
      parameters,
      vocabulary: vocabulary.size,
      trainCharacters: train.length,
      valCharacters: val.length,
    });
    const started = performance.now();
    const tty = progress.mode === "tty";
    const history = await fitText({
      trainer,
      config,
      data,
      spec,
      out,
      resume: resumed?.checkpoint,
      report: {
        evaluation(record, iters) {
          if (tty) io.stdout("\r\x1b[2K");
          progress.info(formatEvaluation(record, iters));
          progress.event("eval", { ...record, bitsPerCharacter: record.valLoss / Math.LN2 });
        },
        step: tty
          ? (iter, iters, loss, tokensPerSecond) =>
            io.stdout(
              `\r\x1b[2Kiter ${iter}/${iters} loss ${loss.toFixed(4)} ${
                Math.round(tokensPerSecond)
              } tokens/s`,
            )
          : undefined,
        info: (line) => progress.info(line),
      },
    });
    const last = history[history.length - 1];
    const seconds = (performance.now() - started) / 1000;
    const line = `val loss ${last.valLoss.toFixed(4)} nats/char (${
      (last.valLoss / Math.LN2).toFixed(3)
    } bits/char) at iteration ${last.iter}`;
    if (progress.mode === "quiet") io.stdout(`${line}\n`);
    progress.info(
      `\n${line}, ${
        seconds.toFixed(1)
      }s; wrote model.safetensors, model.json, optimizer.safetensors, state.json, metrics.json to ${out}`,
    );
    progress.event("result", { ...last, bitsPerCharacter: last.valLoss / Math.LN2, seconds, out });
  } finally {
    await trainer.close();
  }
  return 0;
}

/** `--eval DIR` of a text checkpoint: the loss over every non-overlapping window of the val split. */
export async function evaluateText(
  options: CliOptions,
  progress: Progress,
  io: IO,
): Promise<number> {
  const saved = await readTextCheckpoint(options.eval!, "evaluate");
  if (options.datasetGiven && options.dataset !== "text") {
    throw new ConfigError(
      `Cannot evaluate ${saved.dir} on ${options.dataset}: it is a text model (use --file to choose the corpus)`,
    );
  }
  const config = saved.state.config;
  const file = options.file ?? config.file;
  const data = await corpus(
    file,
    config.blockSize,
    options.file === undefined ? config : null,
    saved.vocabulary,
    `evaluate ${saved.dir}`,
  );
  const trainer = await LocalTrainer.fromConfig({
    model: saved.spec,
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0 },
    seed: 0,
  });
  try {
    await trainer.loadStateDict(saved.checkpoint.model);
    await trainer.setData("test", tokenData(data, "val"));
    const l = config.blockSize;
    const starts = Int32Array.from(
      { length: Math.floor((data.val.length - 1) / l) },
      (_, i) => i * l,
    );
    progress.info(
      `evaluating ${saved.dir} on the val split of ${file} (${starts.length} windows of ${l} characters)`,
    );
    const started = performance.now();
    const result = await trainer.evaluate("test", starts);
    const seconds = (performance.now() - started) / 1000;
    const accuracy = result.correct / (starts.length * l);
    const line = `val loss ${result.loss.toFixed(4)} nats/char (${
      (result.loss / Math.LN2).toFixed(3)
    } bits/char), next-character accuracy ${(100 * accuracy).toFixed(2)}%`;
    if (progress.mode === "quiet") io.stdout(`${line}\n`);
    progress.info(`${line}, ${seconds.toFixed(1)}s`);
    progress.event("result", {
      valLoss: result.loss,
      bitsPerCharacter: result.loss / Math.LN2,
      valAccuracy: accuracy,
      windows: starts.length,
      characters: starts.length * l,
      file,
      seconds,
    });
  } finally {
    await trainer.close();
  }
  return 0;
}

/** `--generate N`: N characters sampled from the text checkpoint in --out (default runs/text-<model>). */
export async function sampleCheckpoint(
  options: CliOptions,
  progress: Progress,
  io: IO,
): Promise<number> {
  if (options.datasetGiven && options.dataset !== "text") {
    throw new UsageError(
      `--generate samples text models: --dataset ${options.dataset} does not apply`,
    );
  }
  const dir = options.out ??
    join("runs", `text-${basename(options.model ?? "char-lstm").replace(/\.json$/, "")}`);
  const saved = await readTextCheckpoint(dir, "generate from");
  const model = buildModel(saved.spec);
  model.loadStateDict(saved.checkpoint.model);
  const prompt = options.prompt ?? "\n";
  if (options.prompt === undefined && !saved.vocabulary.has("\n")) {
    throw new ConfigError(
      `Cannot generate from ${saved.dir}: its vocabulary has no newline to start from; pass --prompt TEXT`,
    );
  }
  let text: string;
  try {
    text = generateText(model, saved.vocabulary, {
      prompt,
      length: options.generate!,
      temperature: options.temperature ?? 1,
      blockSize: saved.state.config.blockSize,
      rng: new Rng(options.seed),
    });
  } catch (error) {
    if (
      options.prompt !== undefined && error instanceof RangeError &&
      /^Cannot encode/.test(error.message)
    ) {
      throw new ConfigError(
        `--prompt: ${error.message.replace(/^Cannot encode text: /, "")} of ${saved.dir}`,
        { cause: error },
      );
    }
    throw error;
  }
  if (progress.mode === "json") {
    progress.event("sample", {
      prompt,
      text,
      characters: Array.from(text).length,
      temperature: options.temperature ?? 1,
      seed: options.seed,
      checkpoint: saved.dir,
    });
  } else io.stdout(`${text}\n`);
  return 0;
}

/** `iter  250/2000  train 1.9876  val 2.0123 nats/char (2.903 bits)  lr 0.00098  4012 tokens/s  12.3s` */
export function formatEvaluation(r: TextEvalRecord, iters: number): string {
  const width = String(iters).length;
  return `iter ${String(r.iter).padStart(width)}/${iters}  train loss ${
    r.trainLoss.toFixed(4)
  }  val loss ${r.valLoss.toFixed(4)} nats/char (${(r.valLoss / Math.LN2).toFixed(3)} bits)` +
    (r.lr !== null ? `  lr ${Number(r.lr.toPrecision(3))}` : "") +
    (r.tokensPerSecond !== null
      ? `  ${Math.round(r.tokensPerSecond)} tokens/s (${
        r.samplesPerSecond!.toFixed(1)
      } samples/s)  ${r.seconds.toFixed(1)}s`
      : "");
}
