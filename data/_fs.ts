/**
 * Internal file-system and environment helpers for data/: the only data/ file that
 * imports `node:` modules (node:fs/promises, node:path, node:os work unchanged in
 * Deno and Bun). Everything here stays inside the directory it is given.
 */

import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { homedir } from "node:os";
import { SizeLimitError } from "./gunzip.ts";

/** An environment variable in Deno (needs --allow-env; undefined when denied) or Bun/Node. */
export function getEnv(name: string): string | undefined {
  const g = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (g.Deno) return g.Deno.env.get(name) || undefined;
  } catch {
    return undefined; // permission denied: behave as unset
  }
  return g.process?.env?.[name] || undefined;
}

/**
 * The cache directory: `explicit`, else `$SHARDGRAD_CACHE`, else
 * `$XDG_CACHE_HOME/shardgrad`, else `~/.cache/shardgrad`. Always absolute.
 */
export function defaultCacheDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const own = getEnv("SHARDGRAD_CACHE");
  if (own) return resolve(own);
  const xdg = getEnv("XDG_CACHE_HOME");
  if (xdg) return resolve(xdg, "shardgrad");
  return resolve(homedir(), ".cache", "shardgrad");
}

/**
 * `root/rel`, refusing anything that would land outside `root`: absolute paths,
 * `..` segments, backslashes and NUL bytes are rejected with a RangeError.
 */
export function safeJoin(root: string, rel: string, where = "Cannot use cache path"): string {
  const parts = rel.split("/");
  if (
    rel === "" || isAbsolute(rel) || rel.includes("\\") || rel.includes("\0") ||
    parts.some((p) => p === ".." || p === "." || p === "")
  ) {
    throw new RangeError(
      `${where}: "${rel}" must be a relative path of plain names (no "..", no leading "/")`,
    );
  }
  const full = resolve(root, ...parts);
  const back = relative(resolve(root), full);
  if (back.startsWith("..") || isAbsolute(back)) {
    throw new RangeError(`${where}: "${rel}" resolves outside ${root}`);
  }
  return full;
}

/** Joins a local mirror directory and a file name (plain join, the name is checked by the caller). */
export function joinPath(dir: string, name: string): string {
  return join(dir, ...name.split("/"));
}

/** The file's bytes, or null when it does not exist. Other errors propagate. */
export async function readFileOrNull(path: string): Promise<Uint8Array | null> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** The file's bytes; a missing file rejects with its ENOENT error (code "ENOENT"). */
export async function readLocalFile(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * The bytes of the regular file at `path`, refusing one larger than `maxBytes` before
 * reading it (a device such as /dev/zero, or a FIFO, is refused too: it could be endless).
 * `name` is the file asked for, used in the message. A missing file rejects with ENOENT.
 */
export async function readLocalFileBounded(
  path: string,
  maxBytes: number,
  name: string,
): Promise<Uint8Array> {
  const file = await open(path, "r");
  try {
    const info = await file.stat();
    if (!info.isFile()) {
      throw new SizeLimitError(`Refused ${path}: it is not a regular file (expected ${name})`);
    }
    if (info.size > maxBytes) {
      throw new SizeLimitError(
        `Refused ${path}: it is ${info.size} bytes, more than the ${maxBytes} expected at most for ${name}; nothing was cached`,
      );
    }
    const buf = await file.readFile();
    if (buf.byteLength > maxBytes) {
      throw new SizeLimitError(`Refused ${path}: it grew past ${maxBytes} bytes while being read`);
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    await file.close();
  }
}

/**
 * The cache directory cannot be created or written (read-only, a regular file in its
 * path, no permission). The message names the folder and how to choose another one.
 */
export class CacheDirError extends Error {
  constructor(readonly dir: string, cause: unknown) {
    const code = (cause as { code?: string } | null)?.code;
    super(
      `Cannot write the data cache ${dir}: ${code ? `${code}, ` : ""}${
        (cause as Error)?.message ?? cause
      }. ` +
        `Set SHARDGRAD_CACHE to a writable folder (or pass cacheDir) to cache datasets elsewhere`,
      { cause },
    );
    this.name = "CacheDirError";
  }
}

/**
 * Creates `dir` if needed and checks that a file can be written in it (a probe file,
 * removed at once), so an unusable cache is reported before anything is downloaded.
 * Throws a {@link CacheDirError}.
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  const probe = join(dir, `.write-probe.${crypto.randomUUID()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    throw new CacheDirError(dir, error);
  }
}

/** Size in bytes of a file, or null when it does not exist. */
export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** True when `path` is an existing directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `bytes` to `path` atomically: a temp file next to it with a name unique to
 * this call (`<name>.<uuid>.tmp`), then `rename`, which replaces the target in one
 * step on POSIX. Concurrent writers of the same content therefore always leave one
 * complete file; the temp file is removed if anything fails.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/** True for ENOENT (and ENOTDIR) errors from node:fs in Deno and Bun. */
export function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || (error as Error)?.name === "NotFound";
}

/** A file:// URL's local path (percent-decoded). */
export function fileUrlToPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  return sep === "\\" ? path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\") : path;
}
