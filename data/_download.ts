/**
 * Internal: downloads one file from one mirror (http(s) URL, file:// URL or a local
 * directory) with a stall timeout, an overall deadline, a byte cap, progress reports and
 * retries with exponential backoff on network errors, timeouts, truncated bodies and
 * 5xx/429 responses. The body is streamed into one buffer (sized from Content-Length when
 * the server announces one), never collected twice.
 */

import { fileUrlToPath, isNotFound, joinPath, readLocalFileBounded } from "./_fs.ts";
import { SizeLimitError } from "./gunzip.ts";

/** Progress callback: bytes received so far and the total when the server announced it. */
export type ProgressCallback = (bytes: number, total: number | undefined) => void;

/** Transfer options shared by fetchCached and the dataset loaders. */
export interface DownloadOptions {
  /** Longest wait, in ms, for the response headers or for the next chunk of the body. @default 30000 */
  timeoutMs?: number;
  /**
   * Longest time, in ms, one attempt (request + whole body) may take, however steadily
   * bytes arrive: a server dripping one byte a second never trips `timeoutMs`. @default 1200000 (20 min)
   */
  deadlineMs?: number;
  /** Extra attempts per mirror after a retryable failure. @default 2 */
  retries?: number;
  /** Delay before the first retry; doubled for each further retry. @default 500 */
  backoffMs?: number;
  /** Called as bytes arrive (at least once per file, with the final count). */
  onProgress?: ProgressCallback;
}

/** Option keys of {@link DownloadOptions}, for run-time option checks. */
export const DOWNLOAD_OPTION_KEYS: readonly string[] = Object.freeze([
  "timeoutMs",
  "deadlineMs",
  "retries",
  "backoffMs",
  "onProgress",
]);

/** Default overall deadline of one attempt: 20 minutes (the 170 MB CIFAR-10 archive at ~150 KB/s). */
export const DEFAULT_DEADLINE_MS = 20 * 60_000;

/** A failed HTTP response. 5xx and 429 are retried; other statuses move on to the next mirror. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, readonly url: string) {
    super(`HTTP ${status} from ${url}`);
    this.name = "HttpStatusError";
  }
}

/** Why a source was given up on, for the final error message. */
export interface Attempt {
  /** The URL or path that was tried. */
  source: string;
  /** How many requests were made to it. */
  tries: number;
  /** The last error. */
  error: Error;
}

/** Every mirror failed. `attempts` lists each source with its last error. */
export class FetchError extends Error {
  constructor(message: string, readonly attempts: Attempt[]) {
    super(message, { cause: new AggregateError(attempts.map((a) => a.error), message) });
    this.name = "FetchError";
  }
}

/** Where a file is: `where` is the URL or path of `name` on `mirror`. */
export interface Target {
  kind: "http" | "local";
  where: string;
  /** The file name asked for (for error messages). */
  name: string;
  /** The mirror as given (for error messages). */
  mirror: string;
}

/** The location of `name` in `mirror`: an http(s) URL, or a local path for file:// URLs and directories. */
export function locate(mirror: string, name: string): Target {
  if (/^https?:\/\//i.test(mirror)) {
    return { kind: "http", where: mirror.replace(/\/*$/, "/") + name, name, mirror };
  }
  if (/^file:\/\//i.test(mirror)) {
    return { kind: "local", where: joinPath(fileUrlToPath(mirror), name), name, mirror };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(mirror)) {
    throw new TypeError(
      `Cannot use mirror ${mirror}: expected an http(s) URL, a file:// URL or a directory path`,
    );
  }
  return { kind: "local", where: joinPath(mirror, name), name, mirror };
}

/**
 * Downloads `target` (from {@link locate}) with retries, accepting at most `maxBytes`
 * bytes (after any Content-Encoding the server applied); resolves to the raw bytes.
 * Rejects with the last error and its try count attached as `tries`. A
 * {@link SizeLimitError} is never retried: the mirror is sending something else.
 */
export async function downloadOne(
  target: Target,
  options: DownloadOptions,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; tries: number }> {
  const { retries = 2, backoffMs = 500 } = options;
  if (target.kind === "local") {
    const bytes = await readLocalFileBounded(target.where, maxBytes, target.name).catch((error) => {
      throw Object.assign(asError(error), { tries: 1 });
    });
    options.onProgress?.(bytes.length, bytes.length);
    return { bytes, tries: 1 };
  }
  for (let attempt = 0;; attempt++) {
    try {
      return { bytes: await httpGet(target, options, maxBytes), tries: attempt + 1 };
    } catch (error) {
      if (attempt >= retries || !isRetryable(error)) {
        throw Object.assign(asError(error), { tries: attempt + 1 });
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** attempt));
    }
  }
}

/** Network errors, timeouts, truncated bodies, 5xx and 429 are worth another try; 404, size limits and friends are not. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof HttpStatusError) return error.status >= 500 || error.status === 429;
  if (error instanceof SizeLimitError) return false;
  return !isNotFound(error);
}

async function httpGet(
  target: Target,
  options: DownloadOptions,
  maxBytes: number,
): Promise<Uint8Array> {
  const { timeoutMs = 30_000, deadlineMs = DEFAULT_DEADLINE_MS, onProgress } = options;
  const url = target.where;
  const controller = new AbortController();
  let received = 0;
  const timeoutError = (message: string) => {
    const error = new Error(`${message} (mirror ${target.mirror})`);
    error.name = "TimeoutError";
    return error;
  };
  // One deadline for the whole attempt, raced against every await together with a fresh stall timer.
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    deadlineTimer = setTimeout(() => {
      const error = timeoutError(
        `Timed out: downloading ${url} took longer than the ${deadlineMs} ms deadline ` +
          `(${received} bytes received; pass deadlineMs to allow more)`,
      );
      controller.abort(error);
      reject(error);
    }, deadlineMs);
  });
  deadline.catch(() => {});
  const withTimeout = <T>(promise: Promise<T>, what: () => string): Promise<T> =>
    Promise.race([
      deadline,
      new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          const error = timeoutError(
            `Timed out after ${timeoutMs} ms waiting for ${what()} from ${url}`,
          );
          controller.abort(error);
          reject(error);
        }, timeoutMs);
        promise.then(resolve, reject).finally(() => clearTimeout(timer));
      }),
    ]);
  try {
    const response = await withTimeout(
      // Ask for the bytes as stored and keep the runtime from inflating a Content-Encoding
      // itself (Bun's `decompress: false`; Deno leaves the body alone once Accept-Encoding is
      // set): a runtime inflates outside any cap, and Bun keeps inflating after a cancel.
      fetch(url, {
        signal: controller.signal,
        redirect: "follow",
        headers: { "accept-encoding": "identity" },
        decompress: false,
      } as RequestInit),
      () => "the response",
    );
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError(response.status, url);
    }
    // Should a runtime decode a Content-Encoding anyway, Content-Length says nothing about how
    // many bytes will come: then only the running count below bounds them.
    const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
    const announced = Number(response.headers.get("content-length") ?? NaN);
    const total = !encoded && Number.isSafeInteger(announced) && announced >= 0
      ? announced
      : undefined;
    const tooMuch = (count: string) =>
      new SizeLimitError(
        `Refused ${url} (mirror ${target.mirror}): it ${count}, more than the ${maxBytes} ` +
          `expected at most for ${target.name} (the wrong file, an endless body or a decompression bomb); ` +
          `nothing was cached`,
      );
    if (total !== undefined && total > maxBytes) {
      await response.body.cancel().catch(() => {});
      throw tooMuch(`announces ${total} bytes`);
    }
    const reader = response.body.getReader();
    let out = new Uint8Array(total ?? Math.min(maxBytes, 1 << 16));
    try {
      while (true) {
        const { done, value } = await withTimeout(
          reader.read(),
          () => `more of the body after ${received} bytes`,
        );
        if (done) break;
        if (received + value.length > maxBytes) {
          throw tooMuch(`sent at least ${received + value.length} bytes`);
        }
        if (received + value.length > out.length) {
          if (total !== undefined) {
            throw new Error(
              `Cannot download ${url}: it sent more than its Content-Length ${total}`,
            );
          }
          // No length announced: grow geometrically, never past the cap.
          const grown = new Uint8Array(
            Math.min(maxBytes, Math.max(2 * out.length, received + value.length)),
          );
          grown.set(out.subarray(0, received));
          out = grown;
        }
        out.set(value, received);
        received += value.length;
        onProgress?.(received, total);
      }
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
    if (total !== undefined && received !== total) {
      throw new Error(
        `Truncated download from ${url} (mirror ${target.mirror}): received ${received} of ${total} bytes`,
      );
    }
    if (received === 0) onProgress?.(0, total);
    return received === out.length ? out : out.subarray(0, received);
  } finally {
    clearTimeout(deadlineTimer);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
