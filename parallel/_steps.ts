/**
 * Internal: DataParallel's bookkeeping around a step on the main thread: checking the
 * index batches and per-step schedules, building each worker's step requests, and
 * folding the workers' replies into step and eval results.
 */

import type { EvalResult, StepResult, TrainStepsOptions } from "../train/trainer.ts";
import type { EvalReply, StepReply, StepRequest } from "./protocol.ts";

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

/**
 * Sums the workers' replies (`replies[w][s]`) into one result per batch; `computeMs` and
 * `updateMs` are the slowest worker's, averaged over the steps; `updated` counts the
 * steps that changed the parameters.
 */
export function collectSteps(
  batches: readonly Int32Array[],
  replies: readonly StepReply[][],
): { results: StepResult[]; computeMs: number; updateMs: number; updated: number } {
  let computeMs = 0;
  let updateMs = 0;
  let updated = 0;
  const results = batches.map((indices, s) => {
    const step = replies.map((r) => r[s]);
    if (step[0].updated) updated++;
    computeMs += Math.max(...step.map((r) => r.computeMs)) / batches.length;
    updateMs += Math.max(...step.map((r) => r.updateMs)) / batches.length;
    return {
      loss: step.reduce((sum, r) => sum + r.loss, 0),
      correct: step.reduce((sum, r) => sum + r.correct, 0),
      count: indices.length,
    };
  });
  return { results, computeMs, updateMs, updated };
}

/** Joins the workers' eval replies over the shards `shards[w]` of `count` samples. */
export function collectEval(
  count: number,
  shards: readonly [number, number][],
  replies: readonly EvalReply[],
): EvalResult {
  const predictions = new Int32Array(count);
  replies.forEach((r, i) => predictions.set(r.predictions, shards[i][0]));
  const lossSum = replies.reduce((sum, r) => sum + r.lossSum, 0);
  return {
    loss: count > 0 ? lossSum / count : NaN,
    correct: replies.reduce((sum, r) => sum + r.correct, 0),
    count,
    predictions,
  };
}
