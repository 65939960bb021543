/**
 * The training loop of character-level language models, counted in iterations as nanoGPT:
 * each step draws `batchSize` random windows of the train split, the learning rate follows
 * warmup + cosine decay, and every `evalInterval` iterations (and at the first and last)
 * the mean loss over `evalIters` random batches of each split is reported and a checkpoint
 * (with the vocabulary in state.json) is written.
 */

import { join } from "node:path";
import { Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import type { ModelSpec } from "../layers/spec.ts";
import type { OptimizerStateDict } from "../optim/optimizer.ts";
import type { TextDataset, TextSplit } from "../data/text.ts";
import type { TokenData, Trainer } from "./trainer.ts";
import { NonFiniteError } from "./_non_finite.ts";
import { type Checkpoint, saveCheckpoint, writeFileAtomic } from "./checkpoint.ts";
import { diverged, nonFinite } from "./_divergence.ts";
import { textLearningRate } from "./text_presets.ts";

/** The settings of a text run, saved in state.json so `--resume` continues with them. */
export interface TextRunConfig {
  dataset: "text";
  /** The corpus file. */
  file: string;
  /** sha256 of the corpus bytes (a resumed or evaluated run checks it). */
  fileSha256: string;
  /** Preset name or spec file the model came from (model.json holds the spec). */
  model: string;
  iters: number;
  batchSize: number;
  blockSize: number;
  optimizer: "adamw" | "adam";
  lr: number;
  minLr: number;
  warmupIters: number;
  /** The cosine decay ends here (--lr-decay-iters, default the first run's --iters; after it the rate stays at minLr). */
  lrDecayIters: number;
  weightDecay: number;
  betas: [number, number];
  evalInterval: number;
  evalIters: number;
  seed: number;
}

/** One evaluation: losses in nats per character (mean cross-entropy over every predicted character). */
export interface TextEvalRecord {
  iter: number;
  trainLoss: number;
  valLoss: number;
  /** Next-character accuracy on the evaluated windows. */
  trainAccuracy: number;
  valAccuracy: number;
  /** Learning rate of the last step before the evaluation (null at iteration 0). */
  lr: number | null;
  /** Training seconds since the previous evaluation (evaluations excluded). */
  seconds: number;
  /** Training characters (tokens) per second since the previous evaluation (null at iteration 0). */
  tokensPerSecond: number | null;
  /** Windows (samples) per second since the previous evaluation (null at iteration 0). */
  samplesPerSecond: number | null;
}

/** state.json of a text checkpoint. */
export interface TextLoopState {
  format: "shardgrad-text-train-state";
  version: 1;
  /** Optimizer steps taken. */
  iter: number;
  /** The window sampler's state after `iter` steps. */
  rng: number[];
  /** The characters of token ids 0..V-1, in order (CharVocabulary.toString()). */
  vocabulary: string;
  config: TextRunConfig;
  history: TextEvalRecord[];
}

/** The `format` of a text run's state.json. */
export const TEXT_STATE_FORMAT = "shardgrad-text-train-state";

/** What `fitText` needs. */
export interface FitTextOptions {
  trainer: Trainer;
  config: TextRunConfig;
  data: TextDataset;
  /** Written to model.json with every checkpoint. */
  spec: ModelSpec;
  /** Receives each evaluation, and between them the running loss (for a status line). */
  report: {
    evaluation(record: TextEvalRecord, iters: number): void;
    step?(iter: number, iters: number, loss: number, tokensPerSecond: number): void;
    info(line: string): void;
  };
  /** Output folder; nothing is written without one. */
  out?: string;
  /** A checkpoint to continue from. */
  resume?: Checkpoint;
}

/** Most steps per `trainSteps` call (progress is reported between calls). */
const MAX_CHUNK = 10;

/** The token set of a split, as the trainers take it. */
export function tokenData(data: TextDataset, split: TextSplit): TokenData {
  const tokens = data.tokens(split);
  return {
    kind: "tokens",
    tokens,
    shape: [tokens.length - data.blockSize, data.blockSize],
    vocabSize: data.vocabulary.size,
  };
}

/** The generator of the evaluation batches at iteration `iter`: the same windows whether or not the run was resumed. */
export function evalRng(seed: number, iter: number): Rng {
  return new Rng(seed ^ 0x2545f491).fork(iter);
}

/**
 * Trains until `config.iters` steps (from the resumed checkpoint's, if any). A non-finite
 * loss, gradient or parameter stops with a RangeError naming the iteration; nothing is
 * saved from that state. Returns the evaluations (the resumed run's included).
 */
export async function fitText(options: FitTextOptions): Promise<TextEvalRecord[]> {
  checkArgumentCount("Cannot run fitText", arguments.length, 1);
  checkOptions("Cannot run fitText", options, [
    "trainer",
    "config",
    "data",
    "spec",
    "report",
    "out",
    "resume",
  ]);
  const { trainer, config, data, report, out } = options;
  await trainer.setData("train", tokenData(data, "train"));
  await trainer.setData("test", tokenData(data, "val"));
  const rng = new Rng(config.seed).fork(0x7e47);
  let iter = 0;
  let history: TextEvalRecord[] = [];
  let savedIter: number | null = null;
  if (options.resume !== undefined) {
    const saved = options.resume.state as unknown as TextLoopState;
    await trainer.loadStateDict(options.resume.model);
    await trainer.loadOptimizerStateDict(options.resume.optimizer as OptimizerStateDict);
    rng.setState(saved.rng);
    iter = saved.iter;
    history = [...saved.history];
    savedIter = iter;
  } else {
    history.push(await evaluate(trainer, data, config, 0, null, 0, null));
    report.evaluation(history[0], config.iters);
  }
  const lastGood = () =>
    out === undefined
      ? "nothing was written"
      : savedIter !== null
      ? `the checkpoint in ${out} is from iteration ${savedIter}`
      : "no checkpoint was written";
  const trainSteps = trainer.trainSteps;
  const schedule = { ...config, decayIters: config.lrDecayIters };
  while (iter < config.iters) {
    const until = Math.min(
      config.iters,
      (Math.floor(iter / config.evalInterval) + 1) * config.evalInterval,
    );
    // Dropout streams restart at each interval from (seed, iteration): a resumed run draws the same.
    await trainer.reseed?.(
      (Math.imul(config.seed >>> 0, 0x9e3779b1) ^ Math.imul(iter + 1, 0x85ebca77)) >>> 0,
    );
    const started = performance.now();
    let lossSum = 0;
    let steps = 0;
    let lr = 0;
    const first = iter;
    while (iter < until) {
      const size = trainSteps === undefined ? 1 : Math.min(MAX_CHUNK, until - iter);
      const batches = Array.from(
        { length: size },
        () => data.sampleStarts("train", config.batchSize, rng),
      );
      const lrs = batches.map((_, i) => textLearningRate(iter + i, schedule));
      let losses: number[];
      try {
        if (trainSteps === undefined) {
          trainer.paramGroups[0].lr = lrs[0];
          losses = [(await trainer.step(batches[0])).loss];
        } else {
          losses = (await trainSteps.call(trainer, batches, { lr: lrs })).map((r) => r.loss);
        }
      } catch (error) {
        if (!(error instanceof NonFiniteError)) throw error;
        const at = iter + error.stepIndex + 1;
        throw diverged(
          `${error.detail} at iteration ${at} of ${config.iters} (lr ${lrs[error.stepIndex]})`,
          lastGood(),
        );
      }
      for (const [i, loss] of losses.entries()) {
        if (!Number.isFinite(loss)) {
          throw diverged(
            `the loss is ${loss} at iteration ${iter + i + 1} of ${config.iters}`,
            lastGood(),
          );
        }
        lossSum += loss;
      }
      iter += size;
      steps += size;
      lr = lrs[size - 1];
      const seconds = (performance.now() - started) / 1000;
      report.step?.(
        iter,
        config.iters,
        lossSum / steps,
        (steps * config.batchSize * config.blockSize) / seconds,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    const record = await evaluate(trainer, data, config, iter, lr, seconds, iter - first);
    if (!Number.isFinite(record.trainLoss) || !Number.isFinite(record.valLoss)) {
      throw diverged(
        `the evaluated loss is ${record.trainLoss} (train), ${record.valLoss} (val) at iteration ${iter}`,
        lastGood(),
      );
    }
    history.push(record);
    report.evaluation(record, config.iters);
    if (out !== undefined) {
      const model = await trainer.stateDict();
      const optimizer = await trainer.optimizerStateDict();
      const bad = nonFinite(model, "parameter") ?? nonFinite(optimizer, "optimizer state");
      if (bad !== null) throw diverged(`${bad} at iteration ${iter}`, lastGood());
      const state: TextLoopState = {
        format: TEXT_STATE_FORMAT,
        version: 1,
        iter,
        rng: rng.getState(),
        vocabulary: data.vocabulary.toString(),
        config,
        history,
      };
      await saveCheckpoint(out, {
        model,
        spec: options.spec,
        optimizer,
        state: state as unknown as Record<string, unknown>,
      });
      await writeFileAtomic(
        join(out, "metrics.json"),
        JSON.stringify({ config, evaluations: history }, null, 2) + "\n",
      );
      savedIter = iter;
    }
  }
  return history;
}

/** Mean loss and accuracy over `evalIters` random batches of each split (nanoGPT's estimate_loss). */
async function evaluate(
  trainer: Trainer,
  data: TextDataset,
  config: TextRunConfig,
  iter: number,
  lr: number | null,
  seconds: number,
  steps: number | null,
): Promise<TextEvalRecord> {
  const rng = evalRng(config.seed, iter);
  const count = config.evalIters * config.batchSize;
  const train = await trainer.evaluate("train", data.sampleStarts("train", count, rng));
  const val = await trainer.evaluate("test", data.sampleStarts("val", count, rng));
  const predicted = count * config.blockSize;
  const samples = steps === null ? null : (steps * config.batchSize) / seconds;
  return {
    iter,
    trainLoss: train.loss,
    valLoss: val.loss,
    trainAccuracy: train.correct / predicted,
    valAccuracy: val.correct / predicted,
    lr,
    seconds,
    tokensPerSecond: samples === null ? null : samples * config.blockSize,
    samplesPerSecond: samples,
  };
}
