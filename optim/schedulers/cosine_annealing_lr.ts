/** CosineAnnealingLR: cosine decay from the base lr to etaMin over tMax epochs (SGDR without restarts). */

import { checkArgumentCount, checkKnownKeys, integerArgument, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `CosineAnnealingLR` (PyTorch's `eta_min`). */
export interface CosineAnnealingLROptions {
  /** Minimum learning rate. @default 0 */
  etaMin?: number;
}

/**
 * Cosine annealing (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with
 * Warm Restarts"), PyTorch's `CosineAnnealingLR`. Closed form:
 *
 * ```text
 * lr(e) = etaMin + (base_lr − etaMin) · (1 + cos(π·e / tMax)) / 2
 * ```
 *
 * `step()` uses PyTorch's recursive form (`getLr()`), which equals the closed form up to
 * rounding for a plain sequence of steps and keeps following the cosine past tMax
 * (back up to base_lr at 2·tMax), exactly as PyTorch does.
 *
 * @example
 * ```ts
 * import { CosineAnnealingLR } from "./cosine_annealing_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new CosineAnnealingLR(optimizer, 2);
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // ≈ 0.5
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half-period in epochs. */
  readonly tMax: number;
  /** Minimum learning rate. */
  readonly etaMin: number;

  /**
   * Checks the arguments, then performs the initial step (epoch 0).
   * @param tMax half-period in epochs (PyTorch's `T_max`, integer ≥ 1)
   */
  constructor(
    optimizer: SchedulableOptimizer,
    tMax: number,
    options: CosineAnnealingLROptions = {},
  ) {
    const where = "Cannot create CosineAnnealingLR";
    checkArgumentCount(where, arguments.length, 3);
    checkKnownKeys(options, ["etaMin"], where);
    const t = integerArgument(
      tMax,
      "tMax",
      where,
      1,
      "new CosineAnnealingLR(optimizer, tMax, { etaMin })",
    );
    const etaMin = numberOption(options as Record<string, unknown>, "etaMin", where, 0);
    if (etaMin < 0) throw new RangeError(`${where}: etaMin must be ≥ 0, got ${etaMin}`);
    super(optimizer, where);
    this.tMax = t;
    this.etaMin = etaMin;
    this.step();
  }

  /** PyTorch's recursive form: each lr from the previous one (special case one epoch past each minimum). */
  getLr(): number[] {
    const e = this.lastEpoch;
    const t = this.tMax;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((group) => group.lr);
    if ((e - 1 - t) % (2 * t) === 0) {
      return groups.map((group, i) =>
        group.lr + ((this.baseLrs[i] - this.etaMin) * (1 - Math.cos(Math.PI / t))) / 2
      );
    }
    const ratio = (1 + Math.cos((Math.PI * e) / t)) / (1 + Math.cos((Math.PI * (e - 1)) / t));
    return groups.map((group) => ratio * (group.lr - this.etaMin) + this.etaMin);
  }

  /** Closed form: etaMin + (base_lr − etaMin)·(1 + cos(π·epoch/tMax))/2. */
  lrAt(epoch: number): number[] {
    const c = (1 + Math.cos((Math.PI * epoch) / this.tMax)) / 2;
    return this.baseLrs.map((base) => this.etaMin + (base - this.etaMin) * c);
  }
}
