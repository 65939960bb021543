/**
 * Internal: the user functions of LambdaLR, MultiplicativeLR and CyclicLR, and the state
 * their state dicts keep. PyTorch saves nothing for a plain function or lambda and the
 * `__dict__` of a callable object; the JavaScript counterpart of a callable object is an
 * object with a method (`factor(epoch)`, `scale(x)`), whose own data fields are its state.
 */

import { describe } from "../_options.ts";

/** A plain function of one number, or an object whose method `M` is that function. */
export type UserFunction<M extends string> =
  | ((x: number) => number)
  | { [K in M]: (x: number) => number };

/** TypeError unless `fn` is a function or an object with a `method` method. */
export function checkUserFunction(fn: unknown, method: string, name: string, where: string): void {
  if (typeof fn === "function") return;
  if (
    fn !== null && typeof fn === "object" &&
    typeof (fn as Record<string, unknown>)[method] === "function"
  ) return;
  throw new TypeError(
    `${where}: ${name} must be a function or an object with a ${method}() method, got ${
      describe(fn)
    }`,
  );
}

/** Calls `fn` at `x`; a result that is not a finite number is a RangeError naming `name` and `x`. */
export function callUserFunction<M extends string>(
  fn: UserFunction<M>,
  method: M,
  x: number,
  name: string,
  where: string,
): number {
  const value = typeof fn === "function"
    ? fn(x)
    : (fn as Record<M, (x: number) => number>)[method](x);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RangeError(
      `${where}: ${name}(${x}) returned ${describe(value)}, not a finite number`,
    );
  }
  return value;
}

/** What a state dict keeps of `fn`: null for a plain function, else a copy of its own data fields. */
export function userFunctionState(fn: UserFunction<string>): Record<string, unknown> | null {
  if (typeof fn === "function") return null;
  const state: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fn)) {
    if (typeof value !== "function") state[key] = structuredClone(value);
  }
  return state;
}

/**
 * One function per param group: a single function (or object) is shared by every group,
 * an array must hold one per group (`name` is the argument's name in messages).
 */
export function perGroupFunctions<M extends string>(
  value: UserFunction<M> | readonly UserFunction<M>[],
  method: M,
  groups: number,
  name: string,
  where: string,
): UserFunction<M>[] {
  if (!Array.isArray(value)) {
    checkUserFunction(value, method, name, where);
    return new Array(groups).fill(value);
  }
  if (value.length !== groups) {
    throw new TypeError(
      `${where}: ${name} has ${value.length} function(s) but the optimizer has ${groups} param group(s)`,
    );
  }
  value.forEach((fn, i) => checkUserFunction(fn, method, `${name}[${i}]`, where));
  return [...value];
}

/**
 * Restores what `userFunctionState` saved, one entry per function (PyTorch's
 * `__dict__.update`). Every entry is checked before any is applied. Saved fields for a
 * plain function, or none for an object, mean the state dict came from another setup:
 * a TypeError naming the entry, rather than a silently different schedule.
 */
export function loadUserFunctionStates(
  fns: readonly UserFunction<string>[],
  states: unknown,
  key: string,
  where: string,
): void {
  if (!Array.isArray(states) || states.length !== fns.length) {
    throw new TypeError(
      `${where}: ${key} must hold one entry (null or an object) per function (${fns.length}), got ${
        describe(states)
      }`,
    );
  }
  fns.forEach((fn, i) => {
    const state = states[i];
    if (state === null) {
      if (typeof fn !== "function") {
        throw new TypeError(
          `${where}: ${key}[${i}] is null (saved from a plain function) but this function is an object with fields`,
        );
      }
    } else if (typeof state !== "object" || Array.isArray(state)) {
      throw new TypeError(
        `${where}: ${key}[${i}] must be null or an object, got ${describe(state)}`,
      );
    } else if (typeof fn === "function") {
      throw new TypeError(
        `${where}: ${key}[${i}] holds saved fields but this function is a plain function; pass the same kind of object`,
      );
    }
  });
  fns.forEach((fn, i) => {
    if (states[i] !== null) Object.assign(fn, structuredClone(states[i]));
  });
}
