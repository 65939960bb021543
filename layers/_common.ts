/** Internal helpers shared by the layer files: argument validation, entry checks and PyTorch-style reprs. */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/rng.ts";
import type { Module } from "./module.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** An int or an `[h, w]` pair, as PyTorch's `_pair` accepts. */
export type IntPair = number | readonly [number, number];

/**
 * Expands an int or `[h, w]` argument into a pair and checks every entry is an
 * integer ≥ `min` (RangeError naming the argument otherwise).
 */
export function pair(value: IntPair, name: string, where: string, min: number): [number, number] {
  const p: readonly number[] = typeof value === "number" ? [value, value] : value;
  if (!Array.isArray(p) || p.length !== 2) {
    throw new TypeError(
      `${where}: expected ${name} to be an integer or an [h, w] pair, got ${String(value)}`,
    );
  }
  for (const v of p) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(
        `${where}: expected ${name} to be an integer ≥ ${min} (or a pair of them), got ${
          formatValue(value)
        }`,
      );
    }
  }
  return [p[0], p[1]];
}

/**
 * Checks the shape of a constructor call (scripts run by `deno run`/`bun` are not
 * type-checked): at most `max` arguments, the last of which, when given, is an options
 * object whose keys are all in `known`. `known` lists every key of the options interface
 * as `{ bias: true, rng: true }`, so the compiler keeps it complete. Returns the options
 * (`{}` when absent).
 */
export function checkCall<T extends object>(
  where: string,
  count: number,
  max: number,
  options: T | undefined,
  known: NoInfer<{ [K in keyof Required<T>]: true }>,
): T {
  checkArgumentCount(where, count, max);
  checkOptions(where, options, Object.keys(known));
  return options ?? ({} as T);
}

/** Checks a boolean option (`bias: "no"` is an error, not truthy) and returns it. */
export function boolean(value: unknown, name: string, where: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(
      `${where}: expected ${name} to be true or false, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks an `rng` option: absent, or a generator with `random()` (an Rng). */
export function rngOption(value: unknown, where: string): Rng | undefined {
  if (value === undefined) return undefined;
  const random = (value as { random?: unknown } | null)?.random;
  if (typeof value !== "object" || typeof random !== "function") {
    throw new TypeError(
      `${where}: expected rng to be an Rng (new Rng(seed)), got ${describeValue(value)}`,
    );
  }
  return value as Rng;
}

/** Checks an integer ≥ `min` (RangeError naming the argument otherwise) and returns it. */
export function integerAtLeast(value: number, name: string, where: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${where}: expected ${name} to be an integer ≥ ${min}, got ${formatValue(value)}`,
    );
  }
  return value;
}

/** Checks a finite number ≥ 0 (eps, alpha...) and returns it. */
export function nonNegative(value: number, name: string, where: string): number {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new RangeError(
      `${where}: expected ${name} to be a finite number ≥ 0, got ${formatValue(value)}`,
    );
  }
  return value;
}

/** Checks a finite number and returns it. */
export function finite(value: number, name: string, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      `${where}: expected ${name} to be a finite number, got ${formatValue(value)}`,
    );
  }
  return value;
}

/** The error of a `backward` called with no `forward` to differentiate. */
export function noForwardError(layer: string): Error {
  return new Error(
    `Cannot run ${layer}.backward: there is no forward pass to differentiate; call forward(input) first`,
  );
}

/** Throws a TypeError unless `gradOutput` has the shape of the last output. */
export function checkGradOutput(
  layer: string,
  gradOutput: Tensor,
  outputShape: readonly number[],
): void {
  if (!sameShape(gradOutput.shape, outputShape)) {
    throw new TypeError(
      `Cannot run ${layer}.backward: expected gradOutput ${
        formatShape(outputShape)
      } (the shape of the last output), ` +
        `got ${formatShape(gradOutput.shape)}`,
    );
  }
}

/** The TypeError of a forward whose input has the wrong shape: `expected input [N, 3, H, W], got [8, 1, 28, 28]`. */
export function inputShapeError(layer: string, expected: string, input: Tensor): TypeError {
  return new TypeError(
    `Cannot run ${layer}.forward: expected input ${expected}, got ${formatShape(input.shape)}`,
  );
}

/**
 * Runs a kernel's geometry function and rethrows its RangeError (input too small for
 * the kernel...) as `Cannot run <layer>.forward: ...`, keeping the original as `cause`.
 */
export function geometry<T>(layer: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const reason = error.message.replace(/^Cannot build \w+ geometry: /, "");
    throw new RangeError(`Cannot run ${layer}.forward: ${reason}`, { cause: error });
  }
}

/** Python's repr of a float: `1.0`, `0.1`, `1e-05`. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  return String(x);
}

/** Python's repr of a bool. */
export function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

/** Python's repr of an int or a tuple of ints: `3`, `(3, 3)`. */
export function pyInts(v: number | readonly number[]): string {
  if (typeof v === "number") return String(v);
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`;
}

/**
 * `Name(\n  (key): child\n)` with nested children indented, as PyTorch's Module.__repr__.
 * A child without its own toString prints as `ClassName()`.
 */
export function formatChildren(name: string, children: [string, Module][]): string {
  if (children.length === 0) return `${name}()`;
  const repr = (
    m: Module,
  ) => (m.toString === Object.prototype.toString ? `${m.constructor.name}()` : String(m));
  const lines = children.map(([key, m]) => `  (${key}): ${repr(m).replaceAll("\n", "\n  ")}`);
  return `${name}(\n${lines.join("\n")}\n)`;
}

function formatValue(v: unknown): string {
  return describeValue(v);
}
