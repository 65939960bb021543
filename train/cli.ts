/**
 * The command-line flags of train.ts: parsed with `node:util` parseArgs, validated with
 * zod, turned into one `CliOptions` record. Every problem is one `UsageError` (exit code 2).
 */

import { parseArgs } from "node:util";
import type { SchedulerName } from "./presets.ts";
import { checkArgumentCount, describeValue } from "../tensor/options.ts";
import type { DATASETS, OPTIMIZERS } from "./_cli_settings.ts";
import {
  EVAL_FLAGS,
  FLAGS,
  GENERATE_FLAGS,
  NOT_TEXT_FLAGS,
  RESUME_FLAGS,
  SCHEMA,
  TEXT_FLAGS,
} from "./_cli_flags.ts";

export { DATASETS, OPTIMIZERS, SCHEDULERS } from "./_cli_settings.ts";
export { parseTrainState, RUN_CONFIG_SCHEMA } from "./_run_state.ts";
export { usage } from "./_cli_usage.ts";

/** A bad command line: the message is printed with the usage text, and the exit code is 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A command line that parses but does not fit this machine, this folder or this checkpoint
 * (`--workers 1000` on 2 cores, an `--out` that is a file, `--dataset mnist` for a moons
 * model): one line without the usage text, exit code 2.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The validated flags. Absent optional fields fall back to the preset's defaults. */
export interface CliOptions {
  dataset: (typeof DATASETS)[number];
  /** Whether `--dataset` was given (with `--eval`, the checkpoint's dataset is used otherwise). */
  datasetGiven: boolean;
  /** Preset name or path to a JSON spec; default: the dataset's preset. */
  model?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: (typeof OPTIMIZERS)[number];
  momentum?: number;
  weightDecay?: number;
  scheduler?: SchedulerName;
  /** Worker threads; default: all cores. 1 trains in the main thread. */
  workers?: number;
  seed: number;
  /** `--augment` / `--no-augment`; default: the preset's. */
  augment?: boolean;
  mirror?: string;
  out?: string;
  resume?: string;
  eval?: string;
  json: boolean;
  quiet: boolean;
  help: boolean;
  /** Use only the first N training samples (quick runs, tests). */
  limitTrain?: number;
  /** Use only the first N test samples. */
  limitTest?: number;
  /** `--allow-unverified-data`: accept custom CIFAR-10/SVHN files checked by structure only. */
  allowUnverifiedData?: boolean;
  /** Text runs (`--dataset text`, train/text_run.ts): the corpus, a UTF-8 file. */
  file?: string;
  /** Text runs: optimizer steps (the total to reach with --resume). */
  iters?: number;
  evalInterval?: number;
  evalIters?: number;
  blockSize?: number;
  nLayer?: number;
  nHead?: number;
  nEmbd?: number;
  hiddenSize?: number;
  minLr?: number;
  warmupIters?: number;
  /** Text runs: the cosine decay ends here (default: --iters). */
  lrDecayIters?: number;
  /** `--generate N`: print N characters sampled from the text checkpoint in --out. */
  generate?: number;
  temperature?: number;
  prompt?: string;
}

/**
 * Parses `args` (without the runtime and script) into validated options.
 * Throws `UsageError` for an unknown flag, a missing or bad value, a positional
 * argument or conflicting flags; the message names the flag.
 */
export function parseCli(args: readonly string[]): CliOptions {
  checkArgumentCount("Cannot run parseCli", arguments.length, 1);
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new TypeError(
      `Cannot run parseCli: expected an array of strings, got ${describeValue(args)}`,
    );
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: FLAGS,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }).values;
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as Error), { cause: error });
  }
  if (values.help === true) {
    return {
      dataset: "mnist",
      datasetGiven: false,
      seed: 0,
      json: false,
      quiet: false,
      help: true,
    };
  }
  const result = SCHEMA.safeParse(values);
  if (!result.success) {
    const issue = result.error.issues[0];
    const flag = String(issue.path[0]);
    throw new UsageError(`--${flag}: ${issue.message}, got ${JSON.stringify(values[flag])}`, {
      cause: result.error,
    });
  }
  const v = result.data;
  const given = Object.keys(values).filter((k) => values[k] !== undefined);
  if (v.resume !== undefined && v.eval !== undefined) {
    throw new UsageError(`--resume and --eval cannot be combined`);
  }
  if (v["svhn-extra"] && v.dataset !== "svhn" && v.dataset !== "svhn-extra") {
    throw new UsageError(
      `--svhn-extra adds SVHN's extra split to its training set: it needs --dataset svhn, got --dataset ${v.dataset}`,
    );
  }
  if (v.json && v.quiet) {
    throw new UsageError(
      `--json and --quiet cannot be combined (--json already prints only JSON lines)`,
    );
  }
  if (v.generate !== undefined && (v.resume !== undefined || v.eval !== undefined)) {
    throw new UsageError(
      `--generate reads the checkpoint in --out; it cannot be combined with --${
        v.resume !== undefined ? "resume" : "eval"
      }`,
    );
  }
  checkTextFlags(v.dataset, given);
  for (
    const [mode, allowed] of [["resume", RESUME_FLAGS], ["eval", EVAL_FLAGS], [
      "generate",
      GENERATE_FLAGS,
    ]] as const
  ) {
    if (v[mode] === undefined) continue;
    const extra = given.filter((k) => !allowed.has(k));
    if (extra.length > 0) {
      throw new UsageError(
        `--${
          extra[0]
        } cannot be used with --${mode} (the run's settings come from the checkpoint); ` +
          `allowed with --${mode}: ${
            [...allowed].filter((k) => k !== mode && k !== "help").map((k) => `--${k}`).join(", ")
          }`,
      );
    }
  }
  return {
    dataset: v["svhn-extra"] ? "svhn-extra" : v.dataset,
    datasetGiven: values.dataset !== undefined,
    model: v.model,
    epochs: v.epochs,
    batchSize: v["batch-size"],
    lr: v.lr,
    optimizer: v.optimizer,
    momentum: v.momentum,
    weightDecay: v["weight-decay"],
    scheduler: v.scheduler,
    workers: v.workers,
    seed: v.seed,
    augment: v.augment,
    mirror: v.mirror,
    out: v.out,
    resume: v.resume,
    eval: v.eval,
    json: v.json,
    quiet: v.quiet,
    help: v.help,
    limitTrain: v["limit-train"],
    limitTest: v["limit-test"],
    allowUnverifiedData: v["allow-unverified-data"],
    file: v.file,
    iters: v.iters,
    evalInterval: v["eval-interval"],
    evalIters: v["eval-iters"],
    blockSize: v["block-size"],
    nLayer: v["n-layer"],
    nHead: v["n-head"],
    nEmbd: v["n-embd"],
    hiddenSize: v["hidden-size"],
    minLr: v["min-lr"],
    warmupIters: v["warmup-iters"],
    lrDecayIters: v["lr-decay-iters"],
    generate: v.generate,
    temperature: v.temperature,
    prompt: v.prompt,
  };
}

/**
 * Text-only flags need `--dataset text` (or a mode whose checkpoint says so: --resume,
 * --eval, --generate), and the flags of image runs are refused with `--dataset text`.
 */
function checkTextFlags(dataset: string, given: string[]): void {
  const mode = ["resume", "eval", "generate"].find((m) => given.includes(m));
  if (dataset === "text") {
    const wrong = given.find((k) => NOT_TEXT_FLAGS.includes(k));
    if (wrong !== undefined) {
      throw new UsageError(
        `--${wrong} does not apply to --dataset text` +
          (wrong === "epochs" ? " (text runs count optimizer steps: use --iters)" : "") +
          (wrong === "scheduler"
            ? " (text runs use warmup + cosine decay: --warmup-iters, --min-lr)"
            : ""),
      );
    }
    return;
  }
  if (mode !== undefined) return;
  const wrong = given.find((k) => TEXT_FLAGS.includes(k));
  if (wrong !== undefined) {
    throw new UsageError(`--${wrong} applies to text runs only: add --dataset text`);
  }
}

function parseArgsMessage(error: Error & { code?: string }): string {
  const flag = /'(-[^' ]+)/.exec(error.message)?.[1] ?? "";
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${
        /'([^']*)'/.exec(error.message)?.[1] ?? ""
      }: every option is a --flag`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(error.message)) {
        return `${flag} is a switch and takes no value`;
      }
      if (/ambiguous/.test(error.message)) {
        return `${flag} needs a value (a value starting with "-" is written ${flag}=-…)`;
      }
      return `${flag} needs a value`;
    default:
      return error.message;
  }
}
