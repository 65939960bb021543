/**
 * Writes a synthetic CIFAR-10 archive of the real size and layout for memory and
 * throughput measurements on machines without the real one (no network):
 * `DIR/cifar-10-binary.tar.gz` holding `cifar-10-batches-bin/data_batch_1..5.bin`,
 * `test_batch.bin` (10000 records of 1 label byte + 3072 pixel bytes each) and
 * `batches.meta.txt`. Pixels are a per-class colour plus noise (learnable, and about as
 * incompressible as the real photos: the archive is ~170 MB). Its sha256 is not the
 * published one, so train.ts needs `--allow-unverified-data` (checked by structure).
 *
 *   deno run -A bench/make_cifar_synth.ts [DIR]     (default /tmp/cifar_synth)
 *   bun bench/make_cifar_synth.ts [DIR]
 *
 * The tar is streamed through CompressionStream one batch at a time, so the script
 * itself holds ~31 MB, not the 184 MB tar.
 */

import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { CIFAR_RECORD_BYTES } from "../data/cifar_binary.ts";
import { Rng } from "../tensor/rng.ts";

const dir = process.argv[2] ?? "/tmp/cifar_synth";
const RECORDS = 10_000;
const FILES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
];

await mkdir(dir, { recursive: true });
const path = join(dir, "cifar-10-binary.tar.gz");
const gz = new CompressionStream("gzip");
const writer = gz.writable.getWriter();
const file = createWriteStream(path);
const piped = (async () => {
  let written = 0;
  for await (const chunk of gz.readable as unknown as AsyncIterable<Uint8Array>) {
    written += chunk.length;
    if (!file.write(chunk)) await new Promise((resolve) => file.once("drain", resolve));
  }
  await new Promise<void>((resolve, reject) => file.end((e?: Error) => e ? reject(e) : resolve()));
  return written;
})();

const rng = new Rng(2026);
await writer.write(header("cifar-10-batches-bin/", 0, "5"));
for (const [f, name] of FILES.entries()) {
  const bytes = batch(RECORDS, rng, f);
  await writer.write(header(`cifar-10-batches-bin/${name}`, bytes.length, "0"));
  await writer.write(bytes);
  await writer.write(new Uint8Array((512 - (bytes.length % 512)) % 512));
}
const meta = new TextEncoder().encode(
  "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n",
);
await writer.write(header("cifar-10-batches-bin/batches.meta.txt", meta.length, "0"));
await writer.write(meta);
await writer.write(new Uint8Array((512 - (meta.length % 512)) % 512 + 1024));
await writer.close();
const size = await piped;
console.log(`wrote ${path} (${size} bytes; ${FILES.length} × ${RECORDS} records)`);

/** `n` records: label (offset + i) mod 10; pixel = class colour of the channel ± noise. */
function batch(n: number, rng: Rng, offset: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n * CIFAR_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    const label = (offset * 7 + i) % 10;
    const at = i * CIFAR_RECORD_BYTES;
    out[at] = label;
    for (let c = 0; c < 3; c++) {
      const base = 40 + ((label * 53 + c * 97) % 170);
      for (let p = 0; p < 1024; p++) {
        const v = base + (rng.nextU32() % 160) - 80;
        out[at + 1 + c * 1024 + p] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}

/** A ustar header block for `path` of `size` bytes and typeflag `type`. */
function header(path: string, size: number, type: string): Uint8Array<ArrayBuffer> {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (text: string, at: number) => h.set(enc.encode(text), at);
  const octal = (v: number, len: number) => v.toString(8).padStart(len - 1, "0") + "\0";
  put(path, 0);
  put(octal(type === "5" ? 0o755 : 0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(0, 12), 136);
  put("        ", 148);
  put(type, 156);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}
