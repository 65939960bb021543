/**
 * `LocalTrainer` (one thread), kept at this path for existing imports: it lives in
 * trainer/local_trainer.ts, below parallel/ and train/, so that imports run one way.
 */

export * from "../trainer/local_trainer.ts";
