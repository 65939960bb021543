/** optimizerRules: every optimizer's pure update rule by name (what parallel/ and train.ts look up). */

import type { BaseHyperparameters, UpdateRule } from "./optimizer.ts";
import { sgdRule } from "./sgd.ts";
import { adamRule } from "./adam.ts";
import { adamwRule } from "./adamw.ts";
import { rmspropRule } from "./rmsprop.ts";
import { adagradRule } from "./adagrad.ts";
import { lionRule } from "./lion.ts";

/**
 * The update rules by name. Each entry is an `UpdateRule` (optim/optimizer.ts):
 * `{ name, className, defaults, validate(options), stateNames(hp), initialState(name, hp),
 * update(param, grad, state, step, hp, lo, hi) }`. `new Optimizer(optimizerRules[name], params, options)`
 * builds the matching optimizer. With a name known only at run time, widen the entry to
 * `AnyUpdateRule` (`const rule: AnyUpdateRule = optimizerRules[name]`).
 *
 * @example
 * ```ts
 * import { optimizerRules, type OptimizerName } from "./rules.ts";
 * const name: OptimizerName = "adamw";
 * const hp = optimizerRules[name].validate({ lr: 3e-4 });
 * console.log(optimizerRules[name].stateNames(hp)); // ["exp_avg", "exp_avg_sq"]
 * ```
 */
export const optimizerRules = Object.freeze({
  sgd: sgdRule,
  adam: adamRule,
  adamw: adamwRule,
  rmsprop: rmspropRule,
  adagrad: adagradRule,
  lion: lionRule,
});

/** "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad" | "lion". */
export type OptimizerName = keyof typeof optimizerRules;

/** Every optimizer name, in table order. */
export const optimizerNames: readonly OptimizerName[] = Object.freeze(
  Object.keys(optimizerRules) as OptimizerName[],
);

/** Any rule, for names chosen at run time: `hp` is then typed as `{ lr }` plus whatever `validate` returned. */
export type AnyUpdateRule = UpdateRule<BaseHyperparameters>;
