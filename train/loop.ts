/**
 * The training loop: epochs of seeded shuffles and index batches driven through any
 * `Trainer`, a learning-rate schedule, evaluation after each epoch, and a checkpoint,
 * metrics.json and curves.svg written after each epoch.
 */

import { join } from "node:path";
import { Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import type { ModelSpec } from "../layers/spec.ts";
import type { OptimizerStateDict } from "../optim/optimizer.ts";
import type { Augment, EvalResult, OptimizerConfig, TrainData, Trainer } from "./trainer.ts";
import { NonFiniteError } from "./_non_finite.ts";
import { type Checkpoint, saveCheckpoint, writeFileAtomic } from "./checkpoint.ts";
import { plotCurves } from "./plot_svg.ts";
import type { EpochSummary, Progress } from "./progress.ts";
import type { SchedulerName } from "./presets.ts";
import { createScheduler, type LoopScheduler, relaySchedule } from "./_schedule.ts";
import { diverged, nonFinite } from "./_divergence.ts";

export { createScheduler, type LoopScheduler };

/** The settings of a run, stored in state.json so `--resume` continues with the same ones. */
export interface RunConfig {
  dataset: string;
  /** Preset name or spec file the model came from (informational; model.json holds the spec). */
  model: string;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig["type"];
  lr: number;
  momentum: number;
  weightDecay: number;
  scheduler: SchedulerName;
  augment: boolean;
  seed: number;
  limitTrain: number | null;
  limitTest: number | null;
}

/** One epoch of metrics.json. */
export type EpochRecord = Omit<EpochSummary, "epochs">;

/** What `fit` needs. */
export interface FitOptions {
  trainer: Trainer;
  config: RunConfig;
  train: TrainData;
  test: TrainData | null;
  augment?: Augment;
  /** Written to model.json with every checkpoint. */
  spec: ModelSpec | { moduleUrl: string };
  progress: Progress;
  /** Output folder; nothing is written without one. */
  out?: string;
  /** A checkpoint to continue from (its epoch, RNG, scheduler, optimizer state and history). */
  resume?: Checkpoint;
}

/** The keys of `FitOptions` (checked at run time: keep in step with the interface). */
const FIT_OPTIONS = [
  "trainer",
  "config",
  "train",
  "test",
  "augment",
  "spec",
  "progress",
  "out",
  "resume",
];

/** What `fit` returns: per-epoch history and the final evaluation on the test set (or null). */
export interface FitResult {
  history: EpochRecord[];
  test: EvalResult | null;
}

/** The loop state saved in state.json. */
export interface LoopState {
  format: "shardgrad-train-state";
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** The shuffle generator's state after `epoch` epochs. */
  rng: number[];
  scheduler: unknown;
  config: RunConfig;
  history: EpochRecord[];
}

/** Most batches per `trainSteps` call. */
const MAX_CHUNK = 20;
/** Target time of one `trainSteps` call, so the progress display updates at least twice a second. */
const PROGRESS_MS = 400;

/** A param group's hyperparameters. */
type Group = { lr: number } & Record<string, unknown>;

/** A copy of the trainer's first param group as the schedule left it, without its parameters. */
function paramGroup(trainer: Trainer): Group {
  const { params: _, ...group } = trainer.paramGroups[0] as Group;
  for (const [key, value] of Object.entries(group)) {
    if (Array.isArray(value)) group[key] = [...value];
  }
  return group;
}

/** Seed of epoch `epoch`'s dropout/augmentation streams: a fixed mix of the run seed and the epoch. */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77)) >>> 0;
}

/**
 * Trains `config.epochs` epochs (or the rest of them, when resuming). Every epoch:
 * a permutation from the seeded generator, batches of `batchSize` (the last one may be
 * smaller), one `trainer.step` each — or, when the trainer has `trainSteps`, up to 20 per
 * call with the per-step hyperparameters a per-batch schedule sets (the same result, bit
 * for bit, with fewer messages) — evaluation on `test`, then checkpoint + metrics.json
 * + curves.svg in `out`. A non-finite step loss, mean train loss, test loss, parameter or
 * optimizer state stops with a RangeError naming the epoch (and step) and what was
 * non-finite; nothing is saved from that state, so the last good checkpoint stays in place.
 *
 * Resuming with the saved run's horizon (`config.epochs`) continues bit for bit. With
 * another horizon a schedule that depends on it (step, cosine, onecycle) is re-laid over
 * the new total — rebuilt and stepped as far as the saved run stepped — and announced in
 * one line (`resume: cosine schedule re-laid over 6 epochs (saved run planned 3); ...`).
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  checkArgumentCount("Cannot run fit", arguments.length, 1);
  if (options === undefined) throw new TypeError("Cannot run fit: expected options, got undefined");
  checkOptions("Cannot run fit", options, FIT_OPTIONS);
  const { trainer, config, train, test, progress, out } = options;
  await trainer.setData("train", train, options.augment);
  if (test !== null) await trainer.setData("test", test);
  const n = train.shape[0];
  const stepsPerEpoch = Math.ceil(n / config.batchSize);
  let scheduler = createScheduler(trainer, config, stepsPerEpoch);
  const rng = new Rng(config.seed).fork(0x5f1e);
  let history: EpochRecord[] = [];
  let firstEpoch = 1;
  let step = 0;
  // The newest checkpoint in `out` written by this run (null: none yet), for divergence errors.
  let savedEpoch: number | null = null;
  let resumedEpoch: number | null = null;
  if (options.resume !== undefined) {
    const saved = options.resume.state as unknown as LoopState;
    await trainer.loadStateDict(options.resume.model);
    await trainer.loadOptimizerStateDict(options.resume.optimizer as OptimizerStateDict);
    rng.setState(saved.rng);
    history = [...saved.history];
    firstEpoch = saved.epoch + 1;
    resumedEpoch = saved.epoch;
    step = saved.step;
    if (
      saved.config.epochs !== config.epochs && firstEpoch <= config.epochs &&
      (scheduler.timing === "epoch" || scheduler.timing === "batch") &&
      scheduler.horizon !== false
    ) {
      scheduler = relaySchedule(trainer, config, stepsPerEpoch, saved);
      const lr = Number(trainer.paramGroups[0].lr.toPrecision(4));
      progress.info(
        `resume: ${config.scheduler} schedule re-laid over ${config.epochs} epochs (saved run planned ${saved.config.epochs}); lr ${lr} from epoch ${firstEpoch}`,
      );
      progress.event("schedule", {
        scheduler: config.scheduler,
        epochs: config.epochs,
        savedEpochs: saved.config.epochs,
        fromEpoch: firstEpoch,
        lr: trainer.paramGroups[0].lr,
      });
    } else {
      scheduler.loadStateDict(saved.scheduler);
    }
  }
  const lastGood = () =>
    out === undefined
      ? "nothing was written"
      : savedEpoch !== null
      ? `the checkpoint in ${out} is from epoch ${savedEpoch}`
      : resumedEpoch !== null
      ? `nothing was written to ${out} (the checkpoint resumed from is from epoch ${resumedEpoch})`
      : "no checkpoint was written";
  let lastEvaluation: EvalResult | null = null;
  const reseed = (trainer as { reseed?: (seed: number) => Promise<void> }).reseed;
  const trainSteps = trainer.trainSteps;
  let chunk = 1;
  for (let epoch = firstEpoch; epoch <= config.epochs; epoch++) {
    const started = performance.now();
    await reseed?.call(trainer, epochSeed(config.seed, epoch));
    const order = rng.permutation(n);
    progress.startEpoch(epoch, config.epochs, n);
    let lossSum = 0;
    let correct = 0;
    let lr = trainer.paramGroups[0].lr;
    for (let first = 0; first < stepsPerEpoch;) {
      // With trainSteps, `chunk` batches per call, sized to keep progress updates ≥ 2/s.
      const size = trainSteps === undefined ? 1 : Math.min(chunk, stepsPerEpoch - first);
      const batches: Int32Array[] = [];
      const groups: Group[] = [];
      for (let i = 0; i < size; i++) {
        const start = (first + i) * config.batchSize;
        batches.push(order.subarray(start, Math.min(n, start + config.batchSize)));
        // A per-batch schedule steps ahead here, so each step gets the values it would have had.
        if (i > 0 && scheduler.timing === "batch") scheduler.step();
        groups.push(paramGroup(trainer));
      }
      const called = performance.now();
      let results;
      try {
        results = trainSteps === undefined
          ? [await trainer.step(batches[0])]
          : await trainSteps.call(trainer, batches, { hyperparameters: groups });
      } catch (error) {
        // The trainers stop on a non-finite loss, gradient or parameter; name the epoch and step.
        if (!(error instanceof NonFiniteError)) throw error;
        const at = `at epoch ${epoch}, step ${first + error.stepIndex + 1} of ${stepsPerEpoch}`;
        throw diverged(`${error.detail} ${at} (lr ${groups[error.stepIndex].lr})`, lastGood());
      }
      const msPerStep = (performance.now() - called) / size;
      chunk = Math.max(1, Math.min(MAX_CHUNK, Math.floor(PROGRESS_MS / msPerStep)));
      for (let i = 0; i < size; i++) {
        const result = results[i];
        lr = groups[i].lr;
        if (!Number.isFinite(result.loss)) {
          throw diverged(
            `the loss is ${result.loss} at epoch ${epoch}, step ${
              first + i + 1
            } of ${stepsPerEpoch} (lr ${lr})`,
            lastGood(),
          );
        }
        step++;
        lossSum += result.loss * result.count;
        correct += result.correct;
      }
      if (scheduler.timing === "batch") scheduler.step();
      first += size;
      const seen = Math.min(n, first * config.batchSize);
      progress.update(seen, lossSum / seen);
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const evaluation = test !== null ? await trainer.evaluate("test") : null;
    lastEvaluation = evaluation;
    // Nothing non-finite reaches a checkpoint: the last good one stays the last good one.
    const badLoss = !Number.isFinite(lossSum)
      ? `the mean train loss is ${lossSum / n}`
      : evaluation !== null && !Number.isFinite(evaluation.loss)
      ? `the test loss is ${evaluation.loss}`
      : null;
    if (badLoss !== null) throw diverged(`${badLoss} after epoch ${epoch} (lr ${lr})`, lastGood());
    if (scheduler.timing === "epoch") scheduler.step();
    if (scheduler.timing === "metric") scheduler.step(evaluation?.loss ?? lossSum / n);
    const model = await trainer.stateDict();
    const optimizerState = await trainer.optimizerStateDict();
    const badState = nonFinite(model, "parameter") ?? nonFinite(optimizerState, "optimizer state");
    if (badState !== null) {
      throw diverged(`${badState} after epoch ${epoch} (lr ${lr})`, lastGood());
    }
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / n,
      trainAccuracy: correct / n,
      testLoss: evaluation?.loss ?? null,
      testAccuracy: evaluation !== null ? evaluation.correct / evaluation.count : null,
      lr,
      seconds: (performance.now() - started) / 1000,
      samplesPerSecond: n / trainSeconds,
    };
    history.push(record);
    progress.endEpoch({ ...record, epochs: config.epochs });
    if (out !== undefined) {
      const state: LoopState = {
        format: "shardgrad-train-state",
        version: 1,
        epoch,
        step,
        rng: rng.getState(),
        scheduler: scheduler.stateDict(),
        config,
        history,
      };
      await saveCheckpoint(out, {
        model,
        spec: options.spec,
        optimizer: optimizerState,
        state: state as unknown as Record<string, unknown>,
      });
      await writeMetrics(out, config, history);
      savedEpoch = epoch;
    }
  }
  const final = lastEvaluation ?? (test !== null ? await trainer.evaluate("test") : null);
  return { history, test: final };
}

/** Writes metrics.json (`{ config, epochs: [...] }`) and curves.svg into `out`. */
export async function writeMetrics(
  out: string,
  config: RunConfig,
  history: EpochRecord[],
): Promise<void> {
  checkArgumentCount("Cannot run writeMetrics", arguments.length, 3);
  await writeFileAtomic(
    join(out, "metrics.json"),
    JSON.stringify({ config, epochs: history }, null, 2) + "\n",
  );
  await writeFileAtomic(
    join(out, "curves.svg"),
    plotCurves(history, `${config.model} on ${config.dataset}`),
  );
}
