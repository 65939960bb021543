/** gzip decompression through the web-standard DecompressionStream (Deno, Bun, browsers). */

/** Options of {@link gunzip}. */
export interface GunzipOptions {
  /** How the data is called in error messages. @default "gzip data" */
  name?: string;
  /** Refuse to produce more than this many bytes (guards against gzip bombs). @default 2 ** 31 - 1 */
  maxBytes?: number;
}

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
 * when that is plausible, so a 47 MB MNIST file is decompressed without regrowing.
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
  const { name = "gzip data", maxBytes = 2 ** 31 - 1 } = options;
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
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > out.length) {
        if (length + value.length > maxBytes) {
          throw new RangeError(`Cannot gunzip ${name}: the output exceeds maxBytes ${maxBytes}`);
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
