/**
 * The saved-state schemas of a checkpoint (state.json and its run `config`), checked with
 * the same rules as the command line's flags (train/_cli_settings.ts).
 */

import { z } from "zod";
import type { LoopState } from "./loop.ts";
import { nearestName } from "../tensor/options.ts";
import { integerSetting, SETTINGS } from "./_cli_settings.ts";

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
