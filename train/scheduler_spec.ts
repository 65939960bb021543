/**
 * `--scheduler` values beyond the original five: a schedule name, optionally followed by
 * options in the constructors' own (camelCase) names — `cosine-restarts:t0=5,tMult=2`,
 * `cyclic:mode=triangular2,stepSizeUp=40`, `polynomial:power=2`, `constant:factor=0.5`.
 * One parser serves the command line and state.json, and builds the scheduler for train/loop.ts.
 */

import { nearestName } from "../tensor/options.ts";
import {
  ConstantLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  type LRScheduler,
  PolynomialLR,
  type SchedulableOptimizer,
} from "../optim/schedulers/mod.ts";

/** The original schedules (train/loop.ts builds them; they take no options). */
const PLAIN = ["none", "step", "cosine", "onecycle", "plateau"] as const;

type Kind = { integer: number } | { min: number; above?: boolean } | readonly string[];

/** Each new schedule's options: an integer ≥ n, a number ≥ min (or > min), or one of some words. */
const OPTIONS = {
  "cosine-restarts": { t0: { integer: 1 }, tMult: { integer: 1 }, etaMin: { min: 0 } },
  cyclic: {
    baseLr: { min: 0 },
    maxLr: { min: 0 },
    stepSizeUp: { integer: 1 },
    stepSizeDown: { integer: 0 },
    mode: ["triangular", "triangular2", "exp_range"],
    gamma: { min: 0, above: true },
  },
  polynomial: { totalIters: { integer: 1 }, power: { min: 0 } },
  constant: { factor: { min: 0, above: true }, totalIters: { integer: 1 } },
} as const satisfies Record<string, Record<string, Kind>>;

/** Every name `--scheduler` accepts, the original five first. */
export const SCHEDULER_NAMES = [...PLAIN, ...Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]];

/** A parsed `--scheduler` value. */
export interface SchedulerSpec {
  name: (typeof SCHEDULER_NAMES)[number];
  options: Record<string, number | string>;
}

/**
 * Parses `name[:key=value,...]`; an unknown name, option or value is an Error whose message
 * reads after the flag's name (`--scheduler: cyclic has no option "stepsize" (did you mean
 * "stepSizeUp"? ...)`). Options are then checked together by building the scheduler once on a
 * stand-in optimizer, so `cyclic:gamma=0.9` (gamma without exp_range) fails here too.
 */
export function parseSchedulerSpec(text: string): SchedulerSpec {
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  if (!(SCHEDULER_NAMES as readonly string[]).includes(name)) {
    throw new Error(`expected one of ${SCHEDULER_NAMES.join(", ")} (options after a colon)`);
  }
  const known = (OPTIONS as Record<string, Record<string, Kind>>)[name] ?? {};
  const options: Record<string, number | string> = {};
  if (colon >= 0) {
    const keys = Object.keys(known);
    if (keys.length === 0) throw new Error(`${name} takes no options`);
    for (const part of text.slice(colon + 1).split(",")) {
      const [key, value, ...rest] = part.split("=");
      if (value === undefined || rest.length > 0 || key === "" || value === "") {
        throw new Error(`expected key=value options after "${name}:", got "${part}"`);
      }
      if (!(key in known)) {
        const near = nearestName(key, keys);
        throw new Error(
          `${name} has no option "${key}" (${
            near === null ? "" : `did you mean "${near}"? `
          }options: ${keys.join(", ")})`,
        );
      }
      if (key in options) throw new Error(`${name}: option "${key}" given twice`);
      options[key] = parseValue(name, key, value, known[key]);
    }
  }
  const spec = { name: name as SchedulerSpec["name"], options };
  if (name in OPTIONS) {
    const standIn = { paramGroups: [{ lr: 0.1, momentum: 0.9 }] };
    buildScheduler(spec, standIn, { epochs: 3, lr: 0.1, stepsPerEpoch: 1, cycleMomentum: false });
  }
  return spec;
}

/** What the run contributes to a schedule's defaults. */
export interface ScheduleContext {
  epochs: number;
  lr: number;
  stepsPerEpoch: number;
  /** Whether CyclicLR cycles the optimizer's momentum (train/loop.ts decides, as for OneCycle). */
  cycleMomentum: boolean;
}

/** A built schedule: when it steps, and whether it was laid out from the run's `epochs`. */
export interface BuiltSchedule {
  timing: "epoch" | "batch";
  scheduler: LRScheduler;
  /** True when a default came from `epochs`, so a resume with other `--epochs` re-lays it. */
  horizon: boolean;
}

/**
 * Builds one of the new schedules (null for the original five):
 * cosine-restarts — CosineAnnealingWarmRestarts per epoch, t0 default ⌈epochs/3⌉;
 * cyclic — CyclicLR per batch between baseLr (default lr/4) and maxLr (default lr),
 * stepSizeUp default two epochs of batches; polynomial — PolynomialLR per epoch,
 * totalIters default epochs; constant — ConstantLR per epoch (PyTorch's defaults).
 */
export function buildScheduler(
  spec: SchedulerSpec,
  optimizer: SchedulableOptimizer,
  run: ScheduleContext,
): BuiltSchedule | null {
  const o = spec.options as Record<string, never>;
  switch (spec.name) {
    case "cosine-restarts": {
      const t0 = o.t0 ?? Math.ceil(run.epochs / 3);
      const scheduler = new CosineAnnealingWarmRestarts(optimizer, t0, {
        tMult: o.tMult,
        etaMin: o.etaMin,
      });
      return { timing: "epoch", scheduler, horizon: o.t0 === undefined };
    }
    case "cyclic": {
      const { baseLr = run.lr / 4, maxLr = run.lr, ...rest } = o;
      const scheduler = new CyclicLR(optimizer, baseLr, maxLr, {
        stepSizeUp: 2 * run.stepsPerEpoch,
        ...rest,
        cycleMomentum: run.cycleMomentum,
      });
      return { timing: "batch", scheduler, horizon: false };
    }
    case "polynomial": {
      const totalIters = o.totalIters ?? run.epochs;
      const scheduler = new PolynomialLR(optimizer, { totalIters, power: o.power });
      return { timing: "epoch", scheduler, horizon: o.totalIters === undefined };
    }
    case "constant":
      return { timing: "epoch", scheduler: new ConstantLR(optimizer, o), horizon: false };
    default:
      return null;
  }
}

function parseValue(name: string, key: string, text: string, kind: Kind): number | string {
  if (isChoice(kind)) {
    if (kind.includes(text)) return text;
    throw new Error(`${name}: ${key} must be one of ${kind.join(", ")}`);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name}: ${key} must be a number`);
  if ("integer" in kind) {
    if (!Number.isInteger(value) || value < kind.integer) {
      throw new Error(`${name}: ${key} must be an integer ≥ ${kind.integer}`);
    }
  } else if (kind.above === true ? !(value > kind.min) : !(value >= kind.min)) {
    throw new Error(`${name}: ${key} must be ${kind.above === true ? ">" : "≥"} ${kind.min}`);
  }
  return value;
}

function isChoice(kind: Kind): kind is readonly string[] {
  return Array.isArray(kind);
}
