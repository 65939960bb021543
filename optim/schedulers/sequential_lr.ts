/** SequentialLR: run schedulers one after another, switching at milestone epochs (e.g. warm-up then cosine). */

import { checkArgumentCount, describe } from "../_options.ts";
import {
  checkOptimizer,
  checkSchedulerState,
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from "./lr_scheduler.ts";

/** `SequentialLR.stateDict()`: its own counters plus each scheduler's state. */
export interface SequentialLRStateDict {
  last_epoch: number;
  _last_lr: number[];
  _schedulers: SchedulerStateDict[];
}

/**
 * Chains schedulers in time (PyTorch's `SequentialLR`): scheduler i drives epochs
 * [milestones[i−1], milestones[i]); at each milestone the next one restarts from its
 * epoch 0 (closed form, i.e. from the groups' `initialLr`). On construction the lrs are
 * reset to `initialLr` and only the first scheduler's initial step is replayed, undoing
 * what the other constructors wrote. Nested SequentialLR and ReduceLROnPlateau are not supported.
 *
 * @example
 * ```ts
 * import { SequentialLR } from "./sequential_lr.ts";
 * import { LinearLR } from "./linear_lr.ts";
 * import { CosineAnnealingLR } from "./cosine_annealing_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const warmup = new LinearLR(optimizer, { startFactor: 0.1, totalIters: 2 });
 * const cosine = new CosineAnnealingLR(optimizer, 8);
 * const scheduler = new SequentialLR(optimizer, [warmup, cosine], [2]);
 * console.log(optimizer.paramGroups[0].lr); // 0.1
 * ```
 */
export class SequentialLR {
  /** The optimizer whose `paramGroups[i].lr` the schedulers write. */
  readonly optimizer: SchedulableOptimizer;
  /** The chained schedulers. */
  readonly schedulers: readonly LRScheduler[];
  /** Switch epochs. */
  readonly milestones: readonly number[];
  /** Epoch counter: 0 after construction, +1 per `step()`. */
  lastEpoch = 0;
  #lastLr: number[];

  /**
   * Checks the arguments and replays the first scheduler's initial step.
   * @param schedulers the schedulers, all on this optimizer, created just before (at least one)
   * @param milestones epochs at which the next scheduler takes over: schedulers.length − 1 increasing integers ≥ 1
   */
  constructor(
    optimizer: SchedulableOptimizer,
    schedulers: readonly LRScheduler[],
    milestones: readonly number[],
  ) {
    const where = "Cannot create SequentialLR";
    checkArgumentCount(where, arguments.length, 3);
    checkOptimizer(optimizer, where);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new TypeError(
        `${where}: schedulers must be a non-empty array of schedulers, got ${
          describe(schedulers)
        } (usage: new SequentialLR(optimizer, schedulers, milestones))`,
      );
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) {
        throw new TypeError(
          `${where}: schedulers[${i}] must be an epoch scheduler (not ReduceLROnPlateau or SequentialLR), got ${
            describe(s)
          }`,
        );
      }
      if (s.optimizer !== optimizer) {
        throw new TypeError(`${where}: schedulers[${i}] belongs to another optimizer`);
      }
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new TypeError(
        `${where}: expected ${
          schedulers.length - 1
        } milestone(s) for ${schedulers.length} schedulers, got ${describe(milestones)}`,
      );
    }
    milestones.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1])) {
        throw new RangeError(
          `${where}: milestones must be increasing integers ≥ 1, got ${describe(milestones)}`,
        );
      }
    });
    this.optimizer = optimizer;
    this.schedulers = Object.freeze([...schedulers]);
    this.milestones = Object.freeze([...milestones]);
    for (const group of optimizer.paramGroups) group.lr = group.initialLr ?? group.lr;
    for (const s of schedulers) s.lastEpoch -= 1;
    schedulers[0].step();
    this.#lastLr = schedulers[0].getLastLr();
  }

  /** Advances one epoch: the active scheduler steps (or restarts at its epoch 0 on a milestone). */
  step(): void {
    // One `undefined` is allowed: a trainer may call every scheduler as `step(metric?)`.
    if (arguments.length > 1 || arguments[0] !== undefined) {
      throw new TypeError(
        `Cannot step SequentialLR: it takes no argument, got ${describe(arguments[0])}`,
      );
    }
    this.lastEpoch += 1;
    const index = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[index];
    if (index > 0 && this.milestones[index - 1] === this.lastEpoch) scheduler.stepTo(0);
    else scheduler.step();
    this.#lastLr = scheduler.getLastLr();
  }

  /** The learning rates the last step wrote, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** `{ last_epoch, _last_lr, _schedulers: [each scheduler's state] }`. */
  stateDict(): SequentialLRStateDict {
    return {
      last_epoch: this.lastEpoch,
      _last_lr: [...this.#lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restores what `stateDict()` saved, into these schedulers. */
  loadStateDict(state: SequentialLRStateDict): void {
    const where = "Cannot load state dict into SequentialLR";
    if (state === null || typeof state !== "object" || !Array.isArray(state._schedulers)) {
      throw new TypeError(
        `${where}: expected { last_epoch, _last_lr, _schedulers }, got ${describe(state)}`,
      );
    }
    if (state._schedulers.length !== this.schedulers.length) {
      throw new TypeError(
        `${where}: the state dict has ${state._schedulers.length} scheduler(s), this SequentialLR ${this.schedulers.length}`,
      );
    }
    const groups = this.optimizer.paramGroups.length;
    checkSchedulerState({ ...state, base_lrs: new Array(groups).fill(0) }, groups, where);
    state._schedulers.forEach((s, i) =>
      checkSchedulerState(s, groups, `${where}: _schedulers[${i}]`)
    );
    state._schedulers.forEach((s, i) => this.schedulers[i].loadStateDict(s));
    this.lastEpoch = state.last_epoch;
    this.#lastLr = [...state._last_lr];
  }
}
