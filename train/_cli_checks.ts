/**
 * Internal: the checks train.ts makes before it trains or evaluates — the worker count
 * against the cores, a model spec file read with its name in every error, and a model
 * against the dataset it is about to see (input shape, number of classes).
 */

import { Tensor } from "../tensor/tensor.ts";
import type { Module } from "../layers/module.ts";
import { type ModelSpec, parseModelSpec } from "../layers/spec.ts";
import { formatShape } from "../tensor/shape.ts";
import { ConfigError } from "./cli.ts";

/** Workers per core above which `--workers` is refused (see `checkWorkers`). */
export const WORKERS_PER_CORE = 4;
/** `--workers` is refused above this whatever the core count. */
export const MAX_WORKERS = 256;

/**
 * The worker count of a run: `requested` (default: all cores). Above the cores it warns in
 * one line; above `WORKERS_PER_CORE` × cores (at most `MAX_WORKERS`) it is a ConfigError.
 * Why a limit: every worker is a thread with its own model replica, activations and gradient
 * slot, and every step waits at the barriers for all of them, so beyond the cores more workers
 * add memory and waiting, never speed (1000 workers on 2 cores: 17 GB and epochs 400× slower).
 * Up to 4× the cores stays allowed, so sharding over more workers than cores can still be
 * tried (or tested on a small machine).
 */
export function checkWorkers(
  requested: number | undefined,
  warn: (line: string) => void,
  cores: number = navigator.hardwareConcurrency ?? 1,
): number {
  const workers = requested ?? cores;
  const limit = Math.min(MAX_WORKERS, WORKERS_PER_CORE * cores);
  if (workers > limit) {
    throw new ConfigError(
      `--workers ${workers}: at most ${limit} on this machine (${
        limit === MAX_WORKERS
          ? `the cap`
          : `${WORKERS_PER_CORE} × its ${cores} core${cores > 1 ? "s" : ""}`
      }); each worker holds a model replica and waits at every step's barriers, so workers beyond the cores add memory and time, not speed`,
    );
  }
  if (workers > cores) {
    warn(
      `warning: --workers ${workers} is more than the ${cores} core${
        cores > 1 ? "s" : ""
      } of this machine; the extra workers share cores and make each step slower, not faster\n`,
    );
  }
  return workers;
}

/** Validates a model spec read from `file`; an invalid one is a TypeError naming the file. */
export function specFrom(value: unknown, file: string): ModelSpec {
  try {
    return parseModelSpec(value);
  } catch (error) {
    const message = (error as Error).message.replace(/^Invalid model spec: /, "");
    throw new TypeError(`Invalid model spec in ${file}: ${message}`, { cause: error });
  }
}

/**
 * Runs `model` (eval mode) on one zero sample of `sampleShape` and checks that it outputs one
 * logit per class: a model from another dataset fails here with one line instead of deep in
 * a layer or the confusion matrix. `where` starts the message, `file` names the model's spec.
 */
export function checkModelFits(
  model: Module,
  data: { name: string; sampleShape: readonly number[]; numClasses: number },
  file: string,
  where: string,
): void {
  const input = Tensor.zeros([1, ...data.sampleShape]);
  let output: Tensor;
  try {
    output = model.eval().forward(input);
  } catch (error) {
    throw new TypeError(
      `${where}: the model in ${file} does not take ${data.name} samples ${
        formatShape([...data.sampleShape])
      } (${(error as Error).message})`,
      { cause: error },
    );
  } finally {
    model.train();
  }
  if (output.shape.length !== 2 || output.shape[1] !== data.numClasses) {
    throw new TypeError(
      `${where}: the model in ${file} outputs ${
        output.shape.length === 2
          ? `${output.shape[1]} classes`
          : `shape ${formatShape(output.shape)}`
      }, dataset ${data.name} has ${data.numClasses}`,
    );
  }
}
