/** LRScheduler: the base of epoch-indexed learning-rate schedulers (PyTorch's torch.optim.lr_scheduler.LRScheduler). */

import { checkArgumentCount, describe } from "../_options.ts";

/** What a scheduler reads and writes in a param group: `lr`, PyTorch's `initial_lr`, and the momentum OneCycleLR and CyclicLR cycle. */
export interface SchedulerParamGroup {
  /** Current learning rate; the only value most schedulers write. */
  lr: number;
  /** The lr schedules start from (PyTorch's `initial_lr`); the first scheduler sets it. */
  initialLr?: number;
  /** SGD/RMSprop momentum (OneCycleLR and CyclicLR may cycle it). */
  momentum?: number;
  /** Adam-style betas (OneCycleLR and CyclicLR may cycle betas[0]). */
  betas?: readonly number[];
}

/** Anything with param groups: every `Optimizer`, or a parallel trainer exposing the same `paramGroups`. */
export interface SchedulableOptimizer {
  /** Param groups; schedulers write `paramGroups[i].lr`. */
  readonly paramGroups: SchedulerParamGroup[];
}

/** A scheduler's state dict: PyTorch's key names, JSON-serializable. */
export interface SchedulerStateDict {
  /** Number of `step()` calls after the initial one (0 right after construction). */
  last_epoch: number;
  /** Learning rates at epoch 0 (each group's `initialLr`). */
  base_lrs: number[];
  /** Learning rates written by the last step. */
  _last_lr: number[];
  [key: string]: unknown;
}

/**
 * The base of epoch-indexed schedulers. A scheduler only writes `paramGroups[i].lr`
 * (it never wraps `optimizer.step`). As PyTorch, the constructor performs the initial
 * step (`lastEpoch` 0, lr of epoch 0 written); then call `step()` once per epoch (or
 * per batch, as the schedule is meant), after `optimizer.step()`.
 *
 * `step()` uses `getLr()`, PyTorch's chainable form (it derives the new lr from the
 * group's current lr, so schedulers can be combined exactly as PyTorch combines them);
 * subclasses with a closed form also offer `lrAt(epoch)`, which depends on the base lrs only.
 *
 * The first scheduler on an optimizer records each group's lr as `initialLr`; later
 * schedulers start from that value (PyTorch's `initial_lr`), which SequentialLR relies on.
 */
export abstract class LRScheduler {
  /** The optimizer whose `paramGroups[i].lr` this scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  /** Each group's lr at epoch 0 (its `initialLr`). */
  baseLrs: number[];
  /** Epoch counter: 0 after construction, +1 per `step()`. */
  lastEpoch = -1;
  #lastLr: number[] = [];

  /**
   * Records the base lrs; subclasses validate their options, then call `this.step()`
   * (the initial step) at the end of their constructor.
   */
  constructor(optimizer: SchedulableOptimizer, where: string) {
    checkOptimizer(optimizer, where);
    this.optimizer = optimizer;
    for (const group of optimizer.paramGroups) {
      if (group.initialLr === undefined) group.initialLr = group.lr;
    }
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
  }

  /** The lr of each group for `lastEpoch`, from the current lrs (PyTorch's `get_lr()`). */
  abstract getLr(): number[];

  /**
   * Advances one epoch and writes the new lr into every param group. With `epoch`
   * (PyTorch's deprecated `step(epoch)`), jumps there instead, as `stepTo(epoch)`.
   */
  step(epoch?: number): void {
    checkArgumentCount(`Cannot step ${this.constructor.name}`, arguments.length, 1);
    if (epoch !== undefined) {
      this.stepTo(epoch);
      return;
    }
    this.lastEpoch += 1;
    this.writeLrs(this.getLr());
  }

  /**
   * Jumps to `epoch` and writes its lr: the closed form `lrAt(epoch)` when the
   * scheduler has one, else `getLr()` (PyTorch's `step(epoch)`). SequentialLR uses it.
   */
  stepTo(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new RangeError(
        `Cannot step ${this.constructor.name}: epoch must be an integer ≥ 0, got ${
          describe(epoch)
        }`,
      );
    }
    this.lastEpoch = epoch;
    const closed = (this as { lrAt?: (epoch: number) => number[] }).lrAt;
    this.writeLrs(closed !== undefined ? closed.call(this, epoch) : this.getLr());
  }

  /** The learning rates the last step wrote, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** `{ last_epoch, base_lrs, _last_lr }` plus subclass state. Options are not saved: rebuild with the same ones. */
  stateDict(): SchedulerStateDict {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _last_lr: [...this.#lastLr] };
  }

  /** Restores what `stateDict()` saved (the optimizer's own state dict restores the current lrs). */
  loadStateDict(state: SchedulerStateDict): void {
    const where = `Cannot load state dict into ${this.constructor.name}`;
    checkArgumentCount(where, arguments.length, 1);
    const groups = this.optimizer.paramGroups.length;
    checkSchedulerState(state, groups, where);
    this.lastEpoch = state.last_epoch;
    this.baseLrs = [...state.base_lrs];
    this.#lastLr = [...state._last_lr];
  }

  /** Writes `lrs` into the param groups and records them as the last lrs (for subclasses' own `step`). */
  protected writeLrs(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i];
    });
    this.#lastLr = [...lrs];
  }
}

/** TypeError unless `optimizer` has at least one param group with a numeric lr. */
export function checkOptimizer(optimizer: SchedulableOptimizer, where: string): void {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(
      `${where}: expected an optimizer with paramGroups, got ${describe(optimizer)}`,
    );
  }
  groups.forEach((group, i) => {
    if (typeof group?.lr !== "number") {
      throw new TypeError(`${where}: param group ${i} has no numeric lr`);
    }
  });
}

/** TypeError unless `state` has `last_epoch` and `groups`-long `base_lrs` and `_last_lr`. */
export function checkSchedulerState(
  state: SchedulerStateDict,
  groups: number,
  where: string,
): void {
  if (state === null || typeof state !== "object") {
    throw new TypeError(`${where}: expected a state dict, got ${describe(state)}`);
  }
  if (!Number.isInteger(state.last_epoch)) {
    throw new TypeError(
      `${where}: last_epoch must be an integer, got ${describe(state.last_epoch)}`,
    );
  }
  for (const key of ["base_lrs", "_last_lr"] as const) {
    const value = state[key];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) {
      throw new TypeError(`${where}: ${key} must be an array of numbers, got ${describe(value)}`);
    }
    if (value.length !== groups) {
      throw new TypeError(
        `${where}: ${key} has ${value.length} value(s) but the optimizer has ${groups} param group(s)`,
      );
    }
  }
}
