/** ExponentialLR: multiply the lr by gamma every epoch. */

import { checkArgumentCount, numberArgument } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/**
 * Decays each group's lr by `gamma` every epoch (PyTorch's `ExponentialLR`):
 * lr(e) = base_lr · gamma^e.
 *
 * @example
 * ```ts
 * import { ExponentialLR } from "./exponential_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new ExponentialLR(optimizer, 0.5);
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.5
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative factor per epoch. */
  readonly gamma: number;

  /**
   * Checks the arguments, then performs the initial step (epoch 0).
   * @param gamma multiplicative factor per epoch
   */
  constructor(optimizer: SchedulableOptimizer, gamma: number) {
    const where = "Cannot create ExponentialLR";
    checkArgumentCount(where, arguments.length, 2);
    const g = numberArgument(gamma, "gamma", where, "new ExponentialLR(optimizer, gamma)");
    super(optimizer, where);
    this.gamma = g;
    this.step();
  }

  /** Chainable form: lr · gamma (lr unchanged at epoch 0). */
  getLr(): number[] {
    return this.optimizer.paramGroups.map((
      group,
    ) => (this.lastEpoch === 0 ? group.lr : group.lr * this.gamma));
  }

  /** Closed form: base_lr · gamma^epoch. */
  lrAt(epoch: number): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** epoch);
  }
}
