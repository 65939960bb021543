/**
 * Internal: the learning-rate schedule as train/loop.ts drives it — `createScheduler` for
 * `--scheduler`, and `relaySchedule`, which lays a schedule over a new total when a resumed
 * run changes `--epochs`.
 */

import { checkArgumentCount } from "../tensor/options.ts";
import {
  CosineAnnealingLR,
  OneCycleLR,
  ReduceLROnPlateau,
  StepLR,
} from "../optim/schedulers/mod.ts";
import type { Trainer } from "./trainer.ts";
import type { LoopState, RunConfig } from "./loop.ts";
import { buildScheduler, parseSchedulerSpec } from "./scheduler_spec.ts";

/** A schedule as the loop drives it: when it steps, and its state for resume. */
export interface LoopScheduler {
  /** "batch": after every step (OneCycle); "epoch": after every epoch; "metric": after every epoch with the test loss. */
  timing: "batch" | "epoch" | "metric" | "never";
  step(metric?: number): void;
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
  /** False when the schedule was not laid out from `epochs` (a resume with other --epochs keeps it). */
  horizon?: boolean;
}

interface SchedulerLike {
  step(metric?: number): void;
  stateDict(): object;
  loadStateDict(state: never): void;
}

function schedule(timing: LoopScheduler["timing"], s: SchedulerLike): LoopScheduler {
  return {
    timing,
    step: (metric) => s.step(metric),
    stateDict: () => s.stateDict(),
    loadStateDict: (state) => s.loadStateDict(state as never),
  };
}

/**
 * Builds the `--scheduler` schedule over the trainer's param groups:
 * step — StepLR, ×0.1 at each third of the run; cosine — CosineAnnealingLR over the run;
 * onecycle — OneCycleLR over every batch of the run, peaking at `lr` (momentum cycled for
 * SGD/RMSprop with momentum, Adam's betas left alone); plateau — ReduceLROnPlateau on the
 * test loss (×0.1 after 2 epochs without improvement).
 */
export function createScheduler(
  trainer: Trainer,
  config: RunConfig,
  stepsPerEpoch: number,
): LoopScheduler {
  checkArgumentCount("Cannot run createScheduler", arguments.length, 3);
  switch (config.scheduler) {
    case "step":
      return schedule(
        "epoch",
        new StepLR(trainer, Math.ceil(config.epochs / 3), { gamma: 0.1 }),
      );
    case "cosine":
      return schedule("epoch", new CosineAnnealingLR(trainer, config.epochs));
    case "onecycle": {
      const cycleMomentum = (config.optimizer === "sgd" || config.optimizer === "rmsprop") &&
        config.momentum > 0;
      const totalSteps = config.epochs * stepsPerEpoch;
      return schedule(
        "batch",
        new OneCycleLR(trainer, config.lr, { totalSteps, cycleMomentum }),
      );
    }
    case "plateau":
      return schedule("metric", new ReduceLROnPlateau(trainer, { patience: 2, factor: 0.1 }));
    default: {
      // The schedules of train/scheduler_spec.ts (cosine-restarts, cyclic, polynomial, constant).
      const built = buildScheduler(parseSchedulerSpec(config.scheduler), trainer, {
        epochs: config.epochs,
        lr: config.lr,
        stepsPerEpoch,
        cycleMomentum: (config.optimizer === "sgd" || config.optimizer === "rmsprop") &&
          config.momentum > 0,
      });
      if (built !== null) {
        return { ...schedule(built.timing, built.scheduler), horizon: built.horizon };
      }
      return { timing: "never", step() {}, stateDict: () => null, loadStateDict() {} };
    }
  }
}

/**
 * A new schedule for a resumed run whose horizon (`--epochs`) changed: the param groups go
 * back to the run's base lr, the scheduler is rebuilt over the new total and stepped as
 * many times as the saved run stepped (per epoch, or per batch for OneCycle), so the next
 * epoch trains at the lr the longer (or shorter) schedule has there, bit for bit as an
 * uninterrupted run of that length would (its stepping replayed, not a closed form).
 */
export function relaySchedule(
  trainer: Trainer,
  config: RunConfig,
  stepsPerEpoch: number,
  saved: LoopState,
): LoopScheduler {
  for (const group of trainer.paramGroups as ({ lr: number } & Record<string, unknown>)[]) {
    group.lr = config.lr;
    delete group.initialLr;
  }
  const scheduler = createScheduler(trainer, config, stepsPerEpoch);
  const taken = scheduler.timing === "batch" ? saved.step : saved.epoch;
  for (let i = 0; i < taken; i++) scheduler.step();
  return scheduler;
}
