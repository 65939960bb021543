/**
 * Internal: downloads one file from one mirror (http(s) URL, file:// URL or a local
 * directory) with a stall timeout, progress reports and retries with exponential
 * backoff on network errors, timeouts, truncated bodies and 5xx/429 responses.
 */

import { fileUrlToPath, isNotFound, joinPath, readLocalFile } from "./_fs.ts";

/** Progress callback: bytes received so far and the total when the server announced it. */
export type ProgressCallback = (bytes: number, total: number | undefined) => void;

/** Transfer options shared by fetchCached and the dataset loaders. */
export interface DownloadOptions {
  /** Longest wait, in ms, for the response headers or for the next chunk of the body. @default 30000 */
  timeoutMs?: number;
  /** Extra attempts per mirror after a retryable failure. @default 2 */
  retries?: number;
  /** Delay before the first retry; doubled for each further retry. @default 500 */
  backoffMs?: number;
  /** Called as bytes arrive (at least once per file, with the final count). */
  onProgress?: ProgressCallback;
}

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

/** The location of `name` in `mirror`: an http(s) URL, or a local path for file:// URLs and directories. */
export function locate(mirror: string, name: string): { kind: "http" | "local"; where: string } {
  if (/^https?:\/\//i.test(mirror)) {
    return { kind: "http", where: mirror.replace(/\/*$/, "/") + name };
  }
  if (/^file:\/\//i.test(mirror)) {
    return { kind: "local", where: joinPath(fileUrlToPath(mirror), name) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(mirror)) {
    throw new TypeError(
      `Cannot use mirror ${mirror}: expected an http(s) URL, a file:// URL or a directory path`,
    );
  }
  return { kind: "local", where: joinPath(mirror, name) };
}

/**
 * Downloads `where` (from {@link locate}) with retries; resolves to the raw bytes.
 * Rejects with the last error and its try count attached as `tries`.
 */
export async function downloadOne(
  target: { kind: "http" | "local"; where: string },
  options: DownloadOptions = {},
): Promise<{ bytes: Uint8Array; tries: number }> {
  const { retries = 2, backoffMs = 500 } = options;
  if (target.kind === "local") {
    const bytes = await readLocalFile(target.where).catch((error) => {
      throw Object.assign(asError(error), { tries: 1 });
    });
    options.onProgress?.(bytes.length, bytes.length);
    return { bytes, tries: 1 };
  }
  for (let attempt = 0;; attempt++) {
    try {
      return { bytes: await httpGet(target.where, options), tries: attempt + 1 };
    } catch (error) {
      if (attempt >= retries || !isRetryable(error)) {
        throw Object.assign(asError(error), { tries: attempt + 1 });
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** attempt));
    }
  }
}

/** Network errors, timeouts, truncated bodies, 5xx and 429 are worth another try; 404 and friends are not. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof HttpStatusError) return error.status >= 500 || error.status === 429;
  return !isNotFound(error);
}

async function httpGet(url: string, options: DownloadOptions): Promise<Uint8Array> {
  const { timeoutMs = 30_000, onProgress } = options;
  const controller = new AbortController();
  // Racing every await against a fresh timer covers both a silent server and one that stalls mid-body.
  const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new Error(`Timed out after ${timeoutMs} ms waiting for ${what} from ${url}`);
        error.name = "TimeoutError";
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  const response = await withTimeout(
    fetch(url, { signal: controller.signal, redirect: "follow" }),
    "the response",
  );
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new HttpStatusError(response.status, url);
  }
  const encoded = (response.headers.get("content-encoding") ?? "identity") !== "identity";
  const announced = Number(response.headers.get("content-length"));
  const total = !encoded && Number.isFinite(announced) && announced > 0 ? announced : undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    while (true) {
      const { done, value } = await withTimeout(
        reader.read(),
        `more of the body after ${received} bytes`,
      );
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress?.(received, total);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  if (total !== undefined && received !== total) {
    throw new Error(`Truncated download from ${url}: received ${received} of ${total} bytes`);
  }
  if (received === 0) onProgress?.(0, total);
  return concat(chunks, received);
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
