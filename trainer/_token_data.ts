/**
 * Internal: token sequences (`TokenData`, the "tokens" kind of `TrainData`) for the
 * trainers: the check of a set, the gathering of windows into x and targets, and the
 * copy into shared memory that DataParallel's workers read.
 */

import type { TokenData } from "./trainer.ts";

/** A token set in shared memory: the ids once, as int32. */
export interface SharedTokens {
  kind: "tokens";
  tokens: SharedArrayBuffer;
  shape: [number, number];
  vocabSize: number;
}

/**
 * Throws a TypeError naming the problem unless `data` is a consistent token set: an
 * Int32Array of ids in [0, vocabSize), shape [tokens − blockSize, blockSize] with at
 * least one window.
 */
export function checkTokenData(data: TokenData, where: string): void {
  const { tokens, shape, vocabSize } = data;
  if (!(tokens instanceof Int32Array)) {
    throw new TypeError(`${where}: token data needs tokens as an Int32Array`);
  }
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
    throw new TypeError(`${where}: token data needs vocabSize ≥ 1, got ${vocabSize}`);
  }
  const [windows, blockSize] = shape;
  if (
    !Number.isSafeInteger(blockSize) || blockSize < 1 || windows !== tokens.length - blockSize ||
    windows < 1
  ) {
    throw new TypeError(
      `${where}: token data of ${tokens.length} tokens has shape [${shape}]; expected [${
        tokens.length - blockSize
      }, ${blockSize}] ([tokens − blockSize, blockSize], at least one window)`,
    );
  }
  for (let i = 0; i < tokens.length; i++) {
    if (!(tokens[i] >= 0 && tokens[i] < vocabSize)) {
      throw new RangeError(
        `${where}: token ${tokens[i]} at position ${i} is outside the vocabulary [0, ${vocabSize})`,
      );
    }
  }
}

/**
 * Windows starting at `indices`: x[b, t] = tokens[s + t] (as floats, for Embedding) and
 * targets[b·L + t] = tokens[s + t + 1] for s = indices[b], L = blockSize.
 */
export function gatherWindows(
  tokens: Int32Array,
  blockSize: number,
  indices: Int32Array,
  x: Float32Array,
  targets: Int32Array,
): void {
  const windows = tokens.length - blockSize;
  for (let b = 0; b < indices.length; b++) {
    const s = indices[b];
    if (!(s >= 0 && s < windows)) {
      throw new RangeError(`Cannot gather a batch: window start ${s} is outside [0, ${windows})`);
    }
    for (let t = 0; t < blockSize; t++) {
      x[b * blockSize + t] = tokens[s + t];
      targets[b * blockSize + t] = tokens[s + t + 1];
    }
  }
}

/** Copies a checked token set into a SharedArrayBuffer. */
export function shareTokens(data: TokenData, where: string): SharedTokens {
  checkTokenData(data, where);
  const tokens = new SharedArrayBuffer(4 * data.tokens.length);
  new Int32Array(tokens).set(data.tokens);
  return {
    kind: "tokens",
    tokens,
    shape: [data.shape[0], data.shape[1]],
    vocabSize: data.vocabSize,
  };
}
