/**
 * The command-line flags of train.ts: parsed with `node:util` parseArgs, validated with
 * zod, turned into one `CliOptions` record. Every problem is one `UsageError` (exit code 2).
 */

import { parseArgs } from "node:util";
import { z } from "zod";
import { PRESET_NAMES, type SchedulerName } from "./presets.ts";
import { TEXT_PRESET_NAMES } from "./text_presets.ts";
import { parseSchedulerSpec, SCHEDULER_NAMES } from "./scheduler_spec.ts";
import type { LoopState } from "./loop.ts";
import { checkArgumentCount, describeValue, nearestName } from "../tensor/options.ts";

/** Datasets the CLI trains on. */
export const DATASETS = [
  "mnist",
  "fashion-mnist",
  "cifar10",
  "svhn",
  "svhn-extra",
  "moons",
  "blobs",
  "spirals",
  "text",
] as const;
/** Optimizers `--optimizer` accepts. */
export const OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lion"] as const;
/** Schedules `--scheduler` accepts (the new ones take options: train/scheduler_spec.ts). */
export const SCHEDULERS = SCHEDULER_NAMES;

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

const FLAGS = {
  dataset: { type: "string" },
  model: { type: "string" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  optimizer: { type: "string" },
  momentum: { type: "string" },
  "weight-decay": { type: "string" },
  scheduler: { type: "string" },
  workers: { type: "string" },
  seed: { type: "string" },
  augment: { type: "boolean" },
  mirror: { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  eval: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "limit-train": { type: "string" },
  "limit-test": { type: "string" },
  "svhn-extra": { type: "boolean" },
  "allow-unverified-data": { type: "boolean" },
  file: { type: "string" },
  iters: { type: "string" },
  "eval-interval": { type: "string" },
  "eval-iters": { type: "string" },
  "block-size": { type: "string" },
  "n-layer": { type: "string" },
  "n-head": { type: "string" },
  "n-embd": { type: "string" },
  "hidden-size": { type: "string" },
  "min-lr": { type: "string" },
  "warmup-iters": { type: "string" },
  "lr-decay-iters": { type: "string" },
  generate: { type: "string" },
  temperature: { type: "string" },
  prompt: { type: "string" },
} as const;

/** Flags that may accompany `--resume` (everything else comes from the checkpoint's state.json). */
const RESUME_FLAGS = new Set([
  "resume",
  "epochs",
  "iters",
  "workers",
  "mirror",
  "allow-unverified-data",
  "out",
  "json",
  "quiet",
  "help",
]);
/** Flags that may accompany `--eval`. */
const EVAL_FLAGS = new Set([
  "eval",
  "dataset",
  "mirror",
  "allow-unverified-data",
  "json",
  "quiet",
  "help",
  "limit-test",
  "file",
]);
/** Flags that may accompany `--generate` (the checkpoint is the one in --out). */
const GENERATE_FLAGS = new Set([
  "generate",
  "out",
  "model",
  "dataset",
  "temperature",
  "seed",
  "prompt",
  "json",
  "quiet",
  "help",
]);
/** Flags of text runs only (train/text_run.ts). */
const TEXT_FLAGS = [
  "file",
  "iters",
  "eval-interval",
  "eval-iters",
  "block-size",
  "n-layer",
  "n-head",
  "n-embd",
  "hidden-size",
  "min-lr",
  "warmup-iters",
  "lr-decay-iters",
  "temperature",
  "prompt",
];
/** Flags of image and 2-D runs only (text runs count iterations and have no augmentation or mirrors). */
const NOT_TEXT_FLAGS = [
  "epochs",
  "scheduler",
  "augment",
  "mirror",
  "limit-train",
  "limit-test",
  "allow-unverified-data",
  "svhn-extra",
];

/**
 * One rule per run setting, applied to values (numbers, strings, booleans) and shared by the
 * command line (`flag`: the flag's text, converted, then the same rule) and state.json
 * (`value`), so a resumed run's settings pass exactly the checks a new run's flags pass.
 */
function integerSetting(min: number, what: string) {
  const error = `expected ${what}`;
  const value = z.number({ error }).refine((n) => Number.isSafeInteger(n) && n >= min, { error });
  return { value, flag: z.string().regex(/^\d+$/, { error }).transform(Number).pipe(value) };
}
function numberSetting(ok: (n: number) => boolean, what: string) {
  const error = `expected ${what}`;
  const value = z.number({ error }).refine((n) => Number.isFinite(n) && ok(n), { error });
  const text = z.string().refine((s) => s.trim() !== "" && Number.isFinite(Number(s)), { error });
  return { value, flag: text.transform(Number).pipe(value) };
}
function sameSetting<T extends z.ZodType>(schema: T) {
  return { value: schema, flag: schema };
}
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(", ")}` });

const SETTINGS = {
  dataset: sameSetting(choice(DATASETS)),
  model: sameSetting(
    z.string({ error: "expected a string" }).min(1, {
      error: `expected a preset (${PRESET_NAMES.join(", ")}) or a .json spec file`,
    }),
  ),
  epochs: integerSetting(1, "a positive integer"),
  batchSize: integerSetting(1, "a positive integer"),
  lr: numberSetting((n) => n > 0, "a number > 0"),
  optimizer: sameSetting(choice(OPTIMIZERS)),
  momentum: numberSetting((n) => n >= 0 && n < 1, "a number in [0, 1)"),
  weightDecay: numberSetting((n) => n >= 0, "a number ≥ 0"),
  scheduler: sameSetting(
    z.string({ error: "expected a string" }).superRefine((text, ctx) => {
      try {
        parseSchedulerSpec(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }).transform((text) => text as SchedulerName),
  ),
  augment: sameSetting(z.boolean({ error: "expected true or false" })),
  seed: integerSetting(0, "a non-negative integer"),
  limit: integerSetting(1, "a positive integer"),
};

const SCHEMA = z.strictObject({
  dataset: SETTINGS.dataset.flag.default("mnist"),
  model: SETTINGS.model.flag.optional(),
  epochs: SETTINGS.epochs.flag.optional(),
  "batch-size": SETTINGS.batchSize.flag.optional(),
  lr: SETTINGS.lr.flag.optional(),
  optimizer: SETTINGS.optimizer.flag.optional(),
  momentum: SETTINGS.momentum.flag.optional(),
  "weight-decay": SETTINGS.weightDecay.flag.optional(),
  scheduler: SETTINGS.scheduler.flag.optional(),
  workers: integerSetting(1, "a positive integer").flag.optional(),
  seed: SETTINGS.seed.flag.default(0),
  augment: SETTINGS.augment.flag.optional(),
  mirror: z.string().min(1, { error: "expected a URL or a folder" }).optional(),
  out: z.string().min(1, { error: "expected a folder" }).optional(),
  resume: z.string().min(1, { error: "expected a checkpoint folder" }).optional(),
  eval: z.string().min(1, { error: "expected a checkpoint folder" }).optional(),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  help: z.boolean().default(false),
  "limit-train": SETTINGS.limit.flag.optional(),
  "limit-test": SETTINGS.limit.flag.optional(),
  "svhn-extra": z.boolean().optional(),
  "allow-unverified-data": z.boolean().default(false),
  file: z.string().min(1, { error: "expected a UTF-8 text file" }).optional(),
  iters: integerSetting(1, "a positive integer").flag.optional(),
  "eval-interval": integerSetting(1, "a positive integer").flag.optional(),
  "eval-iters": integerSetting(1, "a positive integer").flag.optional(),
  "block-size": integerSetting(1, "a positive integer").flag.optional(),
  "n-layer": integerSetting(1, "a positive integer").flag.optional(),
  "n-head": integerSetting(1, "a positive integer").flag.optional(),
  "n-embd": integerSetting(1, "a positive integer").flag.optional(),
  "hidden-size": integerSetting(1, "a positive integer").flag.optional(),
  "min-lr": numberSetting((n) => n >= 0, "a number ≥ 0").flag.optional(),
  "warmup-iters": integerSetting(0, "a non-negative integer").flag.optional(),
  "lr-decay-iters": integerSetting(1, "a positive integer").flag.optional(),
  generate: integerSetting(1, "a positive integer").flag.optional(),
  temperature: numberSetting((n) => n > 0, "a number > 0").flag.optional(),
  prompt: z.string().min(1, { error: "expected some text" }).optional(),
});

/** A run's settings as state.json's `config` holds them (train/loop.ts `RunConfig`), under the flags' rules. */
export const RUN_CONFIG_SCHEMA = z.strictObject({
  dataset: SETTINGS.dataset.value,
  model: SETTINGS.model.value,
  epochs: SETTINGS.epochs.value,
  batchSize: SETTINGS.batchSize.value,
  optimizer: SETTINGS.optimizer.value,
  lr: SETTINGS.lr.value,
  momentum: SETTINGS.momentum.value,
  weightDecay: SETTINGS.weightDecay.value,
  scheduler: SETTINGS.scheduler.value,
  augment: SETTINGS.augment.value,
  seed: SETTINGS.seed.value,
  limitTrain: SETTINGS.limit.value.nullable(),
  limitTest: SETTINGS.limit.value.nullable(),
});

const count = integerSetting(0, "a non-negative integer").value;
/** state.json of a checkpoint (train/loop.ts `LoopState`); keys it does not list pass through. */
const TRAIN_STATE_SCHEMA = z.looseObject({
  format: z.literal("shardgrad-train-state", {
    error: 'expected "shardgrad-train-state" (not a shardgrad training state)',
  }),
  version: z.literal(1, { error: "expected 1 (a newer shardgrad wrote it?)" }),
  epoch: count,
  step: count,
  rng: z.array(integerSetting(0, "a uint32").value, { error: "expected four uint32 words" })
    .length(4, { error: "expected four uint32 words" }),
  scheduler: z.unknown(),
  config: RUN_CONFIG_SCHEMA,
  history: z.array(z.looseObject({ epoch: integerSetting(1, "a positive integer").value }), {
    error: "expected a list of epoch records",
  }),
});

/**
 * Checks a checkpoint's state.json (`state`, read from `file`) with the command line's
 * rules for each setting; a problem is one TypeError naming the file, the field and the value:
 * `Cannot resume from runs/x/state.json: config.batchSize: expected a positive integer, got -5`.
 */
export function parseTrainState(state: unknown, file: string, action = "resume from"): LoopState {
  const result = TRAIN_STATE_SCHEMA.safeParse(state);
  if (!result.success) {
    const issue = result.error.issues[0];
    let value: unknown = state;
    for (const key of issue.path) value = (value as Record<PropertyKey, unknown>)?.[key];
    const field = issue.path.join(".") || "(the whole file)";
    if (issue.code === "unrecognized_keys") {
      const known = Object.keys(value as object).filter((k) => !issue.keys.includes(k));
      const near = nearestName(issue.keys[0], known);
      throw new TypeError(
        `Cannot ${action} ${file}: ${field}.${issue.keys[0]}: unknown setting (${
          near !== null ? `did you mean "${near}"? ` : ""
        }known: ${known.join(", ")})`,
      );
    }
    throw new TypeError(
      `Cannot ${action} ${file}: ${field}: ${issue.message}, got ${
        value === undefined ? "nothing" : JSON.stringify(value)
      }`,
      { cause: result.error },
    );
  }
  const parsed = result.data as unknown as LoopState;
  if (parsed.history.length !== parsed.epoch) {
    throw new TypeError(
      `Cannot ${action} ${file}: history: expected ${parsed.epoch} epoch records (epoch is ${parsed.epoch}), got ${parsed.history.length}`,
    );
  }
  return parsed;
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
      `--generate reads the checkpoint in --out; it cannot be combined with --${v.resume !== undefined ? "resume" : "eval"}`,
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
          (wrong === "scheduler" ? " (text runs use warmup + cosine decay: --warmup-iters, --min-lr)" : ""),
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

/** The `--help` text. */
export function usage(): string {
  return `Usage: deno run -A train.ts [flags]     (or: bun train.ts [flags])

Trains a model and writes a checkpoint, metrics and curves to --out.
With no flags: the mnist-cnn preset on MNIST, all cores, reaching ≥ 99% test accuracy.

Data and model
  --dataset NAME        ${DATASETS.join(" | ")}  (default: mnist)
  --model PRESET|FILE   ${PRESET_NAMES.join(" | ")}, or a JSON model spec file
                        (default: mnist-cnn for MNIST/Fashion-MNIST, cifar-cnn for CIFAR-10/SVHN, mlp otherwise)
  --svhn-extra          with --dataset svhn: train on train + extra (604,388 images; same as --dataset svhn-extra)
  --mirror URL|DIR      where to fetch MNIST/Fashion-MNIST/CIFAR-10/SVHN files from
                        (default: $SHARDGRAD_DATA_MIRROR, else the public mirrors)
  --allow-unverified-data
                        accept CIFAR-10/SVHN files that are not the published ones (custom or
                        cut-down sets in the same layout), checked by structure only

Training (defaults come from the preset; see train/presets.ts)
  --epochs N            number of epochs (with --resume: the total to reach; a new total
                        re-lays the step/cosine/onecycle schedule over it)
  --batch-size N        samples per optimizer step
  --lr X                learning rate (OneCycle: the peak)
  --optimizer NAME      ${OPTIMIZERS.join(" | ")}
  --momentum X          SGD/RMSprop momentum, in [0, 1)
  --weight-decay X      L2 penalty (decoupled for adamw)
  --scheduler NAME      ${SCHEDULERS.join(" | ")}
                        options after a colon: cosine-restarts:t0=N,tMult=N,etaMin=X
                        cyclic:baseLr=X,maxLr=X,stepSizeUp=N,stepSizeDown=N,mode=triangular|
                        triangular2|exp_range,gamma=X  polynomial:totalIters=N,power=X
                        constant:factor=X,totalIters=N
  --augment, --no-augment
                        random crop (padding 4 for 32×32 images, 2 otherwise) + horizontal flip (CIFAR only)
  --workers N           worker threads (default: all cores; 1 trains in the main thread;
                        more than the cores warns, more than 4× the cores or 256 is refused)
  --seed N              seeds initialization, shuffling, dropout and augmentation (default: 0)

Output
  --out DIR             output folder (default: runs/<dataset>-<model>; with --resume: the checkpoint's folder)
  --resume DIR          continue the run saved in DIR (its settings; --epochs sets the total)
  --eval DIR            print the test metrics of the checkpoint in DIR (its dataset unless
                        --dataset is given), then exit
  --json                one JSON object per line instead of the progress display
  --quiet               print nothing but the final test accuracy (errors still go to stderr)

Text (character-level language models: --dataset text; counted in iterations, as nanoGPT)
  --file PATH           the corpus, a UTF-8 text file (default: ../shared/data/tinyshakespeare/input.txt
                        next to the repository, when present); first 90% train, last 10% val
  --model PRESET|FILE   ${TEXT_PRESET_NAMES.join(" | ")} (default: char-lstm), or a JSON spec file
  --iters N             optimizer steps (with --resume: the total to reach)
  --eval-interval N     evaluate train and val loss every N iterations (and at the first and last)
  --eval-iters N        batches per split in each evaluation
  --block-size N        characters of context per window
  --n-layer N, --n-head N, --n-embd N, --hidden-size N
                        model sizes (LSTM layers or transformer blocks, attention heads,
                        embedding width, LSTM hidden size)
  --warmup-iters N      linear warmup steps; then cosine decay of --lr to --min-lr X
  --lr-decay-iters N    where the cosine decay ends (default: --iters)
  --generate N          print N characters sampled from the text checkpoint in --out
                        (default runs/text-<model>), with --temperature X, --seed N, --prompt TEXT
                        (default: a newline)
  --eval DIR            with a text checkpoint: the loss on every window of its corpus's val split
                        (--file evaluates on another corpus with the same characters)

Quick runs and tests
  --limit-train N       use only the first N training samples
  --limit-test N        use only the first N test samples

  -h, --help            this text

Exit codes: 0 success, 1 failure (bad data, non-finite loss or parameters, bad checkpoint),
2 bad command line (or one that does not fit: --out not writable, too many --workers,
a --dataset the model does not fit).
`;
}
