/** How losses reduce their per-element values, and the checks every loss shares (internal). */

import { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/**
 * PyTorch's `reduction`: `"mean"` (default) averages the per-element losses (for
 * class-weighted losses: divides by the summed weights), `"sum"` adds them, `"none"`
 * keeps them in `lastLosses` (see each loss).
 */
export type Reduction = "none" | "mean" | "sum";

const REDUCTIONS: readonly Reduction[] = ["none", "mean", "sum"];

/**
 * Checks a loss constructor's call (scripts run by `deno run`/`bun` are not type-checked):
 * one optional options object whose keys are all in `known`, which lists every key of
 * the options interface as `{ reduction: true }` so the compiler keeps it complete.
 * Returns the options (`{}` when absent).
 */
export function checkLossCall<T extends object>(
  where: string,
  count: number,
  options: T | undefined,
  known: NoInfer<{ [K in keyof Required<T>]: true }>,
): T {
  checkArgumentCount(where, count, 1);
  checkOptions(where, options, Object.keys(known));
  return options ?? ({} as T);
}

/** Returns `value` as a Reduction or throws a RangeError naming the allowed values. */
export function checkReduction(value: unknown, where: string): Reduction {
  if (!REDUCTIONS.includes(value as Reduction)) {
    throw new RangeError(
      `${where}: reduction must be "none", "mean" or "sum", got ${JSON.stringify(value)}`,
    );
  }
  return value as Reduction;
}

/** Throws a TypeError unless `tensor` is a Tensor; `what` names it in the message. */
export function checkTensor(tensor: unknown, what: string, where: string): Tensor {
  if (!(tensor instanceof Tensor)) {
    throw new TypeError(`${where}: expected ${what} to be a Tensor, got ${describe(tensor)}`);
  }
  return tensor;
}

/** A weight option (`Tensor`, `Float32Array` or plain numbers) as a Tensor, or null when absent. */
export function toWeightTensor(
  value: Tensor | Float32Array | readonly number[] | null | undefined,
  what: string,
  where: string,
): Tensor | null {
  if (value === undefined || value === null) return null;
  let tensor: Tensor;
  if (value instanceof Tensor) tensor = value;
  else if (value instanceof Float32Array) tensor = new Tensor(value, [value.length]);
  else if (Array.isArray(value) && value.every((v) => typeof v === "number")) {
    tensor = new Tensor(Float32Array.from(value), [value.length]);
  } else {
    throw new TypeError(
      `${where}: expected ${what} to be a Tensor, Float32Array or number[], got ${describe(value)}`,
    );
  }
  // A NaN or infinite weight would make every loss it touches non-finite, silently.
  const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(
      `${where}: expected finite ${what} values, got ${tensor.data[bad]} at index ${bad}`,
    );
  }
  return tensor;
}

/**
 * What a loss's backward multiplies each per-element gradient by.
 *
 * For `"none"`, `gradOutput` (default all ones) is dL/d(lastLosses) and must have the
 * shape of `lastLosses`; it comes back as `perElement`. For `"mean"`/`"sum"` it is an
 * optional one-element upstream gradient (default 1) folded into `scale` together with
 * `1 / denominator` (mean) or 1 (sum).
 */
export function upstreamGradient(
  reduction: Reduction,
  gradOutput: Tensor | undefined,
  lossShape: readonly number[],
  denominator: number,
  where: string,
): { scale: number; perElement: Float32Array | null } {
  if (reduction === "none") {
    if (gradOutput === undefined) return { scale: 1, perElement: null };
    checkTensor(gradOutput, "gradOutput", where);
    if (!sameShape(gradOutput.shape, lossShape)) {
      throw new TypeError(
        `${where}: expected gradOutput ${formatShape(lossShape)} (the shape of lastLosses), got ${
          formatShape(gradOutput.shape)
        }`,
      );
    }
    return { scale: 1, perElement: gradOutput.data };
  }
  let g = 1;
  if (gradOutput !== undefined) {
    checkTensor(gradOutput, "gradOutput", where);
    if (gradOutput.size !== 1) {
      throw new TypeError(
        `${where}: expected a one-element gradOutput for reduction "${reduction}", got ${
          formatShape(gradOutput.shape)
        }`,
      );
    }
    g = gradOutput.data[0];
  }
  return { scale: reduction === "mean" ? g / denominator : g, perElement: null };
}

/** The error of calling backward before forward. */
export function backwardBeforeForward(name: string): Error {
  return new Error(`Cannot run ${name}.backward: call ${name}.forward(pred, target) first`);
}

/** A short description of a value's kind for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Tensor) return `Tensor${formatShape(value.shape)}`;
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
