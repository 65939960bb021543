/**
 * Fixture builders for data/ tests: gzip, gzip bombs, raw tar (no path checks), small IDX and
 * CIFAR files, temp dirs, and a memory/time probe for the bounded-download tests.
 */

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { encodeIdx } from "../../data/idx.ts";
import { CIFAR_RECORD_BYTES } from "../../data/cifar_binary.ts";
import type { Rng } from "../../tensor/rng.ts";

/** gzip through CompressionStream. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One member for {@link makeTar}; `type` is the ustar typeflag ("0" file, "5" dir, "2" symlink). */
export interface TarMember {
  path: string;
  data?: Uint8Array;
  type?: string;
}

/** A ustar archive with exactly the given paths (even unsafe ones: tests need `../evil`). */
export function makeTar(members: TarMember[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const m of members) {
    const data = m.data ?? new Uint8Array(0);
    const h = new Uint8Array(512);
    const put = (text: string, at: number, len: number) =>
      h.set(enc.encode(text).subarray(0, len), at);
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
    put(m.path, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.length, 12), 124, 12);
    put(octal(0, 12), 136, 12);
    put("        ", 148, 8);
    put(m.type ?? "0", 156, 1);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of blocks) out.set(b, at), at += b.length;
  return out;
}

/** IDX images `[n, h, w]` with pixel (i, y, x) = (i·7 + y·3 + x) mod 256, and labels i mod 10. */
export function makeIdxPair(n: number, h = 4, w = 4): { images: Uint8Array; labels: Uint8Array } {
  const pixels = Uint8Array.from({ length: n * h * w }, (_, k) => {
    const i = Math.floor(k / (h * w));
    const y = Math.floor((k % (h * w)) / w);
    return (i * 7 + y * 3 + (k % w)) % 256;
  });
  return {
    images: encodeIdx([n, h, w], pixels),
    labels: encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)),
  };
}

/** A CIFAR-10 batch file of `n` random records with label (offset + i) mod 10. */
export function makeCifarBatch(n: number, rng: Rng, offset = 0): Uint8Array {
  const out = new Uint8Array(n * CIFAR_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    out[i * CIFAR_RECORD_BYTES] = (offset + i) % 10;
    for (let k = 1; k < CIFAR_RECORD_BYTES; k++) out[i * CIFAR_RECORD_BYTES + k] = rng.randint(256);
  }
  return out;
}

/** A fresh directory under os.tmpdir(); `cleanup()` removes it. */
export async function tempDir(
  prefix = "shardgrad-data-",
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Every file below `dir`, as paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    let entries;
    try {
      entries = await readdir(join(dir, sub), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else out.push(rel);
    }
  };
  await walk("");
  return out.sort();
}

/** gzip of `mib` MiB of zeros, built from a stream (the zeros are never held at once): ~1 KB per MiB. */
export async function gzipBomb(mib: number): Promise<Uint8Array> {
  const zeros = new Uint8Array(1 << 20);
  let left = mib;
  const source = new ReadableStream<BufferSource>({
    pull(controller) {
      if (left-- > 0) controller.enqueue(zeros);
      else controller.close();
    },
  });
  return new Uint8Array(
    await new Response(source.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

/** What {@link measure} saw: the rejection (or null), wall time and peak growth of RSS and ArrayBuffers. */
export interface Measured {
  error: Error | null;
  ms: number;
  /** Peak process RSS above the value at the start, in MiB (sampled every 5 ms and at the end). */
  rssMiB: number;
  /**
   * Peak ArrayBuffer memory above the start, in MiB. Deno reports `arrayBuffers` as 0, so there
   * V8's `external` memory (ArrayBuffer backing stores and other off-heap memory) stands in.
   */
  arrayBuffersMiB: number;
}

/**
 * Runs `fn` while sampling process memory; resolves (never rejects) with what happened.
 * Sampling goes on `settleMs` after `fn` settles (work a runtime keeps doing in the
 * background, e.g. inflating the rest of a cancelled body, counts too); `ms` is `fn`'s time.
 */
export async function measure(fn: () => Promise<unknown>, settleMs = 0): Promise<Measured> {
  const usage = () => {
    const m = process.memoryUsage();
    return { rss: m.rss, ab: "Deno" in globalThis ? m.external : m.arrayBuffers };
  };
  const base = usage();
  let peak = { ...base };
  const sample = () => {
    const now = usage();
    peak = { rss: Math.max(peak.rss, now.rss), ab: Math.max(peak.ab, now.ab) };
  };
  const timer = setInterval(sample, 5);
  const started = performance.now();
  let error: Error | null = null;
  try {
    await fn();
  } catch (e) {
    error = e as Error;
  }
  const ms = performance.now() - started;
  if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  sample();
  clearInterval(timer);
  const mib = (bytes: number) => Math.max(0, bytes) / 2 ** 20;
  return { error, ms, rssMiB: mib(peak.rss - base.rss), arrayBuffersMiB: mib(peak.ab - base.ab) };
}
