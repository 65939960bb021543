/**
 * The run settings' vocabulary and rules, shared by the flags (train/_cli_flags.ts), the
 * saved state (train/_run_state.ts) and the help text: a file of its own so that none of
 * them imports train/cli.ts, which re-exports from all of them (no import cycle).
 */

import { z } from "zod";
import { PRESET_NAMES, type SchedulerName } from "./presets.ts";
import { parseSchedulerSpec, SCHEDULER_NAMES } from "./scheduler_spec.ts";

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

/**
 * One rule per run setting, applied to values (numbers, strings, booleans) and shared by the
 * command line (`flag`: the flag's text, converted, then the same rule) and state.json
 * (`value`), so a resumed run's settings pass exactly the checks a new run's flags pass.
 */
export function integerSetting(min: number, what: string) {
  const error = `expected ${what}`;
  const value = z.number({ error }).refine((n) => Number.isSafeInteger(n) && n >= min, { error });
  return { value, flag: z.string().regex(/^\d+$/, { error }).transform(Number).pipe(value) };
}
export function numberSetting(ok: (n: number) => boolean, what: string) {
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

/** The rules of the settings that both the flags and state.json carry. */
export const SETTINGS = {
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
