/** optim: optimizers (classes and their pure update rules), learning-rate schedulers and gradient clipping. */

export {
  type BaseHyperparameters,
  type GroupStateDict,
  type HyperparameterValue,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamStateDict,
  type StateBuffers,
  type UpdateRule,
} from "./optimizer.ts";
export { SGD, type SGDHyperparameters, type SGDOptions, sgdRule, sgdUpdate } from "./sgd.ts";
export { Adam, type AdamHyperparameters, type AdamOptions, adamRule, adamUpdate } from "./adam.ts";
export {
  AdamW,
  type AdamWHyperparameters,
  type AdamWOptions,
  adamwRule,
  adamwUpdate,
} from "./adamw.ts";
export {
  RMSprop,
  type RMSpropHyperparameters,
  type RMSpropOptions,
  rmspropRule,
  rmspropUpdate,
} from "./rmsprop.ts";
export {
  Adagrad,
  type AdagradHyperparameters,
  type AdagradOptions,
  adagradRule,
  adagradUpdate,
} from "./adagrad.ts";
export { Lion, type LionHyperparameters, type LionOptions, lionRule, lionUpdate } from "./lion.ts";
export { type AnyUpdateRule, type OptimizerName, optimizerNames, optimizerRules } from "./rules.ts";
export { clipGradNorm, type ClipGradNormOptions, clipGradValue } from "./clip_grad.ts";
export * from "./schedulers/mod.ts";
