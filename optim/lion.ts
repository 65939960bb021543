/** Lion: sign-of-momentum updates with decoupled weight decay (Chen et al. 2023). */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import { checkArgumentCount, checkAtLeast, checkBetas, resolveOptions } from "./_options.ts";
import { lionKernel } from "../tensor/kernels/mod.ts";

/** Options of `Lion` (no PyTorch class; names and defaults as lucidrains/lion-pytorch). */
export interface LionOptions {
  /** Learning rate γ (typically 3–10× smaller than AdamW's). @default 1e-4 */
  lr?: number;
  /** (β1, β2): β1 mixes the update direction, β2 decays the momentum; each in [0, 1). @default [0.9, 0.99] */
  betas?: readonly [number, number];
  /** Decoupled weight decay λ: p ← p·(1 − γλ) before the step. @default 0 */
  weightDecay?: number;
}

/** Lion's complete hyperparameters (a param group's). */
export type LionHyperparameters = Required<LionOptions>;

const defaults: LionHyperparameters = Object.freeze({
  lr: 1e-4,
  betas: Object.freeze([0.9, 0.99]) as unknown as readonly [number, number],
  weightDecay: 0,
});

/**
 * One Lion step on `param[lo..hi)` (Algorithm 2 of the paper, in lion-pytorch's order), per element:
 *
 * ```text
 * p ← p·(1 − γλ)
 * c ← β1·m + (1 − β1)·g
 * p ← p − γ·sign(c)                          (sign(0) = 0)
 * m ← β2·m + (1 − β2)·g                      (exp_avg)
 * ```
 *
 * The loop is `lionKernel` (tensor/kernels/optimizer.ts).
 */
export function lionUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  _step: number,
  hp: Readonly<LionHyperparameters>,
  lo: number,
  hi: number,
): void {
  const { lr, betas, weightDecay } = hp;
  lionKernel(param, grad, state.exp_avg, lo, hi, lr, betas[0], betas[1], 1 - lr * weightDecay);
}

/** Lion as an `UpdateRule`. State: `exp_avg`. */
export const lionRule: UpdateRule<LionHyperparameters> = {
  name: "lion",
  className: "Lion",
  defaults,
  validate(options, where = "Cannot create Lion") {
    const hp = resolveOptions(defaults, options, where);
    checkAtLeast(hp.lr, 0, "lr", where);
    checkBetas(hp.betas, where);
    checkAtLeast(hp.weightDecay, 0, "weightDecay", where);
    return hp;
  },
  stateNames: () => ["exp_avg"],
  initialState: () => 0,
  update: lionUpdate,
};

/**
 * Lion, "EvoLved Sign Momentum" (Chen et al. 2023, "Symbolic Discovery of Optimization
 * Algorithms"): every element moves by exactly ±γ (or 0) per step, in the direction of
 * sign(β1·m + (1 − β1)·g); the momentum m then tracks g with the slower β2. Decoupled
 * weight decay as AdamW. See `lionUpdate`.
 *
 * @example
 * ```ts
 * import { Lion } from "./lion.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new Lion([w], { lr: 1e-4, weightDecay: 1 });
 * w.grad.data.set([0.5, -0.5]);
 * opt.step();
 * ```
 */
export class Lion extends Optimizer<LionHyperparameters, LionOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...LionOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<LionOptions>>,
    options: LionOptions = {},
  ) {
    checkArgumentCount("Cannot create Lion", arguments.length, 2);
    super(lionRule, params, options);
  }
}
