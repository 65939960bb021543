/** LinearLR: scale the lr linearly from startFactor to endFactor over totalIters epochs (warm-up). */

import { checkArgumentCount, checkKnownKeys, integerOption, numberOption } from "../_options.ts";
import { LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `LinearLR` (PyTorch's `start_factor`, `end_factor`, `total_iters`). */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1]. @default 1/3 */
  startFactor?: number;
  /** Factor from epoch `totalIters` on, in [0, 1]. @default 1 */
  endFactor?: number;
  /** Epochs of the ramp (integer ≥ 1). @default 5 */
  totalIters?: number;
}

/**
 * Linear warm-up or decay (PyTorch's `LinearLR`). Closed form:
 *
 * ```text
 * lr(e) = base_lr · (startFactor + (endFactor − startFactor) · min(e, totalIters) / totalIters)
 * ```
 *
 * `step()` uses PyTorch's recursive form, equal up to rounding.
 *
 * @example
 * ```ts
 * import { LinearLR } from "./linear_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * new LinearLR(optimizer, { startFactor: 0.25, totalIters: 3 });
 * console.log(optimizer.paramGroups[0].lr); // 0.25
 * ```
 */
export class LinearLR extends LRScheduler {
  /** Factor at epoch 0. */
  readonly startFactor: number;
  /** Factor from epoch `totalIters` on. */
  readonly endFactor: number;
  /** Epochs of the ramp. */
  readonly totalIters: number;

  /** Checks the options, then performs the initial step (lr ← base_lr · startFactor). */
  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    const where = "Cannot create LinearLR";
    checkArgumentCount(where, arguments.length, 2);
    checkKnownKeys(options, ["startFactor", "endFactor", "totalIters"], where);
    const o = options as Record<string, unknown>;
    const startFactor = numberOption(o, "startFactor", where, 1 / 3);
    const endFactor = numberOption(o, "endFactor", where, 1);
    const totalIters = integerOption(o, "totalIters", where, 1, 5);
    if (!(startFactor > 0 && startFactor <= 1)) {
      throw new RangeError(`${where}: startFactor must be in (0, 1], got ${startFactor}`);
    }
    if (!(endFactor >= 0 && endFactor <= 1)) {
      throw new RangeError(`${where}: endFactor must be in [0, 1], got ${endFactor}`);
    }
    super(optimizer, where);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.step();
  }

  /** PyTorch's recursive form: lr · (1 + Δ / (totalIters·startFactor + (e − 1)·Δ)), Δ = endFactor − startFactor. */
  getLr(): number[] {
    const e = this.lastEpoch;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((group) => group.lr * this.startFactor);
    if (e > this.totalIters) return groups.map((group) => group.lr);
    const delta = this.endFactor - this.startFactor;
    const factor = 1 + delta / (this.totalIters * this.startFactor + (e - 1) * delta);
    return groups.map((group) => group.lr * factor);
  }

  /** Closed form (see the class doc). */
  lrAt(epoch: number): number[] {
    const f = this.startFactor +
      ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters;
    return this.baseLrs.map((base) => base * f);
  }
}
