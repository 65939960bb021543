/** CyclicLR: cycle the lr between two bounds every stepSizeUp + stepSizeDown steps (per batch). */

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
import {
  callUserFunction,
  checkUserFunction,
  loadUserFunctionStates,
  type UserFunction,
  userFunctionState,
} from "./_callable.ts";
import {
  checkOptimizer,
  checkSchedulerState,
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from "./lr_scheduler.ts";

/**
 * A custom amplitude scale, with 0 ≤ scale(x) ≤ 1 for x ≥ 0: `(x) => number`, or an object
 * with `scale(x)` whose own data fields are saved in the state dict (PyTorch's rule for
 * callable objects; a plain function saves nothing).
 */
export type ScaleFn = UserFunction<"scale">;

/** Options of `CyclicLR` (PyTorch's names, camelCased; same defaults). */
export interface CyclicLROptions {
  /** Steps in the rising half of a cycle (integer ≥ 1). @default 2000 */
  stepSizeUp?: number;
  /** Steps in the falling half (integer ≥ 0). @default stepSizeUp */
  stepSizeDown?: number;
  /** Built-in amplitude policy (not with `scaleFn`). @default "triangular" */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** exp_range's factor: amplitude · gamma^step (only with mode "exp_range"). @default 1 */
  gamma?: number;
  /** Custom amplitude scale, replacing `mode`. */
  scaleFn?: ScaleFn;
  /** What `scaleFn` is given: the cycle number or the step (only with `scaleFn`). @default "cycle" */
  scaleMode?: "cycle" | "iterations";
  /** Also cycle momentum (SGD/RMSprop `momentum`, or Adam-style `betas[0]`) inversely to the lr. @default true */
  cycleMomentum?: boolean;
  /** Momentum at the lr peak, one for all groups or one per group. @default 0.8 */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start of a cycle. @default 0.9 */
  maxMomentum?: number | readonly number[];
}

/** `CyclicLR.stateDict()`: the base state plus the custom scale's fields (PyTorch's `_scale_fn_custom`). */
export interface CyclicLRStateDict extends SchedulerStateDict {
  _scale_fn_custom: Record<string, unknown> | null;
}

const USAGE = "new CyclicLR(optimizer, baseLr, maxLr, { stepSizeUp })";
const builtIn = {
  triangular: { fn: (_x: number) => 1, scaleMode: "cycle" },
  triangular2: { fn: (x: number) => 1 / 2 ** (x - 1), scaleMode: "cycle" },
  exp_range: { fn: (x: number, gamma: number) => gamma ** x, scaleMode: "iterations" },
} as const;

/**
 * Cyclical learning rates (Smith 2017, "Cyclical Learning Rates for Training Neural
 * Networks"), PyTorch's `CyclicLR`; call `step()` after every batch. With s = step,
 * S = stepSizeUp + stepSizeDown, r = stepSizeUp / S:
 *
 * ```text
 * cycle = ⌊1 + s/S⌋;  x = 1 + s/S − cycle
 * f = x ≤ r ? x/r : (x − 1)/(r − 1)                         (0 → 1 → 0 over a cycle)
 * lr = baseLr + (maxLr − baseLr) · f · scale(scaleMode = "cycle" ? cycle : s)
 * momentum = maxMomentum − (maxMomentum − baseMomentum) · f · scale(...)
 * scale: triangular 1; triangular2 1/2^(cycle − 1); exp_range gamma^s; or scaleFn
 * ```
 *
 * The constructor sets each group's lr to `baseLr` (and, with `cycleMomentum`, its momentum
 * or `betas[0]` to `maxMomentum`), as PyTorch does; with SGD that means momentum is on even if
 * the optimizer was created without it. Options PyTorch would silently ignore (`mode` beside
 * `scaleFn`, `scaleMode` without it, `gamma` outside exp_range, momenta without
 * `cycleMomentum`) are errors here.
 *
 * @example
 * ```ts
 * import { CyclicLR } from "./cyclic_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1, momentum: 0.9 }] };
 * const scheduler = new CyclicLR(optimizer, 0.1, 0.5, { stepSizeUp: 2 });
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // ≈ 0.3
 * console.log(optimizer.paramGroups[0].momentum); // ≈ 0.85
 * ```
 */
export class CyclicLR extends LRScheduler {
  /** Upper lr bound of each group. */
  readonly maxLrs: readonly number[];
  /** Steps in a whole cycle (PyTorch's `total_size`). */
  readonly totalSize: number;
  /** Fraction of the cycle spent rising (PyTorch's `step_ratio`). */
  readonly stepRatio: number;
  /** The built-in policy (unused with `scaleFn`). */
  readonly mode: "triangular" | "triangular2" | "exp_range";
  /** exp_range's factor. */
  readonly gamma: number;
  /** The custom scale, if any. */
  readonly scaleFn: ScaleFn | undefined;
  /** What the scale is evaluated on. */
  readonly scaleMode: "cycle" | "iterations";
  /** Whether momentum/betas[0] is cycled. */
  readonly cycleMomentum: boolean;
  /** Per group: momentum at the lr peak, and at the cycle's start. */
  readonly baseMomentums: readonly number[];
  readonly maxMomentums: readonly number[];
  readonly #useBeta1: boolean;

  /**
   * Checks the arguments, sets each group's lr (and momentum), then performs the initial step.
   * @param baseLr lower lr bound, one for all groups or one per group (PyTorch's `base_lr`)
   * @param maxLr upper lr bound, one for all groups or one per group (PyTorch's `max_lr`)
   */
  constructor(
    optimizer: SchedulableOptimizer,
    baseLr: number | readonly number[],
    maxLr: number | readonly number[],
    options: CyclicLROptions = {},
  ) {
    const where = "Cannot create CyclicLR";
    checkArgumentCount(where, arguments.length, 4);
    for (const [name, value] of [["baseLr", baseLr], ["maxLr", maxLr]] as const) {
      if (typeof value !== "number" && !Array.isArray(value)) {
        throw new TypeError(
          `${where}: ${name} must be a number or one number per param group, got ${
            describe(value)
          } (usage: ${USAGE})`,
        );
      }
    }
    checkKnownKeys(options, [
      "stepSizeUp",
      "stepSizeDown",
      "mode",
      "gamma",
      "scaleFn",
      "scaleMode",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
    ], where);
    checkOptimizer(optimizer, where);
    const o = options as Record<string, unknown>;
    const groups = optimizer.paramGroups.length;
    const baseLrs = perGroupOption({ baseLr }, "baseLr", where, groups);
    const maxLrs = perGroupOption({ maxLr }, "maxLr", where, groups);
    [...baseLrs, ...maxLrs].forEach((lr) => {
      if (!(lr >= 0)) throw new RangeError(`${where}: baseLr and maxLr must be ≥ 0, got ${lr}`);
    });
    const up = integerOption(o, "stepSizeUp", where, 1, 2000);
    const down = integerOption(o, "stepSizeDown", where, 0, up);

    const scaleFn = o.scaleFn as ScaleFn | undefined;
    if (scaleFn !== undefined) {
      checkUserFunction(scaleFn, "scale", "scaleFn", where);
      if (o.mode !== undefined) {
        throw new TypeError(`${where}: give mode or scaleFn, not both (PyTorch ignores mode then)`);
      }
    } else if (o.scaleMode !== undefined) {
      throw new TypeError(
        `${where}: scaleMode applies to scaleFn only (the built-in modes fix it); give scaleFn or drop scaleMode`,
      );
    }
    const mode = choiceOption(
      o,
      "mode",
      where,
      ["triangular", "triangular2", "exp_range"] as const,
      "triangular",
    );
    if (o.gamma !== undefined && (scaleFn !== undefined || mode !== "exp_range")) {
      throw new TypeError(`${where}: gamma applies to mode "exp_range" only`);
    }
    const gamma = numberOption(o, "gamma", where, 1);
    if (!(gamma > 0)) throw new RangeError(`${where}: gamma must be > 0, got ${gamma}`);
    const scaleMode = scaleFn !== undefined
      ? choiceOption(o, "scaleMode", where, ["cycle", "iterations"] as const, "cycle")
      : builtIn[mode].scaleMode;

    const cycleMomentum = booleanOption(o, "cycleMomentum", where, true);
    const first = optimizer.paramGroups[0];
    const useBeta1 = "betas" in first;
    if (cycleMomentum && !useBeta1 && !("momentum" in first)) {
      throw new TypeError(
        `${where}: cycleMomentum needs an optimizer with momentum or betas (e.g. SGD, Adam); pass cycleMomentum: false`,
      );
    }
    if (!cycleMomentum && (o.baseMomentum !== undefined || o.maxMomentum !== undefined)) {
      throw new TypeError(`${where}: baseMomentum and maxMomentum need cycleMomentum: true`);
    }
    const baseMomentums = perGroupOption(o, "baseMomentum", where, groups, 0.8);
    const maxMomentums = perGroupOption(o, "maxMomentum", where, groups, 0.9);
    [...baseMomentums, ...maxMomentums].forEach((m) => {
      // Adam's betas[0] must stay below 1; a momentum ≥ 1 is refused alike.
      if (!(m >= 0 && m < 1)) {
        throw new RangeError(`${where}: baseMomentum and maxMomentum must be in [0, 1), got ${m}`);
      }
    });

    optimizer.paramGroups.forEach((group, i) => {
      group.lr = baseLrs[i];
      if (!cycleMomentum) return;
      if (useBeta1) group.betas = [maxMomentums[i], ...(group.betas ?? []).slice(1)];
      else group.momentum = maxMomentums[i];
    });
    super(optimizer, where);
    this.baseLrs = baseLrs;
    this.maxLrs = Object.freeze(maxLrs);
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleFn = scaleFn;
    this.scaleMode = scaleMode;
    this.cycleMomentum = cycleMomentum;
    this.baseMomentums = Object.freeze(baseMomentums);
    this.maxMomentums = Object.freeze(maxMomentums);
    this.#useBeta1 = useBeta1;
    this.step();
  }

  /** The lrs at step `lastEpoch` (PyTorch's `get_lr()`); with cycleMomentum also writes each group's momentum. */
  getLr(): number[] {
    const s = this.lastEpoch;
    const cycle = Math.floor(1 + s / this.totalSize);
    const x = 1 + s / this.totalSize - cycle;
    const f = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === "cycle" ? cycle : s;
    // One scale call per group for the lrs, then per group for the momenta, as PyTorch
    // calls it (a stateful scaleFn object sees the same calls).
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * f * this.#scale(at));
    if (this.cycleMomentum) {
      const momentums = this.maxMomentums.map((max, i) =>
        max - (max - this.baseMomentums[i]) * f * this.#scale(at)
      );
      this.optimizer.paramGroups.forEach((group, i) => {
        if (this.#useBeta1) group.betas = [momentums[i], ...(group.betas ?? []).slice(1)];
        else group.momentum = momentums[i];
      });
    }
    return lrs;
  }

  /** The base state plus `_scale_fn_custom`: null without scaleFn or for a plain function, else its fields. */
  override stateDict(): CyclicLRStateDict {
    return {
      ...super.stateDict(),
      _scale_fn_custom: this.scaleFn === undefined ? null : userFunctionState(this.scaleFn),
    };
  }

  /** Restores what `stateDict()` saved, including the fields of a scaleFn object. */
  override loadStateDict(state: CyclicLRStateDict): void {
    const where = "Cannot load state dict into CyclicLR";
    checkArgumentCount(where, arguments.length, 1);
    if (state === null || typeof state !== "object" || !("_scale_fn_custom" in state)) {
      throw new TypeError(`${where}: expected a state dict with _scale_fn_custom`);
    }
    const { _scale_fn_custom: custom, ...rest } = state;
    checkSchedulerState(rest as SchedulerStateDict, this.optimizer.paramGroups.length, where);
    if (this.scaleFn === undefined) {
      if (custom !== null) {
        throw new TypeError(
          `${where}: _scale_fn_custom holds saved fields but this CyclicLR has no scaleFn`,
        );
      }
    } else {
      loadUserFunctionStates([this.scaleFn], [custom], "_scale_fn_custom", where);
    }
    super.loadStateDict(rest as SchedulerStateDict);
  }

  #scale(x: number): number {
    if (this.scaleFn !== undefined) {
      return callUserFunction(this.scaleFn, "scale", x, "scaleFn", "Cannot step CyclicLR");
    }
    return builtIn[this.mode].fn(x, this.gamma);
  }
}
