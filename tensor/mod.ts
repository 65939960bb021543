/** Tensors, parameters, shapes, seeded randomness, initializers and the kernels. */

export * from "./tensor.ts";
export * from "./buffers.ts";
export * from "./parameter.ts";
export * from "./shape.ts";
export * from "./rng.ts";
export * as init from "./init.ts";
export * as kernels from "./kernels/mod.ts";
export * from "./options.ts";
