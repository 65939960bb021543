/** ChainedScheduler: step several schedulers together, each acting on the lr the previous one wrote. */

import { checkArgumentCount, checkKnownKeys, describe } from "../_options.ts";
import { checkOptimizer, LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";
import { SequentialLR } from "./sequential_lr.ts";

/** Options of `ChainedScheduler` (PyTorch's `optimizer`). */
export interface ChainedSchedulerOptions {
  /** The optimizer every scheduler must belong to. @default schedulers[0].optimizer */
  optimizer?: SchedulableOptimizer;
}

/** A scheduler ChainedScheduler can hold: any epoch scheduler, SequentialLR or another chain. */
export type ChainableScheduler = LRScheduler | SequentialLR | ChainedScheduler;

/** `ChainedScheduler.stateDict()`: the last lrs and each scheduler's state. */
export interface ChainedSchedulerStateDict {
  _last_lr: number[];
  _schedulers: unknown[];
}

/**
 * Steps every scheduler, in order, on each `step()` (PyTorch's `ChainedScheduler`).
 * Chainable schedulers (those whose `getLr()` scales the current lr: ConstantLR,
 * ExponentialLR, StepLR, MultiplicativeLR...) then compound: e.g. ConstantLR(factor 0.1,
 * totalIters 20) with ExponentialLR(0.9) gives base·0.9^e·0.1 for e < 20, base·0.9^e after.
 * Construction changes nothing (each scheduler already made its initial step).
 * ReduceLROnPlateau cannot be chained (its step needs a metric).
 *
 * @example
 * ```ts
 * import { ChainedScheduler } from "./chained_scheduler.ts";
 * import { ConstantLR } from "./constant_lr.ts";
 * import { ExponentialLR } from "./exponential_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new ChainedScheduler([
 *   new ConstantLR(optimizer, { factor: 0.1, totalIters: 2 }),
 *   new ExponentialLR(optimizer, 0.5),
 * ]);
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.25
 * ```
 */
export class ChainedScheduler {
  /** The optimizer every scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  /** The chained schedulers, stepped in this order. */
  readonly schedulers: readonly ChainableScheduler[];
  #lastLr: number[];

  /**
   * Checks the arguments; the lrs stay as the schedulers' constructors left them.
   * @param schedulers the schedulers, all on one optimizer (at least one)
   */
  constructor(
    schedulers: readonly ChainableScheduler[],
    options: ChainedSchedulerOptions = {},
  ) {
    const where = "Cannot create ChainedScheduler";
    checkArgumentCount(where, arguments.length, 2);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new TypeError(
        `${where}: schedulers must be a non-empty array of schedulers, got ${
          describe(schedulers)
        } (usage: new ChainedScheduler(schedulers, { optimizer }))`,
      );
    }
    checkKnownKeys(options, ["optimizer"], where);
    schedulers.forEach((s, i) => {
      if (
        !(s instanceof LRScheduler || s instanceof SequentialLR || s instanceof ChainedScheduler)
      ) {
        throw new TypeError(
          `${where}: schedulers[${i}] must be an epoch scheduler, SequentialLR or ChainedScheduler (not ReduceLROnPlateau), got ${
            describe(s)
          }`,
        );
      }
    });
    const optimizer: SchedulableOptimizer = options.optimizer ?? schedulers[0].optimizer;
    checkOptimizer(optimizer, where);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new TypeError(`${where}: schedulers[${i}] belongs to another optimizer`);
      }
    });
    this.optimizer = optimizer;
    this.schedulers = Object.freeze([...schedulers]);
    this.#lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** Steps every scheduler once, in order. */
  step(): void {
    // One `undefined` is allowed: a trainer may call every scheduler as `step(metric?)`.
    if (arguments.length > 1 || arguments[0] !== undefined) {
      throw new TypeError(
        `Cannot step ChainedScheduler: it takes no argument, got ${describe(arguments[0])}`,
      );
    }
    for (const s of this.schedulers) s.step();
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  /** The learning rates after the last step, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** `{ _last_lr, _schedulers: [each scheduler's state] }`. */
  stateDict(): ChainedSchedulerStateDict {
    return {
      _last_lr: [...this.#lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restores what `stateDict()` saved, into these schedulers. */
  loadStateDict(state: ChainedSchedulerStateDict): void {
    const where = "Cannot load state dict into ChainedScheduler";
    checkArgumentCount(where, arguments.length, 1);
    if (state === null || typeof state !== "object" || !Array.isArray(state._schedulers)) {
      throw new TypeError(`${where}: expected { _last_lr, _schedulers }, got ${describe(state)}`);
    }
    if (state._schedulers.length !== this.schedulers.length) {
      throw new TypeError(
        `${where}: the state dict has ${state._schedulers.length} scheduler(s), this ChainedScheduler ${this.schedulers.length}`,
      );
    }
    const groups = this.optimizer.paramGroups.length;
    const lastLr = state._last_lr;
    if (
      !Array.isArray(lastLr) || lastLr.length !== groups ||
      lastLr.some((v) => typeof v !== "number")
    ) {
      throw new TypeError(
        `${where}: _last_lr must hold one number per param group (${groups}), got ${
          describe(lastLr)
        }`,
      );
    }
    this.schedulers.forEach((s, i) =>
      (s as { loadStateDict(state: unknown): void }).loadStateDict(state._schedulers[i])
    );
    this.#lastLr = [...lastLr];
  }
}
