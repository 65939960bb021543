/**
 * Layers: torch.nn-style modules with explicit forward and backward passes.
 *
 * @example
 * ```ts
 * import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "./mod.ts";
 * const model = new Sequential(new Conv2d(1, 8, 5), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 12 * 12, 10));
 * console.log(model.parameters().length); // 4
 * ```
 */

export * from "./module.ts";
export * from "./linear.ts";
export * from "./conv.ts";
export * from "./pooling.ts";
export * from "./activation.ts";
export * from "./normalization.ts";
export * from "./dropout.ts";
export * from "./flatten.ts";
export * from "./identity.ts";
export * from "./sequential.ts";
export * from "./residual.ts";
export * from "./embedding.ts";
export * from "./rnn.ts";
export * from "./attention.ts";
export * from "./transformer.ts";
export * from "./positional_embedding.ts";
