/**
 * fetchCached: download a data file once from a list of mirrors, verify it, keep it
 * in the cache directory and serve later calls from there without any request.
 *
 * The cache holds the DECOMPRESSED, verified bytes (`<cacheDir>/<cacheName>`) next
 * to a small `<cacheName>.meta.json` ({ sha256, source, check }) written after it;
 * every read re-hashes the file, so a corrupt or half-replaced cache entry is
 * detected and fetched again; an entry whose meta file is missing or unreadable is
 * fetched and verified again too, never trusted. Files are written as a temp file plus
 * `rename`, so concurrent processes fetching the same file always leave one complete file.
 * Local mirrors (directories, file:// URLs) go through the same cache, so a later call
 * without that mirror still finds the file.
 *
 * Every download is bounded: by the file's known size when given (`size`), else by
 * `maxBytes`, both for the bytes read from a mirror and for the decompressed output, and
 * by a stall timeout plus an overall deadline per attempt.
 */

import { defaultCacheDir, ensureWritableDir, isNotFound } from "./_fs.ts";
import { readCached, sha256Hex, writeCached } from "./_cache.ts";
import {
  type Attempt,
  DOWNLOAD_OPTION_KEYS,
  downloadOne,
  type DownloadOptions,
  FetchError,
  locate,
} from "./_download.ts";
import { DEFAULT_MAX_BYTES, gunzip, isGzip, SizeLimitError } from "./gunzip.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

export {
  type Attempt,
  DOWNLOAD_OPTION_KEYS,
  type DownloadOptions,
  FetchError,
  type ProgressCallback,
} from "./_download.ts";
export { CacheDirError } from "./_fs.ts";
export { type CacheMeta, readCached, readCacheMeta, sha256Hex, writeCached } from "./_cache.ts";
export { DEFAULT_MAX_BYTES, SizeLimitError } from "./gunzip.ts";

/** Options of {@link fetchCached}. */
export interface FetchCachedOptions extends DownloadOptions {
  /** Where to look, in order: http(s) base URLs, file:// URLs or directory paths holding `name`. */
  mirrors: readonly string[];
  /** Lowercase hex sha256 of the DECOMPRESSED bytes; without it the cache trusts its meta file. */
  sha256?: string;
  /**
   * Exact length in bytes of the DECOMPRESSED file, when known. Bounds the download
   * (`size` plus gzip's worst-case overhead) and the decompression (`size`): a mirror
   * sending more is stopped at once. A file of another length is refused.
   */
  size?: number;
  /**
   * Most bytes accepted from a mirror and most bytes of decompressed output.
   * @default `size` + 1/256 + 1 KiB when `size` is given, else {@link DEFAULT_MAX_BYTES} (256 MiB)
   */
  maxBytes?: number;
  /** Cache root. @default $SHARDGRAD_CACHE, else $XDG_CACHE_HOME/shardgrad, else ~/.cache/shardgrad */
  cacheDir?: string;
  /** Path inside the cache (relative, no `..`). @default `name` without `.gz` */
  cacheName?: string;
  /** Decompress gzip data (detected by its magic number). @default true */
  gunzip?: boolean;
  /** Copy files found on a local mirror (directory or file://) into the cache too. @default true */
  cacheLocal?: boolean;
}

const FETCH_CACHED_KEYS = [
  "mirrors",
  "sha256",
  "size",
  "maxBytes",
  "cacheDir",
  "cacheName",
  "gunzip",
  "cacheLocal",
  ...DOWNLOAD_OPTION_KEYS,
];

/** The downloaded bytes did not match the expected sha256; nothing was cached. */
export class ChecksumError extends Error {
  /** @param expected hex sha256 wanted @param actual hex sha256 found @param source URL or path the bytes came from */
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly source: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot verify ${source}: sha256 of its decompressed bytes is ${actual}, expected ${expected}; ` +
        `the file was not cached (a corrupt download, or a mirror holding another file)`,
      options,
    );
    this.name = "ChecksumError";
  }
}

/**
 * Returns the decompressed bytes of `name`, from the cache when a verified copy is
 * there (no request at all), else from the first mirror that delivers bytes whose
 * sha256 matches; those are written atomically into the cache before returning.
 * Mirrors are tried in order; network errors, timeouts and 5xx are retried with
 * exponential backoff, a 404 moves on at once. Nothing is written outside `cacheDir`.
 *
 * Errors: a {@link ChecksumError} when some mirror delivered wrong bytes and none
 * delivered right ones (likewise the first content error, e.g. a corrupt gzip, when
 * bytes arrived but could not be used); otherwise a {@link FetchError} listing every
 * URL tried and how to point at a local copy.
 *
 * @example
 * ```ts ignore
 * const bytes = await fetchCached("train-labels-idx1-ubyte.gz", {
 *   mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "/data/mnist"],
 *   sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
 *   cacheName: "mnist/train-labels-idx1-ubyte",
 * });
 * ```
 */
export async function fetchCached(name: string, options: FetchCachedOptions): Promise<Uint8Array> {
  const where = `Cannot fetch ${name}`;
  checkArgumentCount(where, arguments.length, 2);
  checkOptions(where, options, FETCH_CACHED_KEYS);
  if (!Array.isArray(options?.mirrors)) {
    throw new TypeError(`${where}: expected options.mirrors to be an array of URLs or folders`);
  }
  const { size } = options;
  for (const [key, value] of [["size", size], ["maxBytes", options.maxBytes]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`${where}: expected ${key} to be an integer ≥ 0, got ${value}`);
    }
  }
  const maxBytes = options.maxBytes ??
    (size !== undefined ? size + Math.ceil(size / 256) + 1024 : DEFAULT_MAX_BYTES);
  const cacheDir = defaultCacheDir(options.cacheDir);
  const cacheName = options.cacheName ?? name.replace(/\.gz$/, "");
  const expected = options.sha256?.toLowerCase();
  const cached = await readCached(cacheDir, cacheName, expected, size);
  if (cached) return cached;
  await ensureWritableDir(cacheDir);
  const transfer = { ...options, maxBytes };
  return await fromMirrors(name, transfer, cacheDir, async (raw, source, local) => {
    const bytes = options.gunzip !== false && isGzip(raw)
      ? await gunzip(raw, { name: source, maxBytes: size ?? maxBytes })
      : raw;
    if (size !== undefined && bytes.length !== size) {
      const error = bytes.length > size ? SizeLimitError : RangeError;
      throw new error(
        `Cannot use ${source}: ${name} decompresses to ${bytes.length} bytes, expected ${size}; nothing was cached`,
      );
    }
    const actual = await sha256Hex(bytes);
    if (expected && actual !== expected) throw new ChecksumError(expected, actual, source);
    if (!local || options.cacheLocal !== false) {
      await writeCached(cacheDir, cacheName, bytes, {
        sha256: actual,
        source,
        check: expected ? "sha256" : "none",
      });
    }
    return bytes;
  });
}

/**
 * Tries `name` on every mirror in order and returns what `accept` makes of the first
 * raw bytes it does not reject. Used by fetchCached and by loaders (CIFAR-10) that
 * verify and unpack archives themselves.
 */
export async function fromMirrors<T>(
  name: string,
  options: { mirrors: readonly string[]; maxBytes: number } & DownloadOptions,
  cacheDir: string,
  accept: (raw: Uint8Array, source: string, local: boolean) => Promise<T>,
): Promise<T> {
  const attempts: Attempt[] = [];
  const contentErrors: Error[] = [];
  for (const mirror of options.mirrors) {
    let target;
    try {
      target = locate(mirror, name);
    } catch (error) {
      attempts.push({ source: mirror, tries: 0, error: error as Error });
      continue;
    }
    const candidates = target.kind === "local" && name.endsWith(".gz")
      ? [target, { ...target, where: target.where.slice(0, -3) }] // a directory may hold the file unpacked
      : [target];
    for (const candidate of candidates) {
      let tries = 0;
      let downloaded = false;
      try {
        const { bytes, tries: made } = await downloadOne(candidate, options, options.maxBytes);
        tries = made;
        downloaded = true;
        return await accept(bytes, candidate.where, candidate.kind === "local");
      } catch (error) {
        tries ||= (error as { tries?: number }).tries ?? 1;
        attempts.push({ source: candidate.where, tries, error: error as Error });
        // Too many bytes is the mirror's content, not a network fault: report it as such.
        if (downloaded || error instanceof SizeLimitError) contentErrors.push(error as Error);
        if (candidate !== target || !isNotFound(error)) break;
      }
    }
  }
  // Bytes arrived but were wrong (checksum, corrupt gzip, unsafe tar…): that error, not "offline", is the news.
  const all = () => new AggregateError(attempts.map((a) => a.error), listAttempts(attempts));
  const checksum = contentErrors.find((e) => e instanceof ChecksumError) as
    | ChecksumError
    | undefined;
  if (checksum) {
    throw new ChecksumError(checksum.expected, checksum.actual, checksum.source, { cause: all() });
  }
  if (contentErrors.length > 0) {
    const first = contentErrors[0];
    if (attempts.length > 1 && first.cause === undefined) Object.assign(first, { cause: all() });
    throw first;
  }
  throw new FetchError(
    `Cannot fetch ${name}: ${
      options.mirrors.length === 0 ? "no mirrors were given" : "every mirror failed"
    } ` +
      `and no verified copy is in the cache (${cacheDir}).\n${listAttempts(attempts)}\n` +
      `To use a local copy, put ${name} in a directory and pass { mirrors: ["/path/to/dir"] } or set ` +
      `SHARDGRAD_DATA_MIRROR=/path/to/dir (a file:// or http(s) URL holding the same file names works too).`,
    attempts,
  );
}

/** The resolved cache directory for `explicit` (see {@link FetchCachedOptions.cacheDir}). */
export function resolveCacheDir(explicit?: string): string {
  return defaultCacheDir(explicit);
}

function listAttempts(attempts: Attempt[]): string {
  return attempts
    .map((a) =>
      `  - ${a.source}${
        a.tries > 1 ? ` (${a.tries} tries)` : ""
      }: ${a.error.name}: ${a.error.message}`
    )
    .join("\n");
}
