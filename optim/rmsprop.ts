/** RMSprop: per-element step sizes from a running mean of squared gradients (PyTorch's torch.optim.RMSprop). */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import { checkArgumentCount, checkAtLeast, checkPositive, resolveOptions } from "./_options.ts";
import { rmspropKernel } from "../tensor/kernels/mod.ts";

/** Options of `RMSprop` (PyTorch's `torch.optim.RMSprop`, camelCased). */
export interface RMSpropOptions {
  /** Learning rate γ. @default 1e-2 */
  lr?: number;
  /** Smoothing constant α of the squared-gradient average. @default 0.99 */
  alpha?: number;
  /** ε added to the denominator after the square root (must be > 0). @default 1e-8 */
  eps?: number;
  /** L2 penalty λ (added to the gradient). @default 0 */
  weightDecay?: number;
  /** Momentum factor μ. @default 0 */
  momentum?: number;
  /** Normalize by the estimated variance (subtract the squared mean gradient). @default false */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it. @default false */
  maximize?: boolean;
}

/** RMSprop's complete hyperparameters (a param group's). */
export type RMSpropHyperparameters = Required<RMSpropOptions>;

const defaults: RMSpropHyperparameters = Object.freeze({
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
});

/**
 * One RMSprop step on `param[lo..hi)` (PyTorch's algorithm), per element:
 *
 * ```text
 * g ← (maximize ? −grad : grad) + λp
 * s ← α·s + (1 − α)·g²                        (square_avg)
 * centered: ḡ ← α·ḡ + (1 − α)·g (grad_avg);  d ← √(s − ḡ²) + ε
 * else:     d ← √s + ε
 * μ > 0: b ← μ·b + g/d (momentum_buffer); p ← p − γ·b
 * else:  p ← p − γ·g/d
 * ```
 *
 * The loop is `rmspropKernel` (tensor/kernels/optimizer.ts).
 */
export function rmspropUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  _step: number,
  hp: Readonly<RMSpropHyperparameters>,
  lo: number,
  hi: number,
): void {
  const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = hp;
  rmspropKernel(
    param,
    grad,
    state.square_avg,
    centered ? state.grad_avg : null,
    momentum > 0 ? state.momentum_buffer : null,
    lo,
    hi,
    lr,
    alpha,
    eps,
    weightDecay,
    momentum,
    maximize ? -1 : 1,
  );
}

/** RMSprop as an `UpdateRule`. State: `square_avg`, plus `momentum_buffer` (μ > 0) and `grad_avg` (centered). */
export const rmspropRule: UpdateRule<RMSpropHyperparameters> = {
  name: "rmsprop",
  className: "RMSprop",
  defaults,
  validate(options, where = "Cannot create RMSprop") {
    const hp = resolveOptions(defaults, options, where);
    checkAtLeast(hp.lr, 0, "lr", where);
    checkAtLeast(hp.alpha, 0, "alpha", where);
    checkPositive(hp.eps, "eps", where);
    checkAtLeast(hp.weightDecay, 0, "weightDecay", where);
    checkAtLeast(hp.momentum, 0, "momentum", where);
    return hp;
  },
  stateNames(hp) {
    const names = ["square_avg"];
    if (hp.momentum > 0) names.push("momentum_buffer");
    if (hp.centered) names.push("grad_avg");
    return names;
  },
  initialState: () => 0,
  update: rmspropUpdate,
};

/**
 * RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012; the
 * centered form from Graves 2013, "Generating Sequences With Recurrent Neural
 * Networks"), as PyTorch: ε is added after the square root, and momentum
 * accumulates the normalized gradient. See `rmspropUpdate`.
 *
 * @example
 * ```ts
 * import { RMSprop } from "./rmsprop.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new RMSprop([w], { lr: 0.01, momentum: 0.9, centered: true });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step();
 * ```
 */
export class RMSprop extends Optimizer<RMSpropHyperparameters, RMSpropOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...RMSpropOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<RMSpropOptions>>,
    options: RMSpropOptions = {},
  ) {
    checkArgumentCount("Cannot create RMSprop", arguments.length, 2);
    super(rmspropRule, params, options);
  }
}
