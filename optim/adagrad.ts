/** Adagrad: per-element step sizes from the sum of all squared gradients (PyTorch's torch.optim.Adagrad). */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import { checkArgumentCount, checkAtLeast, checkPositive, resolveOptions } from "./_options.ts";
import { adagradKernel } from "../tensor/kernels/mod.ts";

/** Options of `Adagrad` (PyTorch's `torch.optim.Adagrad`, camelCased). */
export interface AdagradOptions {
  /** Learning rate γ. @default 1e-2 */
  lr?: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1)·η). @default 0 */
  lrDecay?: number;
  /** L2 penalty λ (added to the gradient). @default 0 */
  weightDecay?: number;
  /** Starting value of the squared-gradient sum. @default 0 */
  initialAccumulatorValue?: number;
  /** ε added to the denominator after the square root (must be > 0). @default 1e-10 */
  eps?: number;
  /** Maximize the objective instead of minimizing it. @default false */
  maximize?: boolean;
}

/** Adagrad's complete hyperparameters (a param group's). */
export type AdagradHyperparameters = Required<AdagradOptions>;

const defaults: AdagradHyperparameters = Object.freeze({
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
});

/**
 * One Adagrad step on `param[lo..hi)` (PyTorch's algorithm), per element (t = `step`):
 *
 * ```text
 * g ← (maximize ? −grad : grad) + λp
 * γ̃ ← γ / (1 + (t − 1)·η)
 * s ← s + g²                                  (sum; starts at initialAccumulatorValue)
 * p ← p − γ̃ · g / (√s + ε)
 * ```
 *
 * The loop is `adagradKernel` (tensor/kernels/optimizer.ts).
 */
export function adagradUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  step: number,
  hp: Readonly<AdagradHyperparameters>,
  lo: number,
  hi: number,
): void {
  const { lr, lrDecay, weightDecay, eps, maximize } = hp;
  const clr = lr / (1 + (step - 1) * lrDecay);
  adagradKernel(param, grad, state.sum, lo, hi, clr, eps, weightDecay, maximize ? -1 : 1);
}

/** Adagrad as an `UpdateRule`. State: `sum`, filled with `initialAccumulatorValue` before step 1. */
export const adagradRule: UpdateRule<AdagradHyperparameters> = {
  name: "adagrad",
  className: "Adagrad",
  defaults,
  validate(options, where = "Cannot create Adagrad") {
    const hp = resolveOptions(defaults, options, where);
    checkAtLeast(hp.lr, 0, "lr", where);
    checkAtLeast(hp.lrDecay, 0, "lrDecay", where);
    checkAtLeast(hp.weightDecay, 0, "weightDecay", where);
    checkAtLeast(hp.initialAccumulatorValue, 0, "initialAccumulatorValue", where);
    checkPositive(hp.eps, "eps", where);
    return hp;
  },
  stateNames: () => ["sum"],
  initialState: (_name, hp) => hp.initialAccumulatorValue,
  update: adagradUpdate,
};

/**
 * Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online
 * Learning and Stochastic Optimization"), as PyTorch: an lr that decays with the step
 * count, and ε added after the square root. See `adagradUpdate`.
 *
 * @example
 * ```ts
 * import { Adagrad } from "./adagrad.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new Adagrad([w], { lr: 0.1, initialAccumulatorValue: 0.1 });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step();
 * ```
 */
export class Adagrad extends Optimizer<AdagradHyperparameters, AdagradOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...AdagradOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<AdagradOptions>>,
    options: AdagradOptions = {},
  ) {
    checkArgumentCount("Cannot create Adagrad", arguments.length, 2);
    super(adagradRule, params, options);
  }
}
