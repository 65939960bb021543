/**
 * The command-line flags of train.ts: parsed with `node:util` parseArgs, validated with
 * zod, turned into one `CliOptions` record. Every problem is one `UsageError` (exit code 2).
 */

import { parseArgs } from "node:util";
import { z } from "zod";
import { PRESET_NAMES } from "./presets.ts";

/** Datasets the CLI trains on. */
export const DATASETS = ["mnist", "fashion-mnist", "cifar10", "moons", "blobs", "spirals"] as const;
/** Optimizers `--optimizer` accepts. */
export const OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad", "lion"] as const;
/** Schedules `--scheduler` accepts. */
export const SCHEDULERS = ["none", "step", "cosine", "onecycle", "plateau"] as const;

/** A bad command line: the message is printed with the usage text, and the exit code is 2. */
export class UsageError extends Error {
  override name = "UsageError";
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
  scheduler?: (typeof SCHEDULERS)[number];
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
} as const;

/** Flags that may accompany `--resume` (everything else comes from the checkpoint's state.json). */
const RESUME_FLAGS = new Set([
  "resume",
  "epochs",
  "workers",
  "mirror",
  "out",
  "json",
  "quiet",
  "help",
]);
/** Flags that may accompany `--eval`. */
const EVAL_FLAGS = new Set(["eval", "dataset", "mirror", "json", "quiet", "help", "limit-test"]);

const integer = (min: number, what: string) =>
  z.string().regex(/^\d+$/, { error: `expected ${what}` }).transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min, { error: `expected ${what}` });
const number = (ok: (n: number) => boolean, what: string) =>
  z.string().refine((s) => s.trim() !== "" && Number.isFinite(Number(s)) && ok(Number(s)), {
    error: `expected ${what}`,
  })
    .transform(Number);
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(", ")}` });

const SCHEMA = z.strictObject({
  dataset: choice(DATASETS).default("mnist"),
  model: z.string().min(1, {
    error: `expected a preset (${PRESET_NAMES.join(", ")}) or a .json spec file`,
  }).optional(),
  epochs: integer(1, "a positive integer").optional(),
  "batch-size": integer(1, "a positive integer").optional(),
  lr: number((n) => n > 0, "a number > 0").optional(),
  optimizer: choice(OPTIMIZERS).optional(),
  momentum: number((n) => n >= 0 && n < 1, "a number in [0, 1)").optional(),
  "weight-decay": number((n) => n >= 0, "a number ≥ 0").optional(),
  scheduler: choice(SCHEDULERS).optional(),
  workers: integer(1, "a positive integer").optional(),
  seed: integer(0, "a non-negative integer").default(0),
  augment: z.boolean().optional(),
  mirror: z.string().min(1, { error: "expected a URL or a folder" }).optional(),
  out: z.string().min(1, { error: "expected a folder" }).optional(),
  resume: z.string().min(1, { error: "expected a checkpoint folder" }).optional(),
  eval: z.string().min(1, { error: "expected a checkpoint folder" }).optional(),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  help: z.boolean().default(false),
  "limit-train": integer(1, "a positive integer").optional(),
  "limit-test": integer(1, "a positive integer").optional(),
});

/**
 * Parses `args` (without the runtime and script) into validated options.
 * Throws `UsageError` for an unknown flag, a missing or bad value, a positional
 * argument or conflicting flags; the message names the flag.
 */
export function parseCli(args: readonly string[]): CliOptions {
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
  if (v.json && v.quiet) {
    throw new UsageError(
      `--json and --quiet cannot be combined (--json already prints only JSON lines)`,
    );
  }
  for (const [mode, allowed] of [["resume", RESUME_FLAGS], ["eval", EVAL_FLAGS]] as const) {
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
    dataset: v.dataset,
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
  };
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
                        (default: mnist-cnn for MNIST/Fashion-MNIST, cifar-cnn for CIFAR-10, mlp otherwise)
  --mirror URL|DIR      where to fetch MNIST/Fashion-MNIST/CIFAR-10 files from
                        (default: $SHARDGRAD_DATA_MIRROR, else the public mirrors)

Training (defaults come from the preset; see train/presets.ts)
  --epochs N            number of epochs (with --resume: the total to reach)
  --batch-size N        samples per optimizer step
  --lr X                learning rate (OneCycle: the peak)
  --optimizer NAME      ${OPTIMIZERS.join(" | ")}
  --momentum X          SGD/RMSprop momentum, in [0, 1)
  --weight-decay X      L2 penalty (decoupled for adamw)
  --scheduler NAME      ${SCHEDULERS.join(" | ")}
  --augment, --no-augment
                        random crop (padding 4 for 32×32 images, 2 otherwise) + horizontal flip (CIFAR only)
  --workers N           worker threads (default: all cores; 1 trains in the main thread)
  --seed N              seeds initialization, shuffling, dropout and augmentation (default: 0)

Output
  --out DIR             output folder (default: runs/<dataset>-<model>; with --resume: the checkpoint's folder)
  --resume DIR          continue the run saved in DIR (its settings; --epochs sets the total)
  --eval DIR            print the test metrics of the checkpoint in DIR (its dataset unless
                        --dataset is given), then exit
  --json                one JSON object per line instead of the progress display
  --quiet               print nothing but the final test accuracy (errors still go to stderr)

Quick runs and tests
  --limit-train N       use only the first N training samples
  --limit-test N        use only the first N test samples

  -h, --help            this text

Exit codes: 0 success, 1 failure (bad data, non-finite loss, bad checkpoint), 2 bad command line.
`;
}
