/**
 * Text generation from a character-level language model: autoregressive sampling of one
 * character at a time from the softmax of the last position's logits (nanoGPT's sample.py).
 */

import { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/rng.ts";
import type { Module } from "../layers/module.ts";
import type { CharVocabulary } from "../data/text.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** Options of `generateText`. */
export interface GenerateOptions {
  /** Text the sample continues (every character must be in the vocabulary). */
  prompt: string;
  /** Characters to sample. */
  length: number;
  /** Logits are divided by this before the softmax (< 1 sharper, > 1 flatter). @default 1 */
  temperature?: number;
  /** The model sees at most the last `blockSize` characters (its training window). */
  blockSize: number;
  /** Draws the characters. */
  rng: Rng;
}

/**
 * Samples `length` characters after `prompt` from `model`, which maps token ids [1, T]
 * (as floats) to logits [T, V] (a text preset's [N·L, V] with N = 1). The context is the
 * last `blockSize` characters, each step runs the model on it from a fresh state (as it was
 * trained) in eval mode, and the next id is drawn from softmax(logits[T − 1] / temperature).
 * Returns only the sampled characters.
 *
 * @example
 * ```ts ignore
 * const text = generateText(model, vocabulary, { prompt: "\n", length: 300, blockSize: 64, rng: new Rng(0) });
 * ```
 */
export function generateText(
  model: Module,
  vocabulary: CharVocabulary,
  options: GenerateOptions,
): string {
  const where = "Cannot generate text";
  checkArgumentCount(where, arguments.length, 3);
  checkOptions(where, options, ["prompt", "length", "temperature", "blockSize", "rng"]);
  const { prompt, length, temperature = 1, blockSize, rng } = options;
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`${where}: length must be an integer ≥ 0, got ${describeValue(length)}`);
  }
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new RangeError(
      `${where}: temperature must be a number > 0, got ${describeValue(temperature)}`,
    );
  }
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new RangeError(
      `${where}: blockSize must be a positive integer, got ${describeValue(blockSize)}`,
    );
  }
  if (typeof prompt !== "string" || prompt.length === 0) {
    throw new RangeError(
      `${where}: the prompt must be at least one character, got ${describeValue(prompt)}`,
    );
  }
  const context = Array.from(vocabulary.encode(prompt));
  const v = vocabulary.size;
  const probabilities = new Float64Array(v);
  const sampled: number[] = [];
  model.eval();
  try {
    for (let i = 0; i < length; i++) {
      const window = context.slice(-blockSize);
      const logits = model.forward(new Tensor(Float32Array.from(window), [1, window.length]));
      if (logits.size !== window.length * v) {
        throw new TypeError(
          `${where}: the model outputs [${logits.shape}] for [1, ${window.length}] tokens; expected [${window.length}, ${v}] (${v} characters in the vocabulary)`,
        );
      }
      const last = logits.data.subarray((window.length - 1) * v, window.length * v);
      const next = sample(last, temperature, probabilities, rng);
      context.push(next);
      sampled.push(next);
    }
  } finally {
    model.train();
  }
  return vocabulary.decode(sampled);
}

/** Draws an index from softmax(logits / temperature) (max-subtracted, in float64). */
function sample(logits: Float32Array, temperature: number, p: Float64Array, rng: Rng): number {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]);
  if (!Number.isFinite(max)) {
    throw new RangeError(`Cannot generate text: the model's logits are not finite (max ${max})`);
  }
  let sum = 0;
  for (let j = 0; j < logits.length; j++) {
    p[j] = Math.exp((logits[j] - max) / temperature);
    sum += p[j];
  }
  let u = rng.random() * sum;
  for (let j = 0; j < logits.length; j++) {
    u -= p[j];
    if (u < 0) return j;
  }
  // Rounding can leave u ≥ 0 after the last term: the last nonzero entry was drawn.
  for (let j = logits.length - 1; j >= 0; j--) if (p[j] > 0) return j;
  return logits.length - 1;
}
