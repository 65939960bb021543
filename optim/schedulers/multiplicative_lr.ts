/** MultiplicativeLR: each epoch multiplies the lr by a user function of the epoch. */

import { checkArgumentCount } from "../_options.ts";
import { callUserFunction, perGroupFunctions, userFunctionState } from "./_callable.ts";
import { lambdaName, loadLambdaState, type LrLambda, type LrLambdaStateDict } from "./lambda_lr.ts";
import { checkOptimizer, LRScheduler, type SchedulableOptimizer } from "./lr_scheduler.ts";

/**
 * Multiplies each group's lr by `lrLambda(epoch)` at every step (PyTorch's
 * `MultiplicativeLR`): lr(0) = lr, lr(e) = lr(e − 1) · lrLambda(e). It has no closed form:
 * it compounds whatever the lr is, so it chains with other schedulers. One function for
 * all groups, or one per group; objects with `factor(epoch)` have their fields saved.
 *
 * @example
 * ```ts
 * import { MultiplicativeLR } from "./multiplicative_lr.ts";
 * const optimizer = { paramGroups: [{ lr: 1 }] };
 * const scheduler = new MultiplicativeLR(optimizer, () => 0.9);
 * scheduler.step(); scheduler.step();
 * console.log(optimizer.paramGroups[0].lr); // ≈ 0.81
 * ```
 */
export class MultiplicativeLR extends LRScheduler {
  /** One function per param group. */
  readonly lrLambdas: readonly LrLambda[];

  /**
   * Checks the arguments, then performs the initial step (the lrs stay as they are).
   * @param lrLambda the factor function, or one per param group (PyTorch's `lr_lambda`)
   */
  constructor(optimizer: SchedulableOptimizer, lrLambda: LrLambda | readonly LrLambda[]) {
    const where = "Cannot create MultiplicativeLR";
    checkArgumentCount(where, arguments.length, 2);
    checkOptimizer(optimizer, where);
    const groups = optimizer.paramGroups.length;
    const lambdas = perGroupFunctions(lrLambda, "factor", groups, "lrLambda", where);
    super(optimizer, where);
    this.lrLambdas = Object.freeze(lambdas);
    this.step();
  }

  /** Chainable form: lr · lrLambda(lastEpoch), the lr unchanged at epoch 0. */
  getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((group) => group.lr);
    return groups.map((group, i) =>
      group.lr *
      callUserFunction(
        this.lrLambdas[i],
        "factor",
        this.lastEpoch,
        lambdaName(this, i),
        "Cannot step MultiplicativeLR",
      )
    );
  }

  /** The base state plus `lr_lambdas`: null for each plain function, else a copy of its fields. */
  override stateDict(): LrLambdaStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(userFunctionState) };
  }

  /** Restores what `stateDict()` saved, including the fields of object lr lambdas. */
  override loadStateDict(state: LrLambdaStateDict): void {
    const where = "Cannot load state dict into MultiplicativeLR";
    checkArgumentCount(where, arguments.length, 1);
    loadLambdaState(this, this.lrLambdas, state, where);
  }
}
