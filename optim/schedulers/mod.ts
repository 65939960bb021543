/** Learning-rate schedulers: they write `optimizer.paramGroups[i].lr` (and, for OneCycleLR and CyclicLR, the momentum). */

export {
  checkOptimizer,
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerParamGroup,
  type SchedulerStateDict,
} from "./lr_scheduler.ts";
export { StepLR, type StepLROptions } from "./step_lr.ts";
export { MultiStepLR, type MultiStepLROptions } from "./multi_step_lr.ts";
export { ExponentialLR } from "./exponential_lr.ts";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosine_annealing_lr.ts";
export { LinearLR, type LinearLROptions } from "./linear_lr.ts";
export { OneCycleLR, type OneCycleLROptions } from "./one_cycle_lr.ts";
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauStateDict,
} from "./reduce_lr_on_plateau.ts";
export { SequentialLR, type SequentialLRStateDict } from "./sequential_lr.ts";
export { ConstantLR, type ConstantLROptions } from "./constant_lr.ts";
export { PolynomialLR, type PolynomialLROptions } from "./polynomial_lr.ts";
export { LambdaLR, type LrLambda, type LrLambdaStateDict } from "./lambda_lr.ts";
export { MultiplicativeLR } from "./multiplicative_lr.ts";
export {
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
  type CosineAnnealingWarmRestartsStateDict,
} from "./cosine_annealing_warm_restarts.ts";
export {
  CyclicLR,
  type CyclicLROptions,
  type CyclicLRStateDict,
  type ScaleFn,
} from "./cyclic_lr.ts";
export {
  type ChainableScheduler,
  ChainedScheduler,
  type ChainedSchedulerOptions,
  type ChainedSchedulerStateDict,
} from "./chained_scheduler.ts";
