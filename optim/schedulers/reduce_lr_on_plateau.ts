/** ReduceLROnPlateau: divide the lr when a monitored metric stops improving. */

import {
  checkArgumentCount,
  checkKnownKeys,
  choiceOption,
  describe,
  integerOption,
  numberOption,
  perGroupOption,
} from "../_options.ts";
import { checkOptimizer, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `ReduceLROnPlateau` (PyTorch's names, camelCased; same defaults). */
export interface ReduceLROnPlateauOptions {
  /** "min": lower is better (a loss); "max": higher is better (an accuracy). @default "min" */
  mode?: "min" | "max";
  /** new lr = lr · factor, in [0, 1). @default 0.1 */
  factor?: number;
  /** Bad epochs tolerated before reducing: the lr drops on bad epoch patience + 1. @default 10 */
  patience?: number;
  /** Minimum change that counts as an improvement. @default 1e-4 */
  threshold?: number;
  /** "rel": relative to the best (best·(1 ∓ threshold)); "abs": best ∓ threshold. @default "rel" */
  thresholdMode?: "rel" | "abs";
  /** Epochs after a reduction during which bad epochs are not counted. @default 0 */
  cooldown?: number;
  /** Lower bound of the lr, for all groups or one per group. @default 0 */
  minLr?: number | readonly number[];
  /** Reductions smaller than eps are skipped. @default 1e-8 */
  eps?: number;
}

/** `ReduceLROnPlateau.stateDict()`: PyTorch's names; `best` is null before the first metric. */
export interface ReduceLROnPlateauStateDict {
  last_epoch: number;
  best: number | null;
  num_bad_epochs: number;
  cooldown_counter: number;
  _last_lr: number[];
}

/**
 * Reduces each group's lr by `factor` when the metric passed to `step(metric)` has not
 * improved for more than `patience` epochs (PyTorch's `ReduceLROnPlateau`). Per step:
 *
 * ```text
 * if better(metric, best): best ← metric; bad ← 0   else bad ← bad + 1
 * if cooldownCounter > 0:  cooldownCounter ← cooldownCounter − 1; bad ← 0
 * if bad > patience:       lr ← max(lr·factor, minLr) (skipped if the change ≤ eps);
 *                          cooldownCounter ← cooldown; bad ← 0
 * better (min, rel): metric < best·(1 − threshold)    (min, abs): metric < best − threshold
 *        (max, rel): metric > best·(1 + threshold)    (max, abs): metric > best + threshold
 * ```
 *
 * Unlike the epoch schedulers, construction changes no lr, and it cannot be part of SequentialLR.
 *
 * @example
 * ```ts
 * import { ReduceLROnPlateau } from "./reduce_lr_on_plateau.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new ReduceLROnPlateau(optimizer, { patience: 1 });
 * for (const loss of [3, 3, 3]) scheduler.step(loss);
 * console.log(optimizer.paramGroups[0].lr); // 0.1
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose `paramGroups[i].lr` this scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  /** Number of `step()` calls so far. */
  lastEpoch = 0;
  /** Best metric so far (±Infinity before the first). */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  #lastLr: number[];

  /** Checks the options; the lrs stay as they are. */
  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = "Cannot create ReduceLROnPlateau";
    checkArgumentCount(where, arguments.length, 2);
    checkKnownKeys(options, [
      "mode",
      "factor",
      "patience",
      "threshold",
      "thresholdMode",
      "cooldown",
      "minLr",
      "eps",
    ], where);
    checkOptimizer(optimizer, where);
    const o = options as Record<string, unknown>;
    this.mode = choiceOption(o, "mode", where, ["min", "max"] as const, "min");
    this.factor = numberOption(o, "factor", where, 0.1);
    if (!(this.factor >= 0 && this.factor < 1)) {
      throw new RangeError(`${where}: factor must be in [0, 1), got ${this.factor}`);
    }
    this.patience = integerOption(o, "patience", where, 0, 10);
    this.threshold = numberOption(o, "threshold", where, 1e-4);
    if (!(this.threshold >= 0)) {
      throw new RangeError(`${where}: threshold must be ≥ 0, got ${this.threshold}`);
    }
    this.thresholdMode = choiceOption(o, "thresholdMode", where, ["rel", "abs"] as const, "rel");
    this.cooldown = integerOption(o, "cooldown", where, 0, 0);
    this.minLrs = perGroupOption(o, "minLr", where, optimizer.paramGroups.length, 0);
    this.minLrs.forEach((lr) => {
      if (!(lr >= 0)) throw new RangeError(`${where}: minLr must be ≥ 0, got ${lr}`);
    });
    this.eps = numberOption(o, "eps", where, 1e-8);
    if (!(this.eps >= 0)) throw new RangeError(`${where}: eps must be ≥ 0, got ${this.eps}`);
    this.optimizer = optimizer;
    this.best = this.#worst();
    this.#lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** Records one epoch's metric and reduces the lrs if it has plateaued. */
  step(metric: number): void {
    checkArgumentCount("Cannot step ReduceLROnPlateau", arguments.length, 1);
    if (typeof metric !== "number") {
      throw new TypeError(
        `Cannot step ReduceLROnPlateau: expected the metric as a number, got ${describe(metric)}`,
      );
    }
    this.lastEpoch += 1;
    if (this.#isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((group, i) => {
        const next = Math.max(group.lr * this.factor, this.minLrs[i]);
        if (group.lr - next > this.eps) group.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rates after the last step, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The counters and best metric (JSON-serializable; options are not saved). */
  stateDict(): ReduceLROnPlateauStateDict {
    return {
      last_epoch: this.lastEpoch,
      best: Number.isFinite(this.best) ? this.best : null,
      num_bad_epochs: this.numBadEpochs,
      cooldown_counter: this.cooldownCounter,
      _last_lr: [...this.#lastLr],
    };
  }

  /** Restores what `stateDict()` saved. */
  loadStateDict(state: ReduceLROnPlateauStateDict): void {
    const where = "Cannot load state dict into ReduceLROnPlateau";
    if (state === null || typeof state !== "object") {
      throw new TypeError(`${where}: expected a state dict, got ${describe(state)}`);
    }
    for (const key of ["last_epoch", "num_bad_epochs", "cooldown_counter"] as const) {
      if (!Number.isInteger(state[key]) || state[key] < 0) {
        throw new TypeError(
          `${where}: ${key} must be a non-negative integer, got ${describe(state[key])}`,
        );
      }
    }
    if (state.best !== null && typeof state.best !== "number") {
      throw new TypeError(`${where}: best must be a number or null, got ${describe(state.best)}`);
    }
    const groups = this.optimizer.paramGroups.length;
    if (!Array.isArray(state._last_lr) || state._last_lr.length !== groups) {
      throw new TypeError(
        `${where}: _last_lr must hold one number per param group (${groups}), got ${
          describe(state._last_lr)
        }`,
      );
    }
    this.lastEpoch = state.last_epoch;
    this.best = state.best ?? this.#worst();
    this.numBadEpochs = state.num_bad_epochs;
    this.cooldownCounter = state.cooldown_counter;
    this.#lastLr = [...state._last_lr];
  }

  #worst(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  #isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") {
      return this.thresholdMode === "rel" ? a < best * (1 - threshold) : a < best - threshold;
    }
    return this.thresholdMode === "rel" ? a > best * (threshold + 1) : a > best + threshold;
  }
}
