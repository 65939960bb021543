/** Adam: adaptive moment estimation, with L2 weight decay and the AMSGrad variant (PyTorch's torch.optim.Adam). */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import {
  checkArgumentCount,
  checkAtLeast,
  checkBetas,
  checkPositive,
  resolveOptions,
} from "./_options.ts";
import { adamFamilyUpdate } from "./_adam.ts";

/** Options of `Adam` (PyTorch's `torch.optim.Adam`, camelCased). */
export interface AdamOptions {
  /** Learning rate γ. @default 1e-3 */
  lr?: number;
  /** Decay rates (β1, β2) of the first and second moment averages, each in [0, 1). @default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** ε added to the denominator after the square root (must be > 0). @default 1e-8 */
  eps?: number;
  /** L2 penalty λ, added to the gradient (coupled; see AdamW for decoupled decay). @default 0 */
  weightDecay?: number;
  /** Use the maximum of all second-moment estimates so far (AMSGrad). @default false */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. @default false */
  maximize?: boolean;
}

/** Adam's complete hyperparameters (a param group's). */
export type AdamHyperparameters = Required<AdamOptions>;

const defaults: AdamHyperparameters = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]) as unknown as readonly [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
});

/**
 * One Adam step on `param[lo..hi)`, per element (t = `step`):
 *
 * ```text
 * g ← (maximize ? −grad : grad) + λp
 * m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  amsgrad: v̂ ← max(v̂, v), v ← v̂
 * p ← p − γ/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * ```
 */
export function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  step: number,
  hp: Readonly<AdamHyperparameters>,
  lo: number,
  hi: number,
): void {
  adamFamilyUpdate(param, grad, state, step, hp, lo, hi, false);
}

/** Shared by Adam and AdamW: checks lr ≥ 0, eps > 0, betas in [0, 1), weightDecay ≥ 0. */
export function checkAdamFamily(hp: Readonly<AdamHyperparameters>, where: string): void {
  checkAtLeast(hp.lr, 0, "lr", where);
  checkPositive(hp.eps, "eps", where);
  checkBetas(hp.betas, where);
  checkAtLeast(hp.weightDecay, 0, "weightDecay", where);
}

/** Adam as an `UpdateRule`. State: `exp_avg`, `exp_avg_sq`, plus `max_exp_avg_sq` with amsgrad. */
export const adamRule: UpdateRule<AdamHyperparameters> = {
  name: "adam",
  className: "Adam",
  defaults,
  validate(options, where = "Cannot create Adam") {
    const hp = resolveOptions(defaults, options, where);
    checkAdamFamily(hp, where);
    return hp;
  },
  stateNames: (
    hp,
  ) => (hp.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]),
  initialState: () => 0,
  update: adamUpdate,
};

/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization"), with
 * AMSGrad (Reddi et al. 2018, "On the Convergence of Adam and Beyond"), as PyTorch:
 * weight decay is an L2 term added to the gradient; ε is added after the square root
 * of the bias-corrected second moment. See `adamUpdate` for the per-element rule.
 *
 * @example
 * ```ts
 * import { Adam } from "./adam.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new Adam([w], { lr: 0.01, betas: [0.9, 0.99] });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamHyperparameters, AdamOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...AdamOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<AdamOptions>>,
    options: AdamOptions = {},
  ) {
    checkArgumentCount("Cannot create Adam", arguments.length, 2);
    super(adamRule, params, options);
  }
}
