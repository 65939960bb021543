/**
 * Internal: the settings of a new text run for train/text_run.ts — flags over a text
 * preset's defaults, the corpus (`--file`, default the shared tiny Shakespeare), and the
 * check that the model maps a window to one row of logits per character.
 */

import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildModel, type ModelSpec } from "../layers/spec.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/rng.ts";
import { readTextFile, TextDataset } from "../data/text.ts";
import { type CliOptions, ConfigError, UsageError } from "./cli.ts";
import { specFrom } from "./_cli_checks.ts";
import type { TextRunConfig } from "./text_loop.ts";
import { TEXT_PRESET_NAMES, TEXT_PRESETS, type TextTrainingDefaults } from "./text_presets.ts";
import { sha256 } from "./_text_checkpoint.ts";

/**
 * The corpus `--file` defaults to: the shared tiny Shakespeare next to the repository, when
 * present (its URL as text when this module was imported by http(s) URL, where
 * fileURLToPath would throw at import time and break `import ... from ".../mod.ts"`).
 */
const DEFAULT_TEXT_URL = new URL("../../shared/data/tinyshakespeare/input.txt", import.meta.url);
export const DEFAULT_TEXT_FILE = DEFAULT_TEXT_URL.protocol === "file:"
  ? fileURLToPath(DEFAULT_TEXT_URL)
  : DEFAULT_TEXT_URL.href;

/** Settings of a spec-file model (no preset to take them from): char-lstm's. */
const SPEC_FILE_DEFAULTS: TextTrainingDefaults = TEXT_PRESETS["char-lstm"].defaults;

/** A new run's settings: flags over the preset's (or char-lstm's for a spec file) defaults. */
export async function newRun(options: CliOptions, model: string) {
  const preset = Object.hasOwn(TEXT_PRESETS, model) ? TEXT_PRESETS[model] : undefined;
  if (preset === undefined && !model.endsWith(".json")) {
    throw new UsageError(
      `--model: "${model}" is not a text preset (${
        TEXT_PRESET_NAMES.join(", ")
      }) or a .json spec file`,
    );
  }
  const d = preset?.defaults ?? SPEC_FILE_DEFAULTS;
  const file = options.file ?? await defaultFile();
  const blockSize = options.blockSize ?? d.blockSize;
  const data = await TextDataset.fromFile(file, { blockSize });
  const iters = options.iters ?? d.iters;
  const config: TextRunConfig = {
    dataset: "text",
    file,
    fileSha256: await sha256(data),
    model,
    iters,
    batchSize: options.batchSize ?? d.batchSize,
    blockSize,
    optimizer: pickOptimizer(options.optimizer ?? d.optimizer),
    lr: options.lr ?? d.lr,
    minLr: options.minLr ?? d.minLr,
    warmupIters: options.warmupIters ?? d.warmupIters,
    lrDecayIters: options.lrDecayIters ?? iters,
    weightDecay: options.weightDecay ?? d.weightDecay,
    betas: d.betas,
    evalInterval: options.evalInterval ?? d.evalInterval,
    evalIters: options.evalIters ?? d.evalIters,
    seed: options.seed,
  };
  if (config.minLr > config.lr) {
    throw new UsageError(`--min-lr ${config.minLr} is above the learning rate ${config.lr}`);
  }
  if (config.warmupIters >= config.lrDecayIters) {
    throw new UsageError(
      `--warmup-iters ${config.warmupIters} is not below ${
        options.lrDecayIters !== undefined ? "--lr-decay-iters" : "--iters"
      } ${config.lrDecayIters}: the learning rate would never reach its peak (pass a smaller --warmup-iters)`,
    );
  }
  const sizes = {
    nLayer: options.nLayer ?? d.nLayer,
    nHead: options.nHead ?? d.nHead,
    nEmbd: options.nEmbd ?? d.nEmbd,
    hiddenSize: options.hiddenSize ?? d.hiddenSize,
    blockSize,
  };
  let spec: ModelSpec;
  const flags = {
    nLayer: "n-layer",
    nHead: "n-head",
    nEmbd: "n-embd",
    hiddenSize: "hidden-size",
  } as const;
  for (const [key, flag] of Object.entries(flags) as [keyof typeof flags, string][]) {
    if (options[key] !== undefined && preset !== undefined && !preset.sizes.includes(key)) {
      throw new UsageError(
        `--${flag} does not size ${model} (it takes ${
          preset.sizes.map((k) =>
            `--${k === "blockSize" ? "block-size" : flags[k as keyof typeof flags]}`
          ).join(", ")
        })`,
      );
    }
  }
  if (preset !== undefined) {
    try {
      spec = preset.build(data.vocabulary.size, sizes);
    } catch (error) {
      throw new UsageError((error as Error).message, { cause: error });
    }
  } else {
    const given = ["n-layer", "n-head", "n-embd", "hidden-size"].filter((_, i) =>
      [options.nLayer, options.nHead, options.nEmbd, options.hiddenSize][i] !== undefined
    );
    if (given.length > 0) {
      throw new UsageError(
        `--${given[0]} sizes a preset; the spec file ${model} has its own sizes`,
      );
    }
    try {
      spec = specFrom(JSON.parse(await readTextFile(model)), model);
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
  }
  checkTextModel(spec, data, model);
  // The preset's own initialization (char-gpt: nanoGPT's), written over the built model's.
  const initialize = preset?.initialize === undefined
    ? null
    : (state: Record<string, Tensor>) =>
      preset.initialize!(state, sizes, new Rng(config.seed).fork(0x1417));
  return { config, spec, data, initialize };
}

/** The model maps [1, L] token ids to [L, V] logits, or a ConfigError says what it does instead. */
function checkTextModel(spec: ModelSpec, data: TextDataset, source: string): void {
  const v = data.vocabulary.size;
  const l = data.blockSize;
  let shape: readonly number[];
  try {
    const model = buildModel(spec).eval();
    shape = model.forward(data.batch("train", new Int32Array([0])).x).shape;
  } catch (error) {
    throw new ConfigError(
      `--model ${source} cannot train on this text (vocabulary ${v}, block ${l}): ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  if (shape.length !== 2 || shape[0] !== l || shape[1] !== v) {
    throw new ConfigError(
      `--model ${source} outputs [${shape}] for a window [1, ${l}]; a text model must output [${l}, ${v}] logits (one row per character of the vocabulary)${
        shape.length === 3 ? '; end it with {"type":"flatten","startDim":0,"endDim":1}' : ""
      }`,
    );
  }
}

async function defaultFile(): Promise<string> {
  const found = await stat(DEFAULT_TEXT_FILE).then((s) => s.isFile(), () => false);
  if (!found) {
    throw new UsageError(
      `--dataset text needs --file PATH (a UTF-8 text file); the default ${DEFAULT_TEXT_FILE} is not there`,
    );
  }
  return DEFAULT_TEXT_FILE;
}

function pickOptimizer(name: string): "adamw" | "adam" {
  if (name !== "adamw" && name !== "adam") {
    throw new UsageError(
      `--optimizer ${name}: text runs take adamw or adam (their betas are set for them)`,
    );
  }
  return name;
}
