/** AdamW: Adam with decoupled weight decay (PyTorch's torch.optim.AdamW). */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import { checkArgumentCount, resolveOptions } from "./_options.ts";
import { adamFamilyUpdate } from "./_adam.ts";
import { type AdamOptions, checkAdamFamily } from "./adam.ts";

/** Options of `AdamW`: Adam's, but `weightDecay` is decoupled and defaults to 0.01. */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ: p ← p·(1 − γλ) before the Adam step. @default 1e-2 */
  weightDecay?: number;
}

/** AdamW's complete hyperparameters (a param group's). */
export type AdamWHyperparameters = Required<AdamWOptions>;

const defaults: AdamWHyperparameters = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]) as unknown as readonly [number, number],
  eps: 1e-8,
  weightDecay: 1e-2,
  amsgrad: false,
  maximize: false,
});

/**
 * One AdamW step on `param[lo..hi)`, per element (t = `step`):
 *
 * ```text
 * p ← p·(1 − γλ)
 * g ← maximize ? −grad : grad
 * m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  amsgrad: v̂ ← max(v̂, v), v ← v̂
 * p ← p − γ/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * ```
 */
export function adamwUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  step: number,
  hp: Readonly<AdamWHyperparameters>,
  lo: number,
  hi: number,
): void {
  adamFamilyUpdate(param, grad, state, step, hp, lo, hi, true);
}

/** AdamW as an `UpdateRule`. State: `exp_avg`, `exp_avg_sq`, plus `max_exp_avg_sq` with amsgrad. */
export const adamwRule: UpdateRule<AdamWHyperparameters> = {
  name: "adamw",
  className: "AdamW",
  defaults,
  validate(options, where = "Cannot create AdamW") {
    const hp = resolveOptions(defaults, options, where);
    checkAdamFamily(hp, where);
    return hp;
  },
  stateNames: (
    hp,
  ) => (hp.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]),
  initialState: () => 0,
  update: adamwUpdate,
};

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), as
 * PyTorch: the parameter decays by p·(1 − γλ) before the Adam step, and the gradient
 * carries no L2 term. See `adamwUpdate`.
 *
 * @example
 * ```ts
 * import { AdamW } from "./adamw.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new AdamW([w], { lr: 1e-3, weightDecay: 0.05 });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step();
 * ```
 */
export class AdamW extends Optimizer<AdamWHyperparameters, AdamWOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...AdamWOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<AdamWOptions>>,
    options: AdamWOptions = {},
  ) {
    checkArgumentCount("Cannot create AdamW", arguments.length, 2);
    super(adamwRule, params, options);
  }
}
