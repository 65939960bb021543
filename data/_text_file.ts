/** Internal: reading a UTF-8 text file for data/text.ts, with the byte offset of what makes a file not UTF-8 text. */

import { checkArgumentCount, describeValue } from "../tensor/options.ts";
import { readLocalFileBounded } from "./_fs.ts";

/** The largest text file `TextDataset.fromFile` reads (its tokens take 4 bytes per character). */
export const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/**
 * The text of a UTF-8 file (a regular file of at most `MAX_TEXT_BYTES`): a file that is
 * empty, has an invalid UTF-8 sequence or holds NUL bytes (binary data) is an error naming
 * the file and the byte offset.
 */
export async function readTextFile(path: string): Promise<string> {
  checkArgumentCount("Cannot read text file", arguments.length, 1);
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`Cannot read text file: expected a path, got ${describeValue(path)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readLocalFileBounded(path, MAX_TEXT_BYTES, "a UTF-8 text file");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT"
      ? "no such file"
      : code === "EISDIR"
      ? "it is a folder"
      : (error as Error).message;
    throw new Error(`Cannot read text file ${path}: ${why}`, { cause: error });
  }
  if (bytes.length === 0) throw new RangeError(`Cannot read text file ${path}: it is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new TypeError(
      `Cannot read text file ${path}: byte ${nul} is NUL (0x00); this is binary data, not UTF-8 text`,
    );
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    throw new TypeError(
      `Cannot read text file ${path}: invalid UTF-8 at byte ${bad} (0x${
        bytes[bad].toString(16).padStart(2, "0")
      }); ` +
        `expected UTF-8 text (convert it first, e.g. iconv -t UTF-8)`,
    );
  }
  // ignoreBOM keeps a byte-order mark as the character U+FEFF (as Python reads the file), so the text re-encodes to the same bytes.
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence (overlong forms, surrogates
 * and code points above U+10FFFF included, as TextDecoder's fatal mode), or −1.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const [n, lo, hi] = b >= 0xc2 && b <= 0xdf
      ? [1, 0x80, 0xbf]
      : b === 0xe0
      ? [2, 0xa0, 0xbf]
      : b === 0xed
      ? [2, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef
      ? [2, 0x80, 0xbf]
      : b === 0xf0
      ? [3, 0x90, 0xbf]
      : b >= 0xf1 && b <= 0xf3
      ? [3, 0x80, 0xbf]
      : b === 0xf4
      ? [3, 0x80, 0x8f]
      : [0, 0, 0];
    // A lead byte that cannot start a sequence, or a sequence cut off by the end of the file.
    if (n === 0 || i + n >= bytes.length) return i;
    // The second byte's range excludes overlong forms and surrogates; the rest are 0x80..0xBF.
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += n + 1;
  }
  return -1;
}
