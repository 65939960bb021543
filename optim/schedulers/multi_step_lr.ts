/** MultiStepLR: multiply the lr by gamma at each milestone epoch. */

import { checkArgumentCount, checkKnownKeys, describe, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `MultiStepLR` (PyTorch's `gamma`). */
export interface MultiStepLROptions {
  /** Multiplicative factor. @default 0.1 */
  gamma?: number;
}

/**
 * Decays each group's lr by `gamma` once per milestone reached (PyTorch's `MultiStepLR`):
 * lr(e) = base_lr · gamma^(number of milestones ≤ e).
 *
 * @example
 * ```ts
 * import { MultiStepLR } from "./multi_step_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new MultiStepLR(optimizer, [1, 3], { gamma: 0.1 });
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.1
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** The milestones, increasing. */
  readonly milestones: readonly number[];
  /** Multiplicative factor. */
  readonly gamma: number;

  /**
   * Checks the arguments, then performs the initial step (epoch 0).
   * @param milestones epochs at which to decay (non-negative integers, increasing; a repeated one decays twice)
   */
  constructor(
    optimizer: SchedulableOptimizer,
    milestones: readonly number[],
    options: MultiStepLROptions = {},
  ) {
    const where = "Cannot create MultiStepLR";
    checkArgumentCount(where, arguments.length, 3);
    checkKnownKeys(options, ["gamma"], where);
    if (!Array.isArray(milestones)) {
      throw new TypeError(
        `${where}: milestones must be an array of integers, got ${
          describe(milestones)
        } (usage: new MultiStepLR(optimizer, milestones, { gamma }))`,
      );
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 0 || (i > 0 && m < milestones[i - 1])) {
        throw new RangeError(
          `${where}: milestones must be non-negative integers in increasing order, got ${
            describe(milestones)
          }`,
        );
      }
    });
    const gamma = numberOption(options as Record<string, unknown>, "gamma", where, 0.1);
    super(optimizer, where);
    this.milestones = Object.freeze([...milestones]);
    this.gamma = gamma;
    this.step();
  }

  /** Chainable form: lr · gamma^(times lastEpoch appears in milestones). */
  getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.optimizer.paramGroups.map((
      group,
    ) => (hits === 0 ? group.lr : group.lr * this.gamma ** hits));
  }

  /** Closed form: base_lr · gamma^(number of milestones ≤ epoch). */
  lrAt(epoch: number): number[] {
    const passed = this.milestones.filter((m) => m <= epoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}
