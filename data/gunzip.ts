/** gzip decompression through the web-standard DecompressionStream (Deno, Bun, browsers). */

import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** Options of {@link gunzip}. */
export interface GunzipOptions {
  /** How the data is called in error messages. @default "gzip data" */
  name?: string;
  /**
   * Refuse to produce more than this many bytes (guards against gzip bombs): decompression
   * stops as soon as the output passes it. @default 256 MiB
   */
  maxBytes?: number;
}

/** Default output cap of {@link gunzip}: 256 MiB (the largest dataset file, CIFAR-10's tar, is 184 MB). */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Data larger than its known or allowed size (a download or a decompressed output):
 * the wrong file, an endless body or a decompression bomb. Never retried; nothing is cached.
 */
export class SizeLimitError extends RangeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SizeLimitError";
  }
}

const INPUT_PIECE = 4096;

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a gzip file into one Uint8Array. Dataset files are single-member
 * gzip; concatenated members decompress in Bun but are rejected by Deno 2's
 * DecompressionStream (a SyntaxError), so don't rely on them.
 *
 * The output buffer is sized from the gzip trailer's ISIZE (the length mod 2^32)
 * when that is plausible, so a 47 MB MNIST file is decompressed without regrowing;
 * the output never grows past `maxBytes` (a {@link SizeLimitError} the moment it would).
 * A corrupt or truncated stream is a SyntaxError naming the data.
 *
 * @example
 * ```ts
 * import { gunzip } from "./gunzip.ts";
 * const gz = await new Response(
 *   new Blob([new TextEncoder().encode("hello")]).stream().pipeThrough(new CompressionStream("gzip")),
 * ).bytes();
 * console.log(new TextDecoder().decode(await gunzip(gz))); // hello
 * ```
 */
export async function gunzip(bytes: Uint8Array, options: GunzipOptions = {}): Promise<Uint8Array> {
  checkArgumentCount("Cannot gunzip", arguments.length, 2);
  checkOptions("Cannot gunzip", options, ["name", "maxBytes"]);
  const { name = "gzip data", maxBytes = DEFAULT_MAX_BYTES } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(
      `Cannot gunzip ${name}: expected maxBytes ≥ 0 (an integer), got ${maxBytes}`,
    );
  }
  if (!isGzip(bytes)) {
    throw new SyntaxError(
      `Cannot gunzip ${name}: it does not start with the gzip magic number 1f 8b`,
    );
  }
  const hint = bytes.length >= 18
    ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true)
    : 0;
  let out = new Uint8Array(hint > 0 && hint <= maxBytes ? hint : Math.min(maxBytes, 1 << 16));
  let length = 0;
  // Fed in small pieces because a decompressor may inflate a whole input chunk at once (Deno
  // does): 4 KiB of deflate data yields at most ~4 MiB, so the cap below is checked in time.
  let at = 0;
  const input = new ReadableStream<BufferSource>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at += INPUT_PIECE) as Uint8Array<ArrayBuffer>);
    },
  }, { highWaterMark: 0 });
  const stream = input.pipeThrough(new DecompressionStream("gzip"));
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > out.length) {
        if (length + value.length > maxBytes) {
          throw new SizeLimitError(
            `Cannot gunzip ${name}: the output passes ${maxBytes} bytes, the most expected ` +
              `(a decompression bomb or the wrong file); stopped after ${
                length + value.length
              } bytes`,
          );
        }
        const grown = new Uint8Array(
          Math.min(maxBytes, Math.max(2 * out.length, length + value.length)),
        );
        grown.set(out.subarray(0, length));
        out = grown;
      }
      out.set(value, length);
      length += value.length;
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (error instanceof RangeError) throw error;
    throw new SyntaxError(
      `Cannot gunzip ${name}: the stream is corrupt or truncated after ${length} output bytes (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
  return length === out.length ? out : out.subarray(0, length);
}
