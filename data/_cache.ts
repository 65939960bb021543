/**
 * Internal: the verified cache's entries: `<cacheDir>/<cacheName>` holding decompressed
 * bytes and `<cacheName>.meta.json` recording their sha256, source and the check that
 * accepted them. Re-exported by fetch_cached.ts.
 */

import { CacheDirError, fileSize, readFileOrNull, safeJoin, writeFileAtomic } from "./_fs.ts";

/** Metadata stored beside each cached file as `<cacheName>.meta.json`. */
export interface CacheMeta {
  /** sha256 (hex) of the cached bytes. */
  sha256: string;
  /** URL or path the bytes came from. */
  source: string;
  /** Which verification accepted them, e.g. "sha256", "archive sha256", "structure". */
  check: string;
}

/**
 * The cached bytes of `cacheName` if present and intact: their sha256 must equal
 * `expected` when given, else the one recorded in the meta file, and their length
 * `size` when given. Returns null when missing, corrupt, of the wrong size or without a
 * readable meta file (the caller fetches and verifies again, then overwrites it).
 */
export async function readCached(
  cacheDir: string,
  cacheName: string,
  expected?: string,
  size?: number,
): Promise<Uint8Array | null> {
  const path = safeJoin(cacheDir, cacheName);
  const length = await fileSize(path);
  if (length === null || (size !== undefined && length !== size)) return null;
  const meta = await readMeta(path);
  if (!meta) return null; // no record of how it was verified: verify it again from a mirror
  const bytes = await readFileOrNull(path);
  if (!bytes) return null;
  return (await sha256Hex(bytes)) === (expected ?? meta.sha256) ? bytes : null;
}

/** Writes `bytes` and then its meta file into the cache, each atomically. */
export async function writeCached(
  cacheDir: string,
  cacheName: string,
  bytes: Uint8Array,
  meta: CacheMeta,
): Promise<void> {
  const path = safeJoin(cacheDir, cacheName);
  try {
    await writeFileAtomic(path, bytes);
    await writeFileAtomic(`${path}.meta.json`, JSON.stringify(meta, null, 2) + "\n");
  } catch (error) {
    throw new CacheDirError(cacheDir, error);
  }
}

/** Lowercase hex sha256 of `bytes` (crypto.subtle). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The meta file of a cached entry, or null when missing or unreadable. */
export function readCacheMeta(cacheDir: string, cacheName: string): Promise<CacheMeta | null> {
  return readMeta(safeJoin(cacheDir, cacheName));
}

async function readMeta(path: string): Promise<CacheMeta | null> {
  const raw = await readFileOrNull(`${path}.meta.json`);
  if (!raw) return null;
  try {
    const meta = JSON.parse(new TextDecoder().decode(raw));
    return typeof meta?.sha256 === "string" && /^[0-9a-f]{64}$/.test(meta.sha256) &&
        typeof meta.check === "string"
      ? meta
      : null;
  } catch {
    return null;
  }
}
