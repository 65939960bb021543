/**
 * shardgrad: neural networks in TypeScript for Deno and Bun, with explicit
 * forward/backward passes, PyTorch semantics and data-parallel Workers.
 *
 * This barrel re-exports the whole public API. The core folders (tensor/, layers/,
 * losses/, optim/, data parsers) import nothing outside the repo and can also be
 * imported file by file by URL; `mod.ts` additionally needs `zod` and `comlink`
 * (an import map of two lines, see the README).
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential, SGD, CrossEntropyLoss, Tensor } from "./mod.ts";
 * const model = new Sequential(new Linear(2, 8), new ReLU(), new Linear(8, 2));
 * const loss = new CrossEntropyLoss();
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * loss.forward(model.forward(Tensor.fromArray([[0, 1], [1, 0]])), new Int32Array([1, 0]));
 * model.backward(loss.backward());
 * opt.step();
 * ```
 */

export * from "./tensor/mod.ts";
export * from "./layers/mod.ts";
export * from "./losses/mod.ts";
export * from "./optim/mod.ts";
export * from "./data/mod.ts";
export * from "./layers/spec.ts";
export * from "./parallel/mod.ts";
export * from "./train/mod.ts";
