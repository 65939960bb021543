/** A small ustar (POSIX tar) reader that refuses entries escaping their folder. */

import { checkArgumentCount } from "../tensor/options.ts";

/** One archive member. `data` is a view into the archive bytes (no copy). */
export interface TarEntry {
  /** Normalized relative path (`a/b.bin`; `./` segments and trailing `/` removed). */
  path: string;
  /** Entry kind; links are reported, never followed or resolved. */
  type: "file" | "directory" | "symlink" | "hardlink" | "other";
  /** Size in bytes of `data`. */
  size: number;
  /** The member's bytes (empty for non-files). */
  data: Uint8Array;
}

const BLOCK = 512;
const decoder = new TextDecoder();

/**
 * Lists the members of an uncompressed tar archive (ustar, with GNU long names and
 * pax `path` records).
 *
 * Every path is checked before anything is returned: an absolute path, a drive
 * letter, a backslash or a `..` segment is a RangeError naming the archive and the
 * entry, so a caller that extracts the result can never write outside its target
 * folder. Header checksums and sizes are verified (a size beyond the end of the
 * archive is a RangeError naming the claim and the actual size).
 *
 * @param bytes the whole tar file (already gunzipped)
 * @param name how the archive is called in error messages
 * @example
 * ```ts
 * import { readTar } from "./tar.ts";
 * console.log(readTar(new Uint8Array(1024)).length); // 0 (an empty archive)
 * ```
 */
export function readTar(bytes: Uint8Array, name = "tar archive"): TarEntry[] {
  checkArgumentCount("Cannot read tar", arguments.length, 2);
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    checkHeaderSum(header, name, offset);
    const size = readNumber(header.subarray(124, 136), name, offset);
    const typeflag = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new RangeError(
        `Cannot read tar ${name}: the entry at byte ${offset} claims ${size} bytes but only ` +
          `${bytes.length - dataStart} remain in the ${bytes.length}-byte archive (truncated?)`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === "L") {
      longName = cString(data);
      continue;
    }
    if (typeflag === "x") {
      paxPath = paxRecord(data, "path") ?? paxPath;
      continue;
    }
    if (typeflag === "g") continue; // global pax header: nothing we use
    let raw = paxPath ?? longName ?? headerName(header);
    longName = paxPath = null;
    if (typeflag === "5" && raw.endsWith("/")) raw = raw.slice(0, -1);
    const path = checkPath(raw, name);
    const type = typeflag === "0" || typeflag === "7"
      ? "file"
      : typeflag === "5"
      ? "directory"
      : typeflag === "2"
      ? "symlink"
      : typeflag === "1"
      ? "hardlink"
      : "other";
    entries.push({
      path,
      type,
      size: type === "file" ? size : 0,
      data: type === "file" ? data : data.subarray(0, 0),
    });
  }
  return entries;
}

/** Rejects paths that could escape the extraction folder; returns the normalized path. */
function checkPath(raw: string, archive: string): string {
  const bad = raw.startsWith("/") || raw.includes("\\") || /^[A-Za-z]:/.test(raw) ||
    raw.includes("\0");
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (bad || parts.includes("..") || parts.length === 0) {
    throw new RangeError(
      `Cannot read tar ${archive}: entry "${raw}" is absolute or escapes its folder ("..", "/", "\\" or a drive); ` +
        `refusing the whole archive`,
    );
  }
  return parts.join("/");
}

function headerName(header: Uint8Array): string {
  const base = cString(header.subarray(0, 100));
  const magic = decoder.decode(header.subarray(257, 262));
  const prefix = magic === "ustar" ? cString(header.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${base}` : base;
}

function checkHeaderSum(header: Uint8Array, archive: string, offset: number): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  const stored = readNumber(header.subarray(148, 156), archive, offset);
  if (stored !== sum) {
    throw new SyntaxError(
      `Cannot read tar ${archive}: the header at byte ${offset} has checksum ${stored}, computed ${sum} (not a tar file, or corrupt)`,
    );
  }
}

/** An octal field (NUL/space terminated) or GNU base-256 when the high bit is set. */
function readNumber(field: Uint8Array, archive: string, offset: number): number {
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = decoder.decode(field).replace(/[\0 ]+$/g, "").trim();
  if (!/^[0-7]*$/.test(text)) {
    throw new SyntaxError(
      `Cannot read tar ${archive}: the header at byte ${offset} has a non-octal number "${text}"`,
    );
  }
  return text === "" ? 0 : parseInt(text, 8);
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The value of `key` in a pax extended header (`"<len> key=value\n"` records). */
function paxRecord(data: Uint8Array, key: string): string | null {
  const text = decoder.decode(data);
  let found: string | null = null;
  for (const line of text.split("\n")) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (m && m[1] === key) found = m[2];
  }
  return found;
}
