/** PolynomialLR: decay the lr to 0 over totalIters epochs along (1 − e/totalIters)^power. */

import { checkArgumentCount, checkKnownKeys, integerOption, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `PolynomialLR` (PyTorch's `total_iters`, `power`). */
export interface PolynomialLROptions {
  /** Epochs of the decay; the lr is 0 from then on (integer ≥ 1). @default 5 */
  totalIters?: number;
  /** Power of the polynomial (≥ 0). @default 1 */
  power?: number;
}

/**
 * Polynomial decay (PyTorch's `PolynomialLR`). Closed form:
 *
 * ```text
 * lr(e) = base_lr · (1 − min(e, totalIters) / totalIters)^power
 * ```
 *
 * `step()` uses PyTorch's chainable form, lr · ((1 − e/T) / (1 − (e − 1)/T))^power for
 * 0 < e ≤ T (else unchanged), equal to the closed form up to rounding when run alone.
 *
 * @example
 * ```ts
 * import { PolynomialLR } from "./polynomial_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new PolynomialLR(optimizer, { totalIters: 4, power: 2 });
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.25
 * ```
 */
export class PolynomialLR extends LRScheduler {
  /** Epochs of the decay. */
  readonly totalIters: number;
  /** Power of the polynomial. */
  readonly power: number;

  /** Checks the options, then performs the initial step (the lrs stay as they are). */
  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    const where = "Cannot create PolynomialLR";
    checkArgumentCount(where, arguments.length, 2);
    checkKnownKeys(options, ["totalIters", "power"], where);
    const o = options as Record<string, unknown>;
    const totalIters = integerOption(o, "totalIters", where, 1, 5);
    const power = numberOption(o, "power", where, 1);
    // A negative power divides by zero at totalIters (an infinite lr).
    if (!(power >= 0)) throw new RangeError(`${where}: power must be ≥ 0, got ${power}`);
    super(optimizer, where);
    this.totalIters = totalIters;
    this.power = power;
    this.step();
  }

  /** PyTorch's chainable form (see the class doc). */
  getLr(): number[] {
    const e = this.lastEpoch;
    const t = this.totalIters;
    const groups = this.optimizer.paramGroups;
    if (e === 0 || e > t) return groups.map((group) => group.lr);
    const decay = ((1 - e / t) / (1 - (e - 1) / t)) ** this.power;
    return groups.map((group) => group.lr * decay);
  }

  /** Closed form: base_lr · (1 − min(epoch, totalIters) / totalIters)^power. */
  lrAt(epoch: number): number[] {
    const f = (1 - Math.min(this.totalIters, epoch) / this.totalIters) ** this.power;
    return this.baseLrs.map((base) => base * f);
  }
}
