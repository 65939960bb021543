/** CosineAnnealingWarmRestarts: cosine decay from the base lr to etaMin, restarting every T_i epochs (SGDR). */

import {
  checkArgumentCount,
  checkKnownKeys,
  describe,
  integerArgument,
  integerOption,
  numberOption,
} from "../_options.ts";
import {
  checkSchedulerState,
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from "./lr_scheduler.ts";

/** Options of `CosineAnnealingWarmRestarts` (PyTorch's `T_mult`, `eta_min`). */
export interface CosineAnnealingWarmRestartsOptions {
  /** Factor by which the period grows after each restart (integer ≥ 1). @default 1 */
  tMult?: number;
  /** Minimum learning rate. @default 0 */
  etaMin?: number;
}

/** `CosineAnnealingWarmRestarts.stateDict()`: the base state plus the position in the current period. */
export interface CosineAnnealingWarmRestartsStateDict extends SchedulerStateDict {
  /** Epochs since the last restart (fractional after `step(epoch)` with a fractional epoch). */
  T_cur: number;
  /** Length of the current period. */
  T_i: number;
}

/**
 * SGDR (Loshchilov & Hutter 2017, "SGDR: Stochastic Gradient Descent with Warm
 * Restarts"), PyTorch's `CosineAnnealingWarmRestarts`:
 *
 * ```text
 * lr = etaMin + (base_lr − etaMin) · (1 + cos(π · T_cur / T_i)) / 2
 * step():       T_cur ← T_cur + 1; if T_cur ≥ T_i: T_cur ← T_cur − T_i, T_i ← T_i · tMult
 * step(epoch):  epoch < t0: T_i = t0, T_cur = epoch
 *               tMult = 1:  T_cur = epoch mod t0
 *               else:       n = ⌊log_tMult(epoch/t0 · (tMult − 1) + 1)⌋,
 *                           T_cur = epoch − t0·(tMult^n − 1)/(tMult − 1), T_i = t0 · tMult^n
 * ```
 *
 * `step(epoch)` takes a fractional epoch, so the schedule can move per batch:
 * `scheduler.step(epoch + i / batchesPerEpoch)`; `lastEpoch` becomes ⌊epoch⌋ and a later
 * `step()` continues from there, as PyTorch.
 *
 * @example
 * ```ts
 * import { CosineAnnealingWarmRestarts } from "./cosine_annealing_warm_restarts.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new CosineAnnealingWarmRestarts(optimizer, 2);
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // ≈ 0.5
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 1 (restart)
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Length of the first period in epochs (PyTorch's `T_0`). */
  readonly t0: number;
  /** Growth factor of the period after each restart. */
  readonly tMult: number;
  /** Minimum learning rate. */
  readonly etaMin: number;
  /** Length of the current period (PyTorch's `T_i`). */
  tI: number;
  /** Epochs since the last restart, maybe fractional (PyTorch's `T_cur`). */
  tCur = -1;

  /**
   * Checks the arguments, then performs the initial step (epoch 0, lr = base lr).
   * @param t0 epochs until the first restart (PyTorch's `T_0`, integer ≥ 1)
   */
  constructor(
    optimizer: SchedulableOptimizer,
    t0: number,
    options: CosineAnnealingWarmRestartsOptions = {},
  ) {
    const where = "Cannot create CosineAnnealingWarmRestarts";
    checkArgumentCount(where, arguments.length, 3);
    checkKnownKeys(options, ["tMult", "etaMin"], where);
    const first = integerArgument(
      t0,
      "t0",
      where,
      1,
      "new CosineAnnealingWarmRestarts(optimizer, t0, { tMult, etaMin })",
    );
    const o = options as Record<string, unknown>;
    const tMult = integerOption(o, "tMult", where, 1, 1);
    const etaMin = numberOption(o, "etaMin", where, 0);
    if (etaMin < 0) throw new RangeError(`${where}: etaMin must be ≥ 0, got ${etaMin}`);
    super(optimizer, where);
    this.t0 = first;
    this.tI = first;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.step();
  }

  /** etaMin + (base_lr − etaMin)·(1 + cos(π·T_cur/T_i))/2 (PyTorch's `get_lr()`). */
  getLr(): number[] {
    const c = (1 + Math.cos((Math.PI * this.tCur) / this.tI)) / 2;
    return this.baseLrs.map((base) => this.etaMin + (base - this.etaMin) * c);
  }

  /**
   * Advances one epoch, or jumps to `epoch` (fractional allowed, ≥ 0), and writes the lrs.
   * See the class doc for how T_cur and T_i follow.
   */
  override step(epoch?: number): void {
    const where = "Cannot step CosineAnnealingWarmRestarts";
    checkArgumentCount(where, arguments.length, 1);
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur % this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (typeof epoch !== "number" || !Number.isFinite(epoch) || epoch < 0) {
        throw new RangeError(`${where}: epoch must be a finite number ≥ 0, got ${describe(epoch)}`);
      }
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = epoch % this.t0;
        } else {
          const n = Math.trunc(
            Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult),
          );
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this.writeLrs(this.getLr());
  }

  /** Jumps to `epoch` as `step(epoch)` does (SequentialLR restarts it with `stepTo(0)`). */
  override stepTo(epoch: number): void {
    this.step(epoch);
  }

  /** The base state plus `T_cur` and `T_i`. */
  override stateDict(): CosineAnnealingWarmRestartsStateDict {
    return { ...super.stateDict(), T_cur: this.tCur, T_i: this.tI };
  }

  /** Restores what `stateDict()` saved. */
  override loadStateDict(state: CosineAnnealingWarmRestartsStateDict): void {
    const where = "Cannot load state dict into CosineAnnealingWarmRestarts";
    checkArgumentCount(where, arguments.length, 1);
    checkSchedulerState(state, this.optimizer.paramGroups.length, where);
    if (typeof state.T_cur !== "number" || !(state.T_cur >= 0 && Number.isFinite(state.T_cur))) {
      throw new TypeError(
        `${where}: T_cur must be a finite number ≥ 0, got ${describe(state.T_cur)}`,
      );
    }
    if (!Number.isInteger(state.T_i) || state.T_i < 1) {
      throw new TypeError(`${where}: T_i must be an integer ≥ 1, got ${describe(state.T_i)}`);
    }
    super.loadStateDict(state);
    this.tCur = state.T_cur;
    this.tI = state.T_i;
  }
}
