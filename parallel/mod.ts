/**
 * Data-parallel training on Workers that share parameters, gradients and optimizer
 * state through SharedArrayBuffer: `DataParallel` (a `Trainer`), its shared-memory
 * arenas, the Atomics barrier, and the worker protocol.
 */

export * from "./data_parallel.ts";
export * from "./arena.ts";
export * from "./barrier.ts";
export type {
  EvalReply,
  ModelContext,
  ModelModule,
  SharedData,
  StepReply,
  StepRequest,
  WorkerApi,
  WorkerInit,
} from "./protocol.ts";
// Type-only: importing worker.ts for its values would start a worker's message loop in this thread.
export type { WorkerHandlers } from "./worker.ts";
