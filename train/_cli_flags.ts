/**
 * The flag tables of train/cli.ts: the parseArgs table, the flags each mode (--resume,
 * --eval, --generate) allows, the text-only and image-only flags, and the zod schema of
 * the flags' values.
 */

import { z } from "zod";
import { integerSetting, numberSetting, SETTINGS } from "./_cli_settings.ts";

/** Every flag, as `node:util` parseArgs reads it (values are checked by `SCHEMA`). */
export const FLAGS = {
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
export const RESUME_FLAGS = new Set([
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
export const EVAL_FLAGS = new Set([
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
export const GENERATE_FLAGS = new Set([
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
export const TEXT_FLAGS = [
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
export const NOT_TEXT_FLAGS = [
  "epochs",
  "scheduler",
  "augment",
  "mirror",
  "limit-train",
  "limit-test",
  "allow-unverified-data",
  "svhn-extra",
];

/** The flags' values, under the rules of train/_cli_settings.ts; unknown keys are refused. */
export const SCHEMA = z.strictObject({
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
