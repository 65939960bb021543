/** LambdaLR: the lr is the base lr times a user function of the epoch. */

import { checkArgumentCount } from "../_options.ts";
import {
  callUserFunction,
  loadUserFunctionStates,
  perGroupFunctions,
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
 * A multiplicative factor of the epoch: `(epoch) => number`, or an object with
 * `factor(epoch)` whose own data fields are saved in the scheduler's state dict (as
 * PyTorch saves a callable object's `__dict__`; a plain function saves nothing).
 */
export type LrLambda = UserFunction<"factor">;

/** `LambdaLR.stateDict()` and `MultiplicativeLR.stateDict()`: null per plain function, else its fields. */
export interface LrLambdaStateDict extends SchedulerStateDict {
  lr_lambdas: (Record<string, unknown> | null)[];
}

/**
 * Sets each group's lr to its base lr times `lrLambda(epoch)` (PyTorch's `LambdaLR`):
 * lr(e) = base_lr · lrLambda(e). One function for all groups, or one per group. A factor
 * that is not a finite number is a RangeError naming the function and the epoch.
 *
 * @example
 * ```ts
 * import { LambdaLR } from "./lambda_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 0.1 }] };
 * const scheduler = new LambdaLR(optimizer, (epoch) => 0.5 ** epoch);
 * scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // 0.05
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** One function per param group. */
  readonly lrLambdas: readonly LrLambda[];

  /**
   * Checks the arguments, then performs the initial step (lr ← base_lr · lrLambda(0)).
   * @param lrLambda the factor function, or one per param group (PyTorch's `lr_lambda`)
   */
  constructor(optimizer: SchedulableOptimizer, lrLambda: LrLambda | readonly LrLambda[]) {
    const where = "Cannot create LambdaLR";
    checkArgumentCount(where, arguments.length, 2);
    checkOptimizer(optimizer, where);
    const groups = optimizer.paramGroups.length;
    const lambdas = perGroupFunctions(lrLambda, "factor", groups, "lrLambda", where);
    super(optimizer, where);
    this.lrLambdas = Object.freeze(lambdas);
    this.step();
  }

  /** base_lr · lrLambda(lastEpoch) (PyTorch's `get_lr()`, which is already a closed form). */
  getLr(): number[] {
    return this.lrAt(this.lastEpoch);
  }

  /** Closed form: base_lr · lrLambda(epoch). */
  lrAt(epoch: number): number[] {
    return this.baseLrs.map((base, i) =>
      base *
      callUserFunction(
        this.lrLambdas[i],
        "factor",
        epoch,
        lambdaName(this, i),
        "Cannot step LambdaLR",
      )
    );
  }

  /** The base state plus `lr_lambdas`: null for each plain function, else a copy of its fields. */
  override stateDict(): LrLambdaStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(userFunctionState) };
  }

  /** Restores what `stateDict()` saved, including the fields of object lr lambdas. */
  override loadStateDict(state: LrLambdaStateDict): void {
    const where = "Cannot load state dict into LambdaLR";
    checkArgumentCount(where, arguments.length, 1);
    loadLambdaState(this, this.lrLambdas, state, where);
  }
}

/** "lrLambda" or "lrLambda[i]" when the groups have separate functions. */
export function lambdaName(scheduler: { lrLambdas: readonly LrLambda[] }, i: number): string {
  const shared = scheduler.lrLambdas.every((fn) => fn === scheduler.lrLambdas[0]);
  return shared ? "lrLambda" : `lrLambda[${i}]`;
}

/** Checks everything, then loads the base state and the lambdas' fields (shared by MultiplicativeLR). */
export function loadLambdaState(
  scheduler: LRScheduler,
  lambdas: readonly LrLambda[],
  state: LrLambdaStateDict,
  where: string,
): void {
  if (state === null || typeof state !== "object" || !("lr_lambdas" in state)) {
    throw new TypeError(`${where}: expected a state dict with lr_lambdas`);
  }
  const { lr_lambdas, ...rest } = state;
  checkSchedulerState(rest as SchedulerStateDict, scheduler.optimizer.paramGroups.length, where);
  loadUserFunctionStates(lambdas, lr_lambdas, "lr_lambdas", where);
  LRScheduler.prototype.loadStateDict.call(scheduler, rest as SchedulerStateDict);
}
