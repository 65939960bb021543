/**
 * The trainer interface and its data types, kept at this path for existing imports: they
 * live in trainer/trainer.ts, below parallel/ (which implements the interface) and train/
 * (which drives it), so that imports run one way.
 */

export * from "../trainer/trainer.ts";
