/** ConstantLR: the lr times a constant factor for the first totalIters epochs, then the base lr. */

import { checkArgumentCount, checkKnownKeys, integerOption, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `ConstantLR` (PyTorch's `factor`, `total_iters`). */
export interface ConstantLROptions {
  /** Factor until epoch `totalIters`, in (0, 1]. @default 1/3 */
  factor?: number;
  /** Epochs run at the reduced lr (integer ≥ 1). @default 5 */
  totalIters?: number;
}

/**
 * A constant warm-up factor (PyTorch's `ConstantLR`). Closed form:
 *
 * ```text
 * lr(e) = base_lr · factor    for e < totalIters
 * lr(e) = base_lr             for e ≥ totalIters
 * ```
 *
 * `step()` uses PyTorch's chainable form (lr · factor at epoch 0, lr / factor at epoch
 * totalIters, else unchanged), so it composes with other schedulers in a ChainedScheduler.
 * A factor of 0 is refused: PyTorch accepts it and then divides by zero at totalIters.
 *
 * @example
 * ```ts
 * import { ConstantLR } from "./constant_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new ConstantLR(optimizer, { factor: 0.5, totalIters: 2 });
 * console.log(optimizer.paramGroups[0].lr); // 0.5
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 1
 * ```
 */
export class ConstantLR extends LRScheduler {
  /** Factor until epoch `totalIters`. */
  readonly factor: number;
  /** Epochs run at the reduced lr. */
  readonly totalIters: number;

  /** Checks the options, then performs the initial step (lr ← lr · factor). */
  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    const where = "Cannot create ConstantLR";
    checkArgumentCount(where, arguments.length, 2);
    checkKnownKeys(options, ["factor", "totalIters"], where);
    const o = options as Record<string, unknown>;
    const factor = numberOption(o, "factor", where, 1 / 3);
    const totalIters = integerOption(o, "totalIters", where, 1, 5);
    if (!(factor > 0 && factor <= 1)) {
      throw new RangeError(`${where}: factor must be in (0, 1], got ${factor}`);
    }
    super(optimizer, where);
    this.factor = factor;
    this.totalIters = totalIters;
    this.step();
  }

  /** Chainable form: lr · factor at epoch 0, lr · (1 / factor) at totalIters, else the current lr. */
  getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((group) => group.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((group) => group.lr);
    return groups.map((group) => group.lr * (1 / this.factor));
  }

  /** Closed form: base_lr · (factor + (epoch ≥ totalIters) · (1 − factor)). */
  lrAt(epoch: number): number[] {
    const on = epoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((base) => base * (this.factor + on * (1 - this.factor)));
  }
}
