/**
 * Internal: the file-system steps checkpoints are built from — durable writes (data and
 * directory entries fsync'd), atomic replacement of files and symlinks by rename, the temp
 * names a crash can leave behind, and bounded reads of safetensors and JSON files.
 */

import { mkdir, open, readFile, rename, rm, stat, symlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  decodeSafetensors,
  parseSafetensorsHeader,
  type SafetensorsFile,
  safetensorsHeaderLength,
} from "./safetensors.ts";

/** What may be written: bytes, a string (UTF-8), or chunks (so large files need no single buffer). */
export type FileData = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The steps of a checkpoint save, in order (see `saveHooks`). */
export const SAVE_STEPS = [
  "cleaned",
  "model.safetensors",
  "model.json",
  "optimizer.safetensors",
  "state.json",
  "generation",
  "latest",
  "links",
  "pruned",
] as const;

/** One of `SAVE_STEPS`: after "latest", the new checkpoint is the one that loads. */
export type SaveStep = typeof SAVE_STEPS[number];

/**
 * For the crash tests only: called after each step of `saveCheckpoint`, so a test child
 * can kill itself at an exact step. Nothing in the library sets it.
 */
export const saveHooks: { afterStep?: (step: SaveStep) => void | Promise<void> } = {};

/** `.name.1a2b3c4d.tmp`: every temp file, folder or link this module creates is named so. */
export function tempName(name: string): string {
  return `.${name}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/** Matches `tempName` results: what an interrupted write leaves behind. */
export const TEMP_NAME = /^\..+\.[0-9a-f]{8}\.tmp$/;

/** JSON files of a checkpoint are small; a bigger one is not what it claims to be. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Reads at most this much per call (one read() of 2 GiB or more fails on Linux). */
const READ_CHUNK = 64 * 1024 * 1024;

/** Creates `path` (which must not exist) with `data`, flushed to disk before it returns. */
export async function writeFileDurable(path: string, data: FileData): Promise<void> {
  const handle = await open(path, "wx");
  try {
    const chunks = typeof data === "string"
      ? [new TextEncoder().encode(data)]
      : data instanceof Uint8Array
      ? [data]
      : data;
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (created, renamed, removed names) to disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically: into a temp file beside it, flushed to disk, renamed
 * over `path`, and the folder flushed. If anything fails (or the process dies) before the
 * rename, the previous file is untouched; a failed write removes its temp file (one left
 * by a killed process is removed by the next `saveCheckpoint` into that folder).
 */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), tempName(basename(path)));
  try {
    await writeFileDurable(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** Points the symlink `path` at `target` atomically (a temp link renamed over it). */
export async function replaceSymlink(path: string, target: string): Promise<void> {
  const temp = join(dirname(path), tempName(basename(path)));
  try {
    await symlink(target, temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Reads a safetensors file in bounded steps: the 8-byte length, then the header, checked
 * against the file's size (`parseSafetensorsHeader`), and only then the data. A file that
 * is not safetensors, or whose header claims more than the file holds, is refused after
 * reading at most its header (never read whole).
 */
export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  const handle = await open(path, "r").catch((error) => {
    throw readError(path, error);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new TypeError(`Cannot read checkpoint file ${path}: not a regular file`);
    }
    const size = info.size;
    const first = await readAt(handle, path, new Uint8Array(Math.min(8, size)), 0);
    const headerLength = safetensorsHeaderLength(first, size, path);
    const header = await readAt(handle, path, new Uint8Array(headerLength), 8);
    parseSafetensorsHeader(header, size, path);
    const bytes = new Uint8Array(size);
    bytes.set(first);
    bytes.set(header, 8);
    await readAt(handle, path, bytes.subarray(8 + headerLength), 8 + headerLength);
    return decodeSafetensors(bytes, path);
  } finally {
    await handle.close();
  }
}

/** Reads a JSON file of at most 64 MB; errors name the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  const info = await stat(path).catch((error) => {
    throw readError(path, error);
  });
  if (!info.isFile()) {
    throw new TypeError(`Cannot read checkpoint file ${path}: not a regular file`);
  }
  if (info.size > MAX_JSON_BYTES) {
    throw new RangeError(
      `Cannot read checkpoint file ${path}: it is ${info.size} bytes, above the ${MAX_JSON_BYTES}-byte limit for JSON`,
    );
  }
  const text = await readFile(path, "utf8").catch((error) => {
    throw readError(path, error);
  });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read checkpoint file ${path}: not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Whether `error` is "no such file or directory". */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "ENOENT";
}

function readError(path: string, error: unknown): Error {
  return new Error(`Cannot read checkpoint file ${path}: ${(error as Error).message}`, {
    cause: error,
  });
}

type Handle = Awaited<ReturnType<typeof open>>;

/** Fills `into` from `position`; a file that ends early (it shrank while read) is an error. */
async function readAt(
  handle: Handle,
  path: string,
  into: Uint8Array,
  position: number,
): Promise<Uint8Array> {
  let done = 0;
  while (done < into.length) {
    const length = Math.min(READ_CHUNK, into.length - done);
    const { bytesRead } = await handle.read(into, done, length, position + done);
    if (bytesRead === 0) {
      throw new RangeError(
        `Cannot read checkpoint file ${path}: it ended at byte ${position + done}, before the ${
          position + into.length
        } its size promised (changed while read?)`,
      );
    }
    done += bytesRead;
  }
  return into;
}
