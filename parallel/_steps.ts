/**
 * Internal: DataParallel's bookkeeping around a step on the main thread: checking the
 * index batches and per-step schedules, sharding a batch over the workers, building each
 * worker's step requests, and folding the workers' replies into step and eval results.
 */

import type { Module } from "../layers/module.ts";
import { BatchNorm1d, BatchNorm2d } from "../layers/normalization.ts";
import type { EvalResult, StepResult, TrainStepsOptions } from "../trainer/trainer.ts";
import { type NonFiniteFinding, NonFiniteError } from "../trainer/_non_finite.ts";
import { type FlatLayout, splitRange } from "./arena.ts";
import type { EvalReply, StepFault, StepReply, StepRequest } from "./protocol.ts";

/** What a model needs of each training shard: ≥ `minRows` rows; `batchNorm1d` names its first BatchNorm1d, if any. */
export interface ShardNeeds {
  minRows: number;
  batchNorm1d: { name: string; numFeatures: number } | null;
}

/**
 * Batch norm in training needs more than one value per channel (PyTorch's rule): a model
 * with BatchNorm1d or BatchNorm2d gets shards of ≥ 2 rows.
 */
export function shardNeeds(model: Module): ShardNeeds {
  let batchNorm = false;
  let batchNorm1d: ShardNeeds["batchNorm1d"] = null;
  const visit = (module: Module, name: string) => {
    if (module instanceof BatchNorm1d) {
      batchNorm1d ??= { name, numFeatures: module.numFeatures };
    }
    if (module instanceof BatchNorm1d || module instanceof BatchNorm2d) batchNorm = true;
    for (const [child, sub] of module.children()) visit(sub, name === "" ? child : `${name}.${child}`);
  };
  visit(model, "");
  return { minRows: batchNorm ? 2 : 1, batchNorm1d };
}

/**
 * `[lo, hi)` of each worker's shard of a batch of `count` rows: contiguous, in worker
 * order, as equal as possible over the first k = min(workers, ⌊count / minRows⌋) workers
 * (at least one), empty for the rest. So a batch-norm model never trains on a 1-row
 * shard, whatever the worker count (a last batch of 3 rows on 2 workers goes to worker 0).
 */
export function shardRanges(count: number, workers: number, minRows: number): [number, number][] {
  const k = Math.max(1, Math.min(workers, Math.floor(count / minRows)));
  const ranges = splitRange(count, k);
  while (ranges.length < workers) ranges.push([count, count]);
  return ranges;
}

/**
 * PyTorch's error for a 1-row training batch through BatchNorm1d ([1, C] input), raised
 * before the step as LocalTrainer's layer raises it.
 */
export function checkBatchNormBatch(count: number, needs: ShardNeeds, where: string): void {
  if (count > 1 || needs.batchNorm1d === null) return;
  const { name, numFeatures } = needs.batchNorm1d;
  throw new RangeError(
    `${where}: expected more than 1 value per channel when training, got input [${count}, ${numFeatures}] ` +
      `at BatchNorm1d "${name}" (batch statistics need 2 rows; use batches of 2 or more)`,
  );
}

/** Bad row numbers are the caller's error, found here rather than as a worker failure (which closes the trainer). */
export function checkIndices(indices: Int32Array, n: number, where: string): void {
  if (!(indices instanceof Int32Array)) {
    throw new TypeError(`${where}: expected indices as an Int32Array`);
  }
  for (let i = 0; i < indices.length; i++) {
    if (!(indices[i] >= 0 && indices[i] < n)) {
      throw new RangeError(
        `${where}: index ${indices[i]} (at position ${i}) is outside the data's [0, ${n})`,
      );
    }
  }
}

/** Every batch of a step call is non-empty and holds valid row numbers of the `n` train rows. */
export function checkBatches(batches: readonly Int32Array[], n: number, where: string): void {
  for (const indices of batches) {
    if (indices.length === 0) throw new RangeError(`${where}: the batch is empty`);
    checkIndices(indices, n, where);
  }
}

/** `trainSteps` gets one learning rate and one set of hyperparameters (if any) per batch. */
export function checkSchedule(
  batches: readonly Int32Array[],
  { lr, hyperparameters }: TrainStepsOptions,
  where: string,
): void {
  if (lr !== undefined && lr.length !== batches.length) {
    throw new TypeError(
      `${where}: ${batches.length} batches but ${lr.length} learning rates`,
    );
  }
  if (hyperparameters !== undefined && hyperparameters.length !== batches.length) {
    throw new TypeError(
      `${where}: ${batches.length} batches but ${hyperparameters.length} sets of hyperparameters`,
    );
  }
}

/** Step s's hyperparameters: `group` (less `params`) overridden by `hyperparameters[s]`, then `lr[s]`. */
export function stepHyperparameters(
  group: Record<string, unknown>,
  steps: number,
  { lr, hyperparameters }: TrainStepsOptions,
): Record<string, unknown>[] {
  return Array.from({ length: steps }, (_, s) => {
    const { params: _params, ...hp } = { ...group, ...hyperparameters?.[s] };
    if (lr !== undefined) hp.lr = lr[s];
    return hp;
  });
}

/** Worker w's requests: its shard `shards[s][w]` of every batch s, with step s's hyperparameters. */
export function stepRequests(
  batches: readonly Int32Array[],
  hps: readonly Record<string, unknown>[],
  shards: readonly [number, number][][],
  w: number,
): StepRequest[] {
  return batches.map((indices, s) => ({
    indices: indices.slice(shards[s][w][0], shards[s][w][1]),
    globalCount: indices.length,
    hp: hps[s],
  }));
}

/** A worker's fault as a finding: the flat index becomes the parameter's name and element. */
export function locateFault(fault: StepFault, layout: FlatLayout): NonFiniteFinding {
  if (fault.kind === "loss") {
    return { kind: "loss", value: fault.value, parameter: null, element: -1 };
  }
  let i = layout.offsets.length - 1;
  while (i > 0 && layout.offsets[i] > fault.index) i--;
  return {
    kind: fault.kind,
    value: fault.value,
    parameter: layout.names[i],
    element: fault.index - layout.offsets[i],
  };
}

/**
 * The `NonFiniteError` of the fault in step `fault.step` of a call of `steps` batches whose
 * first optimizer step was `firstStep`.
 */
export function faultError(
  where: string,
  fault: { step: number; fault: StepFault },
  layout: FlatLayout,
  firstStep: number,
  steps: number,
): NonFiniteError {
  const at = ` at optimizer step ${firstStep + fault.step}` +
    (steps > 1 ? ` (batch ${fault.step + 1} of ${steps} in this call)` : "");
  return new NonFiniteError(where, locateFault(fault.fault, layout), fault.step, at);
}

/**
 * Sums the workers' replies (`replies[w][s]`) into one result per batch the workers ran
 * (they stop together after a step with a fault); `computeMs` and `updateMs` are the
 * slowest worker's, averaged over the steps; `updated` counts the steps that changed the
 * parameters; `fault` is the first step's fault (the lowest worker's), if any.
 */
export function collectSteps(
  batches: readonly Int32Array[],
  replies: readonly StepReply[][],
): {
  results: StepResult[];
  computeMs: number;
  updateMs: number;
  updated: number;
  fault: { step: number; fault: StepFault } | null;
} {
  let computeMs = 0;
  let updateMs = 0;
  let updated = 0;
  let fault: { step: number; fault: StepFault } | null = null;
  const ran = Math.min(...replies.map((r) => r.length));
  const results = batches.slice(0, ran).map((indices, s) => {
    const step = replies.map((r) => r[s]);
    if (step[0].updated) updated++;
    const found = step.find((r) => r.fault !== null);
    if (found !== undefined) fault ??= { step: s, fault: found.fault! };
    computeMs += Math.max(...step.map((r) => r.computeMs)) / ran;
    updateMs += Math.max(...step.map((r) => r.updateMs)) / ran;
    return {
      loss: step.reduce((sum, r) => sum + r.loss, 0),
      correct: step.reduce((sum, r) => sum + r.correct, 0),
      count: indices.length,
    };
  });
  return { results, computeMs, updateMs, updated, fault };
}

/** Joins the workers' eval replies over the shards `shards[w]` of `count` samples. */
export function collectEval(
  count: number,
  shards: readonly [number, number][],
  replies: readonly EvalReply[],
): EvalResult {
  // One prediction per target: per row, or per token of a token window (shards stay in order).
  const perRow = count > 0 ? replies.reduce((sum, r) => sum + r.predictions.length, 0) / count : 1;
  const predictions = new Int32Array(count * perRow);
  replies.forEach((r, i) => predictions.set(r.predictions, shards[i][0] * perRow));
  const lossSum = replies.reduce((sum, r) => sum + r.lossSum, 0);
  return {
    loss: count > 0 ? lossSum / count : NaN,
    correct: replies.reduce((sum, r) => sum + r.correct, 0),
    count,
    predictions,
  };
}
