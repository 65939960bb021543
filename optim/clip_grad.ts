/** Gradient clipping: rescale all gradients to a maximum total norm, or clamp each element. */

import { Parameter } from "../tensor/parameter.ts";
import { checkArgumentCount, checkKnownKeys, describe } from "./_options.ts";

/** Options of `clipGradNorm` (PyTorch's `norm_type`, `error_if_nonfinite`). */
export interface ClipGradNormOptions {
  /** p of the p-norm: a number > 0, or Infinity for the max-abs norm. @default 2 */
  normType?: number;
  /** Throw (and leave the gradients untouched) when the total norm is NaN or ±Infinity. @default false */
  errorIfNonfinite?: boolean;
}

/**
 * Scales every gradient in place so that their joint norm is at most `maxNorm`
 * (PyTorch's `clip_grad_norm_`), and returns the total norm before clipping:
 *
 * ```text
 * total = ‖(‖g_1‖_p, ‖g_2‖_p, ...)‖_p    (= the p-norm of all gradient elements together;
 *                                          p = Infinity: max |g|)
 * coef  = min(1, maxNorm / (total + 1e-6));  g ← g · coef for every parameter
 * ```
 *
 * Sums are accumulated in float64.
 *
 * @example
 * ```ts
 * import { clipGradNorm } from "./clip_grad.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const p = new Parameter(Tensor.zeros([2]));
 * p.grad.data.set([3, 4]);
 * console.log(clipGradNorm([p], 1)); // 5
 * console.log(p.grad.toArray()); // ≈ [0.6, 0.8]
 * ```
 */
export function clipGradNorm(
  params: Parameter | Iterable<Parameter>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  const where = "Cannot run clipGradNorm";
  checkArgumentCount(where, arguments.length, 3);
  checkKnownKeys(options, ["normType", "errorIfNonfinite"], where);
  const { normType = 2, errorIfNonfinite = false } = options;
  const list = toParameterList(params, where);
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) {
    throw new TypeError(`${where}: maxNorm must be a number, got ${describe(maxNorm)}`);
  }
  if (!(maxNorm >= 0)) throw new RangeError(`${where}: maxNorm must be ≥ 0, got ${maxNorm}`);
  if (typeof normType !== "number" || !(normType > 0)) {
    throw new RangeError(
      `${where}: normType must be a number > 0 or Infinity, got ${describe(normType)}`,
    );
  }
  if (typeof errorIfNonfinite !== "boolean") {
    throw new TypeError(
      `${where}: errorIfNonfinite must be a boolean, got ${describe(errorIfNonfinite)}`,
    );
  }
  const total = totalNorm(list, normType);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `${where}: the total norm of order ${normType} of the gradients is ${total}; ` +
        `pass errorIfNonfinite: false to clip anyway`,
    );
  }
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  if (coef !== 1) {
    for (const p of list) {
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return total;
}

/**
 * Clamps every gradient element into [−clipValue, clipValue] in place (PyTorch's `clip_grad_value_`).
 *
 * @example
 * ```ts
 * import { clipGradValue } from "./clip_grad.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const p = new Parameter(Tensor.zeros([3]));
 * p.grad.data.set([-5, 0.5, 5]);
 * clipGradValue([p], 1);
 * console.log(p.grad.toArray()); // [-1, 0.5, 1]
 * ```
 */
export function clipGradValue(params: Parameter | Iterable<Parameter>, clipValue: number): void {
  const where = "Cannot run clipGradValue";
  checkArgumentCount(where, arguments.length, 2);
  const list = toParameterList(params, where);
  if (typeof clipValue !== "number" || Number.isNaN(clipValue)) {
    throw new TypeError(`${where}: clipValue must be a number, got ${describe(clipValue)}`);
  }
  if (!(clipValue >= 0)) throw new RangeError(`${where}: clipValue must be ≥ 0, got ${clipValue}`);
  for (const p of list) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) {
      if (g[i] > clipValue) g[i] = clipValue;
      else if (g[i] < -clipValue) g[i] = -clipValue;
    }
  }
}

function totalNorm(list: Parameter[], normType: number): number {
  if (normType === Infinity) {
    let max = 0;
    for (const p of list) {
      for (const v of p.grad.data) {
        const a = Math.abs(v);
        if (a > max || Number.isNaN(a)) max = a;
      }
    }
    return max;
  }
  let sum = 0;
  for (const p of list) {
    const g = p.grad.data;
    if (normType === 2) { for (let i = 0; i < g.length; i++) sum += g[i] * g[i]; }
    else if (normType === 1) { for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]); }
    else for (let i = 0; i < g.length; i++) sum += Math.abs(g[i]) ** normType;
  }
  return sum ** (1 / normType);
}

function toParameterList(params: Parameter | Iterable<Parameter>, where: string): Parameter[] {
  if (params instanceof Parameter) return [params];
  if (params === null || typeof params !== "object" || !(Symbol.iterator in params)) {
    throw new TypeError(
      `${where}: expected a Parameter or an iterable of Parameters, got ${describe(params)}`,
    );
  }
  const list = [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Parameter)) {
      throw new TypeError(`${where}: element ${i} is not a Parameter (got ${describe(p)})`);
    }
  });
  return list;
}
