/** Internal: checking options objects of optimizers and schedulers (one clear error each). */

import { checkOptions, describeValue } from "../tensor/options.ts";

export { checkArgumentCount } from "../tensor/options.ts";

/** A short name of a value's kind for messages (see tensor/options.ts). */
export const describe = describeValue;

/** Throws a TypeError unless `options` is a plain object whose keys are all in `known` (one shared check). */
export function checkKnownKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined) {
    throw new TypeError(`${where}: expected an options object, got undefined`);
  }
  checkOptions(where, options, known);
}

/**
 * `defaults` overlaid with `options` (keys with value `undefined` keep the default).
 * Unknown keys and values of another kind than the default's (number, boolean,
 * fixed-length number array) are TypeErrors; numbers must be finite.
 */
export function resolveOptions<H extends object>(
  defaults: H,
  options: Readonly<Record<string, unknown>>,
  where: string,
): H {
  const known = Object.keys(defaults);
  checkKnownKeys(options, known, where);
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const d = (defaults as Record<string, unknown>)[key];
    if (typeof d === "boolean") {
      if (typeof value !== "boolean") {
        throw new TypeError(`${where}: ${key} must be a boolean, got ${describe(value)}`);
      }
      out[key] = value;
    } else if (typeof d === "number") {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new TypeError(`${where}: ${key} must be a finite number, got ${describe(value)}`);
      }
      out[key] = value;
    } else if (Array.isArray(d)) {
      if (
        !Array.isArray(value) || value.length !== d.length ||
        value.some((v) => typeof v !== "number" || !Number.isFinite(v))
      ) {
        throw new TypeError(
          `${where}: ${key} must be an array of ${d.length} finite numbers, got ${describe(value)}`,
        );
      }
      out[key] = Object.freeze([...value]);
    }
  }
  return out as H;
}

/** RangeError unless `value ≥ min`. */
export function checkAtLeast(value: number, min: number, name: string, where: string): void {
  if (!(value >= min)) throw new RangeError(`${where}: ${name} must be ≥ ${min}, got ${value}`);
}

/** RangeError unless `value > 0`. */
export function checkPositive(value: number, name: string, where: string): void {
  if (!(value > 0)) throw new RangeError(`${where}: ${name} must be > 0, got ${value}`);
}

/** RangeError unless `0 ≤ value < 1`. */
export function checkUnitInterval(value: number, name: string, where: string): void {
  if (!(value >= 0 && value < 1)) {
    throw new RangeError(`${where}: ${name} must be in [0, 1), got ${value}`);
  }
}

/** RangeError unless `betas` is a pair in [0, 1). */
export function checkBetas(betas: readonly number[], where: string): void {
  checkUnitInterval(betas[0], "betas[0]", where);
  checkUnitInterval(betas[1], "betas[1]", where);
}

/** The number `options[key]`, or `fallback` when absent; TypeError for a missing required one or a non-finite value. */
export function numberOption(
  options: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
  fallback?: number,
): number {
  const value = options[key];
  if (value === undefined) {
    if (fallback === undefined) throw new TypeError(`${where}: missing required option "${key}"`);
    return fallback;
  }
  return numberArgument(value, key, where);
}

/**
 * A required positional argument `name` as a finite number (TypeError otherwise, also when
 * missing). `usage` (e.g. "new StepLR(optimizer, stepSize, { gamma })") is added to the
 * message, since an options object in its place usually means the call follows an old form.
 */
export function numberArgument(
  value: unknown,
  name: string,
  where: string,
  usage?: string,
): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    const hint = usage === undefined ? "" : ` (usage: ${usage})`;
    throw new TypeError(`${where}: ${name} must be a finite number, got ${describe(value)}${hint}`);
  }
  return value;
}

/** A required positional argument `name` as an integer ≥ `min` (TypeError if not a number, RangeError if out of range). */
export function integerArgument(
  value: unknown,
  name: string,
  where: string,
  min: number,
  usage?: string,
): number {
  const n = numberArgument(value, name, where, usage);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}, got ${n}`);
  }
  return n;
}
/** Like `numberOption`, but the value must be an integer ≥ `min` (RangeError otherwise). */
export function integerOption(
  options: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
  min: number,
  fallback?: number,
): number {
  const value = numberOption(options, key, where, fallback);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${where}: ${key} must be an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** `options[key]` as a flag, or `fallback` when absent; TypeError for a non-boolean. */
export function booleanOption(
  options: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
  fallback: boolean,
): boolean {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${where}: ${key} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** `options[key]`, one of `choices`, or `fallback`; TypeError otherwise. */
export function choiceOption<T extends string>(
  options: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = options[key];
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    throw new TypeError(
      `${where}: ${key} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${
        describe(value)
      }`,
    );
  }
  return value as T;
}

/** `options[key]` as one number per group: a number is repeated, an array must have `count` numbers. */
export function perGroupOption(
  options: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
  count: number,
  fallback?: number,
): number[] {
  const value = options[key];
  if (Array.isArray(value)) {
    if (value.length !== count) {
      throw new TypeError(
        `${where}: ${key} has ${value.length} value(s) but the optimizer has ${count} param group(s)`,
      );
    }
    return value.map((_, i) =>
      numberOption(value as unknown as Record<string, unknown>, String(i), `${where}: ${key}`)
    );
  }
  return new Array(count).fill(numberOption(options, key, where, fallback));
}
