import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CharVocabulary, readTextFile, TextDataset } from "../../data/text.ts";
import { Rng } from "../../tensor/rng.ts";

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-text-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("CharVocabulary.fromText() sorts unique characters by code point, as Python's sorted(set(text))", () => {
  // UTF-16 order would put the emoji (surrogate 0xD83D) before U+FF01; code point order puts it last.
  const vocab = CharVocabulary.fromText("b\uFF01a\u{1F600}\nab");
  assert.deepEqual(vocab.chars, ["\n", "a", "b", "\uFF01", "\u{1F600}"]);
  assert.equal(vocab.size, 5);
  assert.equal(vocab.toString(), "\nab\uFF01\u{1F600}");
});

test("CharVocabulary.encode()/decode() round-trip, one id per code point", () => {
  const vocab = CharVocabulary.fromText("hello \u{1F600}");
  const ids = vocab.encode("ho \u{1F600}l");
  assert.deepEqual(Array.from(ids), [2, 4, 0, 5, 3]); // " ", e, h, l, o, 😀
  assert.equal(vocab.decode(ids), "ho \u{1F600}l");
});

test("CharVocabulary.encode() names a character outside the vocabulary and its position", () => {
  const vocab = CharVocabulary.fromText("abc");
  assert.throws(
    () => vocab.encode("abzc"),
    /Cannot encode text: character "z" \(U\+007A\) at position 2 is not in the vocabulary of 3 characters/,
  );
});

test("CharVocabulary.decode() names an id outside [0, size)", () => {
  const vocab = CharVocabulary.fromText("abc");
  assert.throws(
    () => vocab.decode([0, 3]),
    /id 3 at position 1 is outside the vocabulary \[0, 3\)/,
  );
  assert.throws(() => vocab.decode([0.5]), /id 0.5 at position 0/);
});

test("new CharVocabulary() rejects unsorted, repeated, multi-character and empty entries", () => {
  assert.throws(() => new CharVocabulary("ba"), /entry 1 "a" \(U\+0061\) does not come after "b"/);
  assert.throws(() => new CharVocabulary("aa"), /unique and sorted by code point/);
  assert.throws(() => new CharVocabulary(["a", "bc"]), /entry 1 is "bc", expected one character/);
  assert.throws(() => new CharVocabulary(""), /the vocabulary is empty/);
  assert.throws(() => CharVocabulary.fromText(""), /the text is empty/);
});

test("TextDataset splits contiguously: the first ⌊0.9·n⌋ characters train, the rest val", () => {
  const text = "abcdefghij".repeat(10) + "xyz"; // 103 characters
  const data = TextDataset.fromText(text, { blockSize: 4 });
  assert.equal(data.train.length, 92);
  assert.equal(data.val.length, 11);
  assert.equal(data.vocabulary.decode(data.train), text.slice(0, 92));
  assert.equal(data.vocabulary.decode(data.val), text.slice(92));
  assert.equal(data.windows("train"), 88);
  assert.equal(data.windows("val"), 7);
});

test("TextDataset.batch() gives x = a window's first blockSize ids and y = the next blockSize", () => {
  const data = TextDataset.fromText("abcdefghijklmnopqrstuvwxyz0123456789", { blockSize: 3 });
  const { x, y } = data.batch("train", new Int32Array([0, 5]));
  assert.deepEqual(x.shape, [2, 3]);
  const v = data.vocabulary;
  assert.equal(v.decode(Array.from(x.data)), "abcfgh");
  assert.equal(v.decode(y), "bcdghi");
  assert.ok(y instanceof Int32Array);
  assert.throws(
    () => data.batch("train", new Int32Array([data.windows("train")])),
    /start 29 at position 0 is outside \[0, 29\)/,
  );
});

test("TextDataset.sampleStarts() is seeded and stays in [0, windows)", () => {
  const data = TextDataset.fromText("the quick brown fox jumps over the lazy dog ".repeat(5), {
    blockSize: 8,
  });
  const a = data.sampleStarts("train", 500, new Rng(3));
  const b = data.sampleStarts("train", 500, new Rng(3));
  const c = data.sampleStarts("train", 500, new Rng(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const n = data.windows("train");
  assert.ok(a.every((s) => s >= 0 && s < n));
  // 500 draws over 190 starts reach both ends.
  assert.equal(Math.min(...a), 0);
  assert.equal(Math.max(...a), n - 1);
});

test("TextDataset.fromText() refuses a blockSize larger than a split, naming the split and the sizes", () => {
  const text = "x".repeat(50) + "y".repeat(50);
  assert.throws(
    () => TextDataset.fromText(text, { blockSize: 10, source: "tiny.txt" }),
    /from tiny\.txt: its val split has 10 characters \(of 100\), blockSize 10 needs at least 11/,
  );
  assert.ok(TextDataset.fromText(text, { blockSize: 9 }));
  assert.throws(
    () => TextDataset.fromText(text, { blockSize: 0 }),
    /blockSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => TextDataset.fromText(text, { blockSize: 4, block: 3 } as never),
    /unknown option "block"/,
  );
});

test("TextDataset.fromText() with a saved vocabulary refuses a character outside it", () => {
  const vocabulary = CharVocabulary.fromText("abc\n");
  assert.throws(
    () =>
      TextDataset.fromText("abc\nabd\nabc\n", { blockSize: 1, vocabulary, source: "other.txt" }),
    /from other\.txt with the given vocabulary: character "d" \(U\+0064\) at position 6 is not in the vocabulary/,
  );
});

test("readTextFile() refuses an empty file, invalid UTF-8, NUL bytes, a folder and a missing file", async () => {
  await withTemp(async (dir) => {
    const empty = join(dir, "empty.txt");
    await writeFile(empty, "");
    await assert.rejects(
      TextDataset.fromFile(empty, { blockSize: 4 }),
      /Cannot read text file .*empty\.txt: it is empty/,
    );
    const latin1 = join(dir, "latin1.txt");
    await writeFile(latin1, new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x21])); // "café!" in Latin-1
    await assert.rejects(readTextFile(latin1), /latin1\.txt: invalid UTF-8 at byte 3 \(0xe9\)/);
    const overlong = join(dir, "overlong.txt");
    await writeFile(overlong, new Uint8Array([0x61, 0xc0, 0xaf]));
    await assert.rejects(readTextFile(overlong), /invalid UTF-8 at byte 1 \(0xc0\)/);
    const truncated = join(dir, "truncated.txt");
    await writeFile(truncated, new Uint8Array([0x61, 0x62, 0xe2, 0x82]));
    await assert.rejects(readTextFile(truncated), /invalid UTF-8 at byte 2 \(0xe2\)/);
    const binary = join(dir, "binary.bin");
    await writeFile(binary, new Uint8Array([0x61, 0x00, 0x62]));
    await assert.rejects(
      readTextFile(binary),
      /binary\.bin: byte 1 is NUL \(0x00\); this is binary data/,
    );
    await assert.rejects(
      readTextFile(dir),
      /Cannot read text file .*: (it is a folder|.*not a regular file)/,
    );
    await assert.rejects(readTextFile(join(dir, "missing.txt")), /missing\.txt: no such file/);
  });
});

test("readTextFile() reads UTF-8 exactly, keeping a byte-order mark as U+FEFF", async () => {
  await withTemp(async (dir) => {
    const file = join(dir, "bom.txt");
    const text = "\uFEFFcafé \u{1F600}\r\n".repeat(3);
    await writeFile(file, text);
    assert.equal(await readTextFile(file), text);
    const data = await TextDataset.fromFile(file, { blockSize: 1 });
    assert.equal(data.source, file);
    assert.ok(data.vocabulary.has("\uFEFF"));
  });
});
