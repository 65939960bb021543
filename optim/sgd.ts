/** SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay. */

import type { Parameter } from "../tensor/parameter.ts";
import {
  Optimizer,
  type ParamGroupInput,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
import { checkArgumentCount, checkAtLeast, resolveOptions } from "./_options.ts";
import { sgdKernel } from "../tensor/kernels/mod.ts";

/** Options of `SGD` (PyTorch's `torch.optim.SGD`, camelCased). */
export interface SGDOptions {
  /** Learning rate γ. @default 1e-3 */
  lr?: number;
  /** Momentum factor μ. @default 0 */
  momentum?: number;
  /** Dampening τ for momentum. @default 0 */
  dampening?: number;
  /** L2 penalty λ (added to the gradient). @default 0 */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). @default false */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. @default false */
  maximize?: boolean;
}

/** SGD's complete hyperparameters (a param group's). */
export type SGDHyperparameters = Required<SGDOptions>;

const defaults: SGDHyperparameters = Object.freeze({
  lr: 1e-3,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
});

/**
 * One SGD step on `param[lo..hi)` (PyTorch's algorithm), per element:
 *
 * ```text
 * g ← maximize ? −grad : grad
 * g ← g + λ·p                                  (λ = weightDecay, if ≠ 0)
 * if μ ≠ 0:
 *   b ← step === 1 ? g : μ·b + (1 − τ)·g       (b = state.momentum_buffer)
 *   g ← nesterov ? g + μ·b : b
 * p ← p − γ·g
 * ```
 *
 * The loop is `sgdKernel` (tensor/kernels/optimizer.ts), in PyTorch's float32 arithmetic: γ, μ,
 * λ and 1 − τ rounded to float32, μ·b rounded before the sum, and each `x + a·y` above rounded
 * once (a fused multiply-add, as torch.optim.SGD's `add_(y, alpha=a)`), so parameters and
 * buffers equal PyTorch's bit for bit (tests/optim/sgd_torch_test.ts).
 */
export function sgdUpdate(
  param: Float32Array,
  grad: Float32Array,
  state: StateBuffers,
  step: number,
  hp: Readonly<SGDHyperparameters>,
  lo: number,
  hi: number,
): void {
  const { lr, momentum, dampening, weightDecay, nesterov, maximize } = hp;
  sgdKernel(
    param,
    grad,
    momentum === 0 ? null : state.momentum_buffer,
    lo,
    hi,
    lr,
    momentum,
    dampening,
    weightDecay,
    maximize ? -1 : 1,
    step === 1,
    nesterov,
  );
}

/** SGD as an `UpdateRule` (see optim/optimizer.ts). State: `momentum_buffer` when momentum ≠ 0. */
export const sgdRule: UpdateRule<SGDHyperparameters> = {
  name: "sgd",
  className: "SGD",
  defaults,
  validate(options, where = "Cannot create SGD") {
    const hp = resolveOptions(defaults, options, where);
    checkAtLeast(hp.lr, 0, "lr", where);
    checkAtLeast(hp.momentum, 0, "momentum", where);
    checkAtLeast(hp.weightDecay, 0, "weightDecay", where);
    if (hp.nesterov && (hp.momentum <= 0 || hp.dampening !== 0)) {
      throw new RangeError(
        `${where}: Nesterov momentum requires momentum > 0 and dampening 0, got momentum ${hp.momentum} and dampening ${hp.dampening}`,
      );
    }
    return hp;
  },
  stateNames: (hp) => (hp.momentum !== 0 ? ["momentum_buffer"] : []),
  initialState: () => 0,
  update: sgdUpdate,
};

/**
 * Stochastic gradient descent, optionally with momentum (PyTorch's `torch.optim.SGD`).
 *
 * Update per parameter, t = 1, 2, ...: g ← ∇ + λp; b_1 = g, b_t = μ·b_{t−1} + (1 − τ)·g;
 * g ← g + μ·b (Nesterov) or g ← b; p ← p − γ·g. See `sgdUpdate`.
 * Momentum as in Sutskever et al. 2013, "On the importance of initialization and
 * momentum in deep learning", in PyTorch's form (lr multiplies the whole step).
 *
 * @example
 * ```ts
 * import { SGD } from "./sgd.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * w.grad.data.set([1, 1]);
 * opt.step();
 * opt.zeroGrad();
 * ```
 */
export class SGD extends Optimizer<SGDHyperparameters, SGDOptions> {
  /**
   * @param params Parameters, or groups `{ params, ...SGDOptions }`
   * @param options hyperparameters of every group
   */
  constructor(
    params: Iterable<Parameter> | Iterable<ParamGroupInput<SGDOptions>>,
    options: SGDOptions = {},
  ) {
    checkArgumentCount("Cannot create SGD", arguments.length, 2);
    super(sgdRule, params, options);
  }
}
