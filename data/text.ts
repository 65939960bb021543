/**
 * Character-level text data (char-rnn, nanoGPT's `shakespeare_char`): a vocabulary of
 * the sorted unique characters, encode/decode, the contiguous train/val split (first
 * 90% / last 10%) and seeded random windows of `blockSize + 1` characters per sample.
 */

import { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";
import { MAX_TEXT_BYTES, readTextFile } from "./_text_file.ts";

export { MAX_TEXT_BYTES, readTextFile };

/**
 * The characters of a corpus, sorted by code point (Python's `sorted(set(text))`, as
 * nanoGPT's prepare.py), and the maps between them and token ids 0..size-1. A character is
 * a Unicode code point: "é" written as one code point is one token, an emoji one token.
 *
 * @example
 * ```ts
 * import { CharVocabulary } from "./text.ts";
 * const vocab = CharVocabulary.fromText("hello");
 * console.log(vocab.chars.join(""), Array.from(vocab.encode("lo"))); // "ehlo" [2, 3]
 * ```
 */
export class CharVocabulary {
  /** Character of each token id, ascending by code point. */
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  /**
   * A vocabulary from its characters, e.g. as saved by `toString()`: every entry one code
   * point, strictly ascending by code point (so a saved vocabulary cannot be reordered).
   */
  constructor(chars: string | readonly string[]) {
    const where = "Cannot create CharVocabulary";
    checkArgumentCount(where, arguments.length, 1);
    if (typeof chars !== "string" && !Array.isArray(chars)) {
      throw new TypeError(
        `${where}: expected a string or an array of characters, got ${describeValue(chars)}`,
      );
    }
    const list = typeof chars === "string" ? Array.from(chars) : [...chars];
    if (list.length === 0) throw new RangeError(`${where}: the vocabulary is empty`);
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (typeof c !== "string" || Array.from(c).length !== 1) {
        throw new TypeError(`${where}: entry ${i} is ${describeValue(c)}, expected one character`);
      }
      if (i > 0 && c.codePointAt(0)! <= list[i - 1].codePointAt(0)!) {
        throw new RangeError(
          `${where}: entry ${i} ${describeChar(c)} does not come after ${
            describeChar(list[i - 1])
          } ` +
            `(characters must be unique and sorted by code point)`,
        );
      }
    }
    this.chars = Object.freeze(list);
    this.#ids = new Map(list.map((c, i) => [c, i]));
  }

  /** The sorted unique characters of `text` (which must not be empty). */
  static fromText(text: string): CharVocabulary {
    checkArgumentCount("Cannot run CharVocabulary.fromText", arguments.length, 1);
    if (typeof text !== "string") {
      throw new TypeError(
        `Cannot run CharVocabulary.fromText: expected a string, got ${describeValue(text)}`,
      );
    }
    if (text.length === 0) {
      throw new RangeError("Cannot run CharVocabulary.fromText: the text is empty");
    }
    const unique = [...new Set(text)];
    unique.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharVocabulary(unique);
  }

  /** Number of characters (the model's vocabulary size). */
  get size(): number {
    return this.chars.length;
  }

  /** Whether `char` (one character) has a token id. */
  has(char: string): boolean {
    return this.#ids.has(char);
  }

  /**
   * Token ids of `text`, one per character. A character outside the vocabulary is a
   * RangeError naming it, its code point and its position (in characters).
   */
  encode(text: string): Int32Array {
    if (typeof text !== "string") {
      throw new TypeError(`Cannot encode text: expected a string, got ${describeValue(text)}`);
    }
    const ids = new Int32Array(text.length);
    let n = 0;
    for (const c of text) {
      const id = this.#ids.get(c);
      if (id === undefined) {
        throw new RangeError(
          `Cannot encode text: character ${
            describeChar(c)
          } at position ${n} is not in the vocabulary of ${this.size} characters`,
        );
      }
      ids[n++] = id;
    }
    return ids.slice(0, n);
  }

  /** The text of token ids; an id that is not an integer in [0, size) is a RangeError naming its position. */
  decode(ids: ArrayLike<number>): string {
    let text = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.size)) {
        throw new RangeError(
          `Cannot decode tokens: id ${id} at position ${i} is outside the vocabulary [0, ${this.size})`,
        );
      }
      text += this.chars[id];
    }
    return text;
  }

  /** The characters in id order, as one string (what checkpoints save). */
  toString(): string {
    return this.chars.join("");
  }
}

/** Options of `TextDataset.fromText` and `fromFile`. */
export interface TextDatasetOptions {
  /** Characters the model sees per sample (a window is blockSize + 1 characters). */
  blockSize: number;
  /** Use this vocabulary (a checkpoint's) instead of the text's own; every character must be in it. @default the text's */
  vocabulary?: CharVocabulary;
  /** How errors name the text (a file path). @default "the text" */
  source?: string;
}

/** One split of a corpus. */
export type TextSplit = "train" | "val";

/**
 * A corpus as token ids, split contiguously into train (the first ⌊0.9·n⌋ characters)
 * and val (the rest), as nanoGPT's prepare.py. A sample is a window of blockSize + 1
 * characters starting anywhere in its split: x its first blockSize ids, y the next
 * blockSize (each x[t]'s following character).
 *
 * @example
 * ```ts
 * import { TextDataset } from "./text.ts";
 * import { Rng } from "../tensor/rng.ts";
 * const data = TextDataset.fromText("to be or not to be, that is the question\n".repeat(3), { blockSize: 4 });
 * const starts = data.sampleStarts("train", 2, new Rng(0));
 * const { x, y } = data.batch("train", starts);
 * console.log(x.shape, y.length); // [2, 4] 8
 * ```
 */
export class TextDataset {
  readonly vocabulary: CharVocabulary;
  readonly blockSize: number;
  /** Token ids of the first 90%. */
  readonly train: Int32Array;
  /** Token ids of the last 10%. */
  readonly val: Int32Array;
  /** What errors call the text. */
  readonly source: string;

  private constructor(
    vocabulary: CharVocabulary,
    blockSize: number,
    train: Int32Array,
    val: Int32Array,
    source: string,
  ) {
    this.vocabulary = vocabulary;
    this.blockSize = blockSize;
    this.train = train;
    this.val = val;
    this.source = source;
  }

  /**
   * Encodes `text` and splits it. Errors: an empty text, a blockSize that is not a positive
   * integer or leaves a split without one window (each split needs blockSize + 1
   * characters), a character outside a given vocabulary.
   */
  static fromText(text: string, options: TextDatasetOptions): TextDataset {
    const where = "Cannot build the text dataset";
    checkArgumentCount(where, arguments.length, 2);
    checkOptions(where, options, ["blockSize", "vocabulary", "source"]);
    const source = options?.source ?? "the text";
    if (typeof text !== "string") {
      throw new TypeError(`${where} from ${source}: expected a string, got ${describeValue(text)}`);
    }
    if (text.length === 0) throw new RangeError(`${where} from ${source}: it is empty`);
    const blockSize = options?.blockSize;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
      throw new RangeError(
        `${where}: blockSize must be a positive integer, got ${describeValue(blockSize)}`,
      );
    }
    const vocabulary = options.vocabulary ?? CharVocabulary.fromText(text);
    let tokens: Int32Array;
    try {
      tokens = vocabulary.encode(text);
    } catch (error) {
      throw new RangeError(
        `${where} from ${source} with the given vocabulary: ${
          (error as Error).message.replace(/^Cannot encode text: /, "")
        }`,
        { cause: error },
      );
    }
    const cut = Math.floor(tokens.length * 0.9);
    const data = new TextDataset(
      vocabulary,
      blockSize,
      tokens.subarray(0, cut),
      tokens.subarray(cut),
      source,
    );
    for (const split of ["train", "val"] as const) {
      const n = data[split].length;
      if (n < blockSize + 1) {
        throw new RangeError(
          `${where} from ${source}: its ${split} split has ${n} characters (of ${tokens.length}), ` +
            `blockSize ${blockSize} needs at least ${
              blockSize + 1
            } (a window is blockSize + 1 characters)`,
        );
      }
    }
    return data;
  }

  /**
   * Reads a UTF-8 text file (a regular file of at most `MAX_TEXT_BYTES`) and builds the
   * dataset from it. A file that is not UTF-8 text (invalid byte sequences, or NUL bytes:
   * a binary file) is a TypeError naming the file and the byte offset; an empty file a
   * RangeError.
   */
  static async fromFile(path: string, options: TextDatasetOptions): Promise<TextDataset> {
    checkArgumentCount("Cannot build the text dataset", arguments.length, 2);
    checkOptions("Cannot build the text dataset", options, ["blockSize", "vocabulary", "source"]);
    const text = await readTextFile(path);
    return TextDataset.fromText(text, { ...options, source: options.source ?? path });
  }

  /** The token ids of `split`. */
  tokens(split: TextSplit): Int32Array {
    if (split !== "train" && split !== "val") {
      throw new TypeError(
        `Cannot use text split ${describeValue(split)}: expected "train" or "val"`,
      );
    }
    return this[split];
  }

  /** Window starts of `split`: 0 .. length − blockSize − 1. */
  windows(split: TextSplit): number {
    return this.tokens(split).length - this.blockSize;
  }

  /** `count` window starts drawn uniformly with replacement (nanoGPT's `torch.randint(len(data) - block_size, ...)`). */
  sampleStarts(split: TextSplit, count: number, rng: Rng): Int32Array {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(
        `Cannot draw text windows: count must be an integer ≥ 0, got ${describeValue(count)}`,
      );
    }
    const n = this.windows(split);
    const starts = new Int32Array(count);
    for (let i = 0; i < count; i++) starts[i] = rng.randint(n);
    return starts;
  }

  /**
   * The windows at `starts` of `split`: x [N, blockSize] token ids as floats (what
   * `Embedding.forward` takes) and y [N·blockSize] Int32 targets, row-major (x[b, t]'s
   * next character is y[b·blockSize + t]).
   */
  batch(split: TextSplit, starts: Int32Array): { x: Tensor; y: Int32Array } {
    const tokens = this.tokens(split);
    const l = this.blockSize;
    const n = this.windows(split);
    const x = new Float32Array(starts.length * l);
    const y = new Int32Array(starts.length * l);
    for (let b = 0; b < starts.length; b++) {
      const s = starts[b];
      if (!(Number.isInteger(s) && s >= 0 && s < n)) {
        throw new RangeError(
          `Cannot gather text windows: start ${s} at position ${b} is outside [0, ${n}) of ${split}`,
        );
      }
      for (let t = 0; t < l; t++) {
        x[b * l + t] = tokens[s + t];
        y[b * l + t] = tokens[s + t + 1];
      }
    }
    return { x: new Tensor(x, [starts.length, l]), y };
  }
}

/** `"a" (U+0061)`, for messages (control characters stay readable through JSON escapes). */
function describeChar(c: string): string {
  return `${JSON.stringify(c)} (U+${
    c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")
  })`;
}
