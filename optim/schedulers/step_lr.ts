/** StepLR: multiply the lr by gamma every `stepSize` epochs. */

import { checkArgumentCount, checkKnownKeys, integerArgument, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

const USAGE = "new StepLR(optimizer, stepSize, { gamma })";

/** Options of `StepLR` (PyTorch's `gamma`). */
export interface StepLROptions {
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
 * const scheduler = new StepLR(optimizer, 2, { gamma: 0.5 });
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.05
 * ```
 */
export class StepLR extends LRScheduler {
  /** Period of the decay in epochs. */
  readonly stepSize: number;
  /** Multiplicative factor. */
  readonly gamma: number;

  /**
   * Checks the arguments, then performs the initial step (epoch 0).
   * @param stepSize period of the decay in epochs (PyTorch's `step_size`, integer ≥ 1)
   */
  constructor(optimizer: SchedulableOptimizer, stepSize: number, options: StepLROptions = {}) {
    const where = "Cannot create StepLR";
    checkArgumentCount(where, arguments.length, 3);
    checkKnownKeys(options, ["gamma"], where);
    const size = integerArgument(stepSize, "stepSize", where, 1, USAGE);
    const gamma = numberOption(options as Record<string, unknown>, "gamma", where, 0.1);
    super(optimizer, where);
    this.stepSize = size;
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
