/** ExponentialLR: multiply the lr by gamma every epoch. */

import { checkKnownKeys, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `ExponentialLR` (PyTorch's `gamma`). */
export interface ExponentialLROptions {
  /** Multiplicative factor per epoch (required). */
  gamma: number;
}

/**
 * Decays each group's lr by `gamma` every epoch (PyTorch's `ExponentialLR`):
 * lr(e) = base_lr · gamma^e.
 *
 * @example
 * ```ts
 * import { ExponentialLR } from "./exponential_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new ExponentialLR(optimizer, { gamma: 0.5 });
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.5
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative factor per epoch. */
  readonly gamma: number;

  /** Checks the options, then performs the initial step (epoch 0). */
  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    const where = "Cannot create ExponentialLR";
    checkKnownKeys(options, ["gamma"], where);
    const gamma = numberOption(options as unknown as Record<string, unknown>, "gamma", where);
    super(optimizer, where);
    this.gamma = gamma;
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
