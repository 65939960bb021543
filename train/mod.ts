/**
 * train: the training loop and everything around it — the Trainer interface and its
 * in-process implementation, metrics, safetensors checkpoints, progress display, SVG
 * curves, model presets, datasets, the command line of train.ts, and character-level
 * language models (text presets, the iteration loop, generation).
 */

export * from "./trainer.ts";
export * from "./local_trainer.ts";
export * from "./create_trainer.ts";
export * from "./loop.ts";
export * from "./metrics.ts";
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./progress.ts";
export * from "./plot_svg.ts";
export * from "./presets.ts";
export * from "./scheduler_spec.ts";
export * from "./datasets.ts";
export * from "./report.ts";
export * from "./cli.ts";
export * from "./run_cli.ts";
export * from "./text_presets.ts";
export * from "./text_loop.ts";
export * from "./text_run.ts";
export * from "./generate.ts";
