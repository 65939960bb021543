/** StepLR: multiply the lr by gamma every `stepSize` epochs. */

import { checkKnownKeys, integerOption, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `StepLR` (PyTorch's `step_size`, `gamma`). */
export interface StepLROptions {
  /** Period of the decay in epochs (required, integer ≥ 1). */
  stepSize: number;
  /** Multiplicative factor. @default 0.1 */
  gamma?: number;
}

/**
 * Decays each group's lr by `gamma` every `stepSize` epochs (PyTorch's `StepLR`):
 * lr(e) = base_lr · gamma^⌊e / stepSize⌋.
 *
 * @example
 * ```ts
 * import { StepLR } from "./step_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 0.1 }] };
 * const scheduler = new StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.05
 * ```
 */
export class StepLR extends LRScheduler {
  /** Period of the decay in epochs. */
  readonly stepSize: number;
  /** Multiplicative factor. */
  readonly gamma: number;

  /** Checks the options, then performs the initial step (epoch 0). */
  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    const where = "Cannot create StepLR";
    checkKnownKeys(options, ["stepSize", "gamma"], where);
    const stepSize = integerOption(
      options as unknown as Record<string, unknown>,
      "stepSize",
      where,
      1,
    );
    const gamma = numberOption(options as unknown as Record<string, unknown>, "gamma", where, 0.1);
    super(optimizer, where);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.step();
  }

  /** Chainable form: lr · gamma at each multiple of `stepSize`, else the current lr. */
  getLr(): number[] {
    const decay = this.lastEpoch !== 0 && this.lastEpoch % this.stepSize === 0;
    return this.optimizer.paramGroups.map((group) => (decay ? group.lr * this.gamma : group.lr));
  }

  /** Closed form: base_lr · gamma^⌊epoch / stepSize⌋. */
  lrAt(epoch: number): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(epoch / this.stepSize));
  }
}
