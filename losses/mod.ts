/**
 * Losses with PyTorch semantics and explicit backward: `loss.forward(pred, target)`
 * returns a number, `loss.backward()` returns dL/dpred (including the 1/N of "mean").
 * Every loss file also exports the `Reduction` type.
 */

export * from "./mse.ts";
export * from "./cross_entropy.ts";
export * from "./nll.ts";
export * from "./bce_with_logits.ts";
