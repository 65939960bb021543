/** OneCycleLR: the 1cycle policy — warm up to maxLr, then anneal far below the start (per batch). */

import {
  booleanOption,
  checkArgumentCount,
  checkKnownKeys,
  choiceOption,
  describe,
  integerOption,
  numberOption,
  perGroupOption,
} from "../_options.ts";
import { checkOptimizer, LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/** Options of `OneCycleLR` (PyTorch's names, camelCased; same defaults). */
export interface OneCycleLROptions {
  /** Number of `step()` calls in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs (with `stepsPerEpoch`, when `totalSteps` is not given). */
  epochs?: number;
  /** Steps per epoch (with `epochs`). */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr, in [0, 1]. @default 0.3 */
  pctStart?: number;
  /** Shape of each phase. @default "cos" */
  annealStrategy?: "cos" | "linear";
  /** Also cycle momentum (SGD/RMSprop `momentum`, or Adam-style `betas[0]`) inversely to the lr. @default true */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak. @default 0.85 */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start and end. @default 0.95 */
  maxMomentum?: number | readonly number[];
  /** initial lr = maxLr / divFactor. @default 25 */
  divFactor?: number;
  /** final lr = initial lr / finalDivFactor. @default 1e4 */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial lr, then to the final lr) as fastai's original. @default false */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: "initial" | "max" | "min";
  endLr: "initial" | "max" | "min";
  startMomentum: "base" | "max";
  endMomentum: "base" | "max";
}

const anneal = {
  cos: (start: number, end: number, pct: number) =>
    end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1),
  linear: (start: number, end: number, pct: number) => (end - start) * pct + start,
};

/**
 * The 1cycle policy (Smith & Topin 2018, "Super-Convergence"), PyTorch's `OneCycleLR`;
 * call `step()` after every batch. With s = step, T = totalSteps, p = pctStart and
 * initial = maxLr/divFactor, min = initial/finalDivFactor (two phases):
 *
 * ```text
 * s ≤ pT − 1:  lr = anneal(initial → maxLr, s / (pT − 1))
 * later:       lr = anneal(maxLr → min, (s − (pT − 1)) / (T − 1 − (pT − 1)))
 * anneal cos:  end + (start − end)/2 · (1 + cos(π·pct))      linear: start + (end − start)·pct
 * ```
 *
 * With `cycleMomentum` (PyTorch's default) the group's `momentum` (or `betas[0]`) moves
 * the opposite way between maxMomentum and baseMomentum; that is the one case where a
 * scheduler writes more than `lr`. Stepping past `totalSteps` is a RangeError.
 *
 * @example
 * ```ts
 * import { OneCycleLR } from "./one_cycle_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 0.1, momentum: 0.9 }] };
 * const scheduler = new OneCycleLR(optimizer, 1, { totalSteps: 10 });
 * console.log(optimizer.paramGroups[0].lr); // ≈ 0.04 (maxLr / divFactor)
 * ```
 */
export class OneCycleLR extends LRScheduler {
  /** Number of steps in the cycle. */
  readonly totalSteps: number;
  /** Phase shape. */
  readonly annealStrategy: "cos" | "linear";
  /** Whether momentum/betas[0] is cycled. */
  readonly cycleMomentum: boolean;
  /** Per group: initial, peak and final lr; base and max momentum. */
  readonly initialLrs: number[];
  readonly maxLrs: number[];
  readonly minLrs: number[];
  readonly baseMomentums: number[];
  readonly maxMomentums: number[];
  readonly #phases: Phase[];
  readonly #useBeta1: boolean;

  /** Checks the options, sets each group's initial lr (and momentum), then performs the initial step. */
  constructor(
    optimizer: SchedulableOptimizer,
    maxLr: number | readonly number[],
    options: OneCycleLROptions = {},
  ) {
    const where = "Cannot create OneCycleLR";
    checkArgumentCount(where, arguments.length, 3);
    if (typeof maxLr !== "number" && !Array.isArray(maxLr)) {
      throw new TypeError(
        `${where}: maxLr must be a number or one number per param group, got ${
          describe(maxLr)
        } (usage: new OneCycleLR(optimizer, maxLr, { totalSteps }))`,
      );
    }
    checkKnownKeys(options, [
      "totalSteps",
      "epochs",
      "stepsPerEpoch",
      "pctStart",
      "annealStrategy",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
      "divFactor",
      "finalDivFactor",
      "threePhase",
    ], where);
    checkOptimizer(optimizer, where);
    const o = options as Record<string, unknown>;
    let totalSteps: number;
    if (o.totalSteps !== undefined) {
      totalSteps = integerOption(o, "totalSteps", where, 1);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      totalSteps = integerOption(o, "epochs", where, 1) *
        integerOption(o, "stepsPerEpoch", where, 1);
    } else {
      throw new TypeError(`${where}: give totalSteps, or both epochs and stepsPerEpoch`);
    }
    const pctStart = numberOption(o, "pctStart", where, 0.3);
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new RangeError(`${where}: pctStart must be in [0, 1], got ${pctStart}`);
    }
    const annealStrategy = choiceOption(
      o,
      "annealStrategy",
      where,
      ["cos", "linear"] as const,
      "cos",
    );
    const cycleMomentum = booleanOption(o, "cycleMomentum", where, true);
    const divFactor = numberOption(o, "divFactor", where, 25);
    const finalDivFactor = numberOption(o, "finalDivFactor", where, 1e4);
    if (!(divFactor > 0)) throw new RangeError(`${where}: divFactor must be > 0, got ${divFactor}`);
    if (!(finalDivFactor > 0)) {
      throw new RangeError(`${where}: finalDivFactor must be > 0, got ${finalDivFactor}`);
    }
    const threePhase = booleanOption(o, "threePhase", where, false);
    const groups = optimizer.paramGroups.length;
    const maxLrs = perGroupOption({ maxLr }, "maxLr", where, groups);
    maxLrs.forEach((lr) => {
      if (!(lr >= 0)) throw new RangeError(`${where}: maxLr must be ≥ 0, got ${lr}`);
    });
    const baseMomentums = perGroupOption(o, "baseMomentum", where, groups, 0.85);
    const maxMomentums = perGroupOption(o, "maxMomentum", where, groups, 0.95);
    const first = optimizer.paramGroups[0];
    const useBeta1 = "betas" in first;
    if (cycleMomentum && !useBeta1 && !("momentum" in first)) {
      throw new TypeError(
        `${where}: cycleMomentum needs an optimizer with momentum or betas (e.g. SGD, Adam); pass cycleMomentum: false`,
      );
    }

    const up = pctStart * totalSteps - 1;
    const phases: Phase[] = threePhase
      ? [
        {
          endStep: up,
          startLr: "initial",
          endLr: "max",
          startMomentum: "max",
          endMomentum: "base",
        },
        {
          endStep: 2 * pctStart * totalSteps - 2,
          startLr: "max",
          endLr: "initial",
          startMomentum: "base",
          endMomentum: "max",
        },
        {
          endStep: totalSteps - 1,
          startLr: "initial",
          endLr: "min",
          startMomentum: "max",
          endMomentum: "max",
        },
      ]
      : [
        {
          endStep: up,
          startLr: "initial",
          endLr: "max",
          startMomentum: "max",
          endMomentum: "base",
        },
        {
          endStep: totalSteps - 1,
          startLr: "max",
          endLr: "min",
          startMomentum: "base",
          endMomentum: "max",
        },
      ];
    phases.forEach((phase, i) => {
      // PyTorch divides by the phase length: a zero-length phase is a ZeroDivisionError there.
      if (phase.endStep === (i === 0 ? 0 : phases[i - 1].endStep)) {
        throw new RangeError(
          `${where}: phase ${
            i + 1
          } of the cycle is empty (pctStart ${pctStart}, totalSteps ${totalSteps}); change either`,
        );
      }
    });
    const initialLrs = maxLrs.map((lr) => lr / divFactor);
    // PyTorch overwrites initial_lr here (not only when unset), so base_lrs are maxLr/divFactor.
    optimizer.paramGroups.forEach((group, i) => {
      group.initialLr = initialLrs[i];
    });
    super(optimizer, where);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.initialLrs = initialLrs;
    this.maxLrs = maxLrs;
    this.minLrs = initialLrs.map((lr) => lr / finalDivFactor);
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.#useBeta1 = useBeta1;
    this.#phases = phases;
    this.step();
  }

  /** lr of every group at `lastEpoch`; with cycleMomentum also writes each group's momentum (or betas[0]). */
  getLr(): number[] {
    const { lrs, momentums } = this.#at(this.lastEpoch);
    this.#writeMomentums(momentums);
    return lrs;
  }

  /**
   * Jumps to `step` (`step(epoch)`, or SequentialLR's restart): PyTorch's OneCycleLR has no
   * closed form there and runs `get_lr()`, so the momentum follows the jump as well.
   */
  override stepTo(step: number): void {
    super.stepTo(step);
    this.#writeMomentums(this.#at(step).momentums);
  }

  /** Closed form: the lr of every group at `step` (no side effects). */
  lrAt(step: number): number[] {
    return this.#at(step).lrs;
  }

  #writeMomentums(momentums: number[]): void {
    if (!this.cycleMomentum) return;
    this.optimizer.paramGroups.forEach((group, i) => {
      if (this.#useBeta1) group.betas = [momentums[i], ...(group.betas ?? []).slice(1)];
      else group.momentum = momentums[i];
    });
  }

  #at(step: number): { lrs: number[]; momentums: number[] } {
    if (step > this.totalSteps) {
      throw new RangeError(
        `Cannot step OneCycleLR: tried to step ${step} times; totalSteps is ${this.totalSteps} (create it with more steps or epochs)`,
      );
    }
    const lrs: number[] = [];
    const momentums: number[] = [];
    const f = anneal[this.annealStrategy];
    for (let g = 0; g < this.initialLrs.length; g++) {
      const lr = { initial: this.initialLrs[g], max: this.maxLrs[g], min: this.minLrs[g] };
      const momentum = { base: this.baseMomentums[g], max: this.maxMomentums[g] };
      let startStep = 0;
      for (let i = 0; i < this.#phases.length; i++) {
        const phase = this.#phases[i];
        if (step <= phase.endStep || i === this.#phases.length - 1) {
          const pct = (step - startStep) / (phase.endStep - startStep);
          lrs.push(f(lr[phase.startLr], lr[phase.endLr], pct));
          momentums.push(f(momentum[phase.startMomentum], momentum[phase.endMomentum], pct));
          break;
        }
        startStep = phase.endStep;
      }
    }
    return { lrs, momentums };
  }
}
