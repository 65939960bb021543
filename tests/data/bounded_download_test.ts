/**
 * Bounded downloads (issue 11 item 8): a Content-Encoding bomb, an endless body without
 * Content-Length, a gzip bomb file and a 1-byte-per-100-ms drip each fail promptly with a
 * named error, cache nothing, and keep peak memory small. Time and memory are measured in a
 * child process under the same runtime that runs only the download (tests/_helpers/
 * measured_fetch_child.ts). Each case prints its time-to-error and peak memory growth (the
 * issue's closing note reports them).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fetchCached, sha256Hex, SizeLimitError } from "../../data/fetch_cached.ts";
import {
  gzip,
  gzipBomb,
  listFiles,
  makeIdxPair,
  type Measured,
  tempDir,
} from "../_helpers/data_fixtures.ts";
import { type Route, startLoopbackServer } from "../_helpers/loopback_server.ts";
import { runProcess, runtimeCommand } from "../train/_run_cli.ts";

const FILE = "train-labels-idx1-ubyte.gz";
const raw = makeIdxPair(60_000).labels; // 60008 bytes, the real train-labels size
const SHA = await sha256Hex(raw);
const BOMB_MIB = 128;
const BOMB = await gzipBomb(BOMB_MIB); // ~130 KB that inflates to 128 MiB
/** Peak memory growth allowed: a quarter of what the bomb would take if it were inflated. */
const MEMORY_BOUND_MIB = BOMB_MIB / 4;

const CHILD = fileURLToPath(new URL("../_helpers/measured_fetch_child.ts", import.meta.url));

/**
 * Runs `fetchCached(name, options)` in a child process under the same runtime, measured there
 * (the test runner's RSS is shared with every test module running in parallel), and returns
 * what the child saw. `settleMs`: see `measure()` in data_fixtures.ts.
 */
async function measureInChild(
  name: string,
  options: Record<string, unknown>,
  settleMs = 0,
): Promise<Measured> {
  const [command, args] = runtimeCommand(CHILD, [JSON.stringify({ name, options, settleMs })]);
  const run = await runProcess(command, args, { timeoutMs: 60_000 });
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  assert.ok(
    run.code === 0 && line.startsWith("{"),
    `the measuring child exited ${run.code}:\n${run.stdout}\n${run.stderr}`,
  );
  return JSON.parse(line) as Measured;
}

/** Serves `route` at /m/FILE, runs fetchCached in a measured child, reports and returns the result. */
async function attempt(
  label: string,
  route: Route,
  options: Record<string, unknown>,
  settleMs = 0,
): Promise<Measured & { url: string; cached: string[] }> {
  const server = await startLoopbackServer({ [`/m/${FILE}`]: route });
  const tmp = await tempDir();
  try {
    const cacheDir = join(tmp.path, "cache");
    const mirrors = [`${server.url}/m/`];
    const result = await measureInChild(
      FILE,
      { mirrors, sha256: SHA, cacheDir, retries: 0, ...options },
      settleMs,
    );
    console.log(
      `${label}: ${result.error?.name} after ${result.ms.toFixed(0)} ms, peak RSS +${
        result.rssMiB.toFixed(1)
      } MiB, ArrayBuffers +${result.arrayBuffersMiB.toFixed(1)} MiB`,
    );
    return { ...result, url: `${server.url}/m/${FILE}`, cached: await listFiles(cacheDir) };
  } finally {
    await server.close();
    await tmp.cleanup();
  }
}

/** The child's error is a SizeLimitError, compared by name: it crossed a process boundary. */
function assertSizeLimit(r: Measured): asserts r is Measured & { error: Error } {
  assert.equal(r.error?.name, "SizeLimitError", JSON.stringify(r.error));
}

function assertBounded(r: Measured & { cached: string[] }, maxMs: number): void {
  assert.ok(r.ms < maxMs, `failed after ${r.ms.toFixed(0)} ms, expected under ${maxMs} ms`);
  assert.ok(r.rssMiB < MEMORY_BOUND_MIB, `peak RSS grew ${r.rssMiB.toFixed(1)} MiB`);
  assert.ok(r.arrayBuffersMiB < MEMORY_BOUND_MIB, `ArrayBuffers grew ${r.arrayBuffersMiB} MiB`);
  assert.deepEqual(r.cached, [], "nothing is cached");
}

test("a Content-Encoding: gzip bomb is cut off at the file's known size, promptly, in bounded memory", async () => {
  const r = await attempt(
    "Content-Encoding bomb",
    { body: BOMB, headers: { "content-encoding": "gzip" } },
    { size: raw.length },
    // Bun's fetch, left to decode, went on inflating the cancelled body later (the next test saw
    // RSS +190 MiB): downloads ask for identity and take the body undecoded.
    500,
  );
  assertSizeLimit(r);
  assert.ok(r.error.message.includes(r.url), r.error.message);
  assert.match(r.error.message, new RegExp(`expected at most for ${FILE}`));
  assertBounded(r, 3000);
});
test("an endless body without Content-Length stops at maxBytes with an error naming file and mirror", async () => {
  const r = await attempt(
    "endless body",
    { body: new Uint8Array(64 * 1024).fill(7), endless: true },
    { maxBytes: 2 * 2 ** 20 },
  );
  assertSizeLimit(r);
  assert.ok(r.error.message.includes(r.url), r.error.message);
  assert.match(r.error.message, /more than the 2097152 expected at most/);
  assertBounded(r, 3000);
});

test("a gzip bomb file stops decompressing at the file's known size", async () => {
  // A file known to be 1 MB: the ~130 KB bomb passes the transfer bound, not the output bound.
  const r = await attempt("gzip bomb file", { body: BOMB }, { size: 1_000_000 });
  assertSizeLimit(r);
  assert.ok(r.error.message.includes(r.url), r.error.message);
  assert.match(r.error.message, /output passes 1000000 bytes/);
  assertBounded(r, 3000);
});

test("a server dripping one byte every 100 ms is stopped by the overall deadline", async () => {
  const gz = await gzip(raw);
  const r = await attempt("1 byte/100 ms drip", { body: gz, dripMs: 100 }, {
    timeoutMs: 1000,
    deadlineMs: 800,
  });
  assert.equal(r.error?.name, "FetchError", JSON.stringify(r.error));
  assert.match(r.error!.message, /took longer than the 800 ms deadline \(\d+ bytes received/);
  assert.ok(r.error!.message.includes(r.url), r.error!.message);
  assert.ok(r.ms >= 750, `the deadline fired early, after ${r.ms} ms`);
  assertBounded(r, 2500);
});

test("a .gz served with Content-Encoding: gzip (a common misconfiguration) is still verified and cached", async () => {
  const server = await startLoopbackServer({
    [`/m/${FILE}`]: { body: await gzip(raw), headers: { "content-encoding": "gzip" } },
  });
  const tmp = await tempDir();
  try {
    const opts = {
      mirrors: [`${server.url}/m/`],
      sha256: SHA,
      size: raw.length,
      cacheDir: tmp.path,
    };
    assert.deepEqual(await fetchCached(FILE, opts), raw);
    assert.deepEqual(await listFiles(tmp.path), [
      "train-labels-idx1-ubyte",
      "train-labels-idx1-ubyte.meta.json",
    ]);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});

test("a Content-Length above the bound is refused before the body is read", async () => {
  const r = await attempt("announced too large", { body: new Uint8Array(200_000) }, {
    size: raw.length,
  });
  assertSizeLimit(r);
  assert.match(r.error.message, /announces 200000 bytes, more than the 61267 expected at most/);
});

test("a local mirror: an oversized file is refused unread, a bomb file stops at the known size", async () => {
  const tmp = await tempDir();
  try {
    const dir = join(tmp.path, "mirror");
    const cacheDir = join(tmp.path, "cache");
    await mkdir(dir);
    await writeFile(join(dir, FILE), new Uint8Array(100_000));
    const big = await fetchCached(FILE, { mirrors: [dir], size: raw.length, cacheDir }).catch((
      e,
    ) => e);
    assert.ok(big instanceof SizeLimitError, String(big));
    assert.match(
      big.message,
      /is 100000 bytes, more than the 61267 expected at most for train-labels/,
    );
    await writeFile(join(dir, FILE), BOMB);
    const r = await measureInChild(FILE, { mirrors: [dir], size: 1_000_000, cacheDir });
    assertSizeLimit(r);
    assert.ok(r.error.message.includes(join(dir, FILE)), r.error.message);
    assert.ok(r.rssMiB < MEMORY_BOUND_MIB, `peak RSS grew ${r.rssMiB} MiB`);
    assert.deepEqual(await listFiles(cacheDir), []);
  } finally {
    await tmp.cleanup();
  }
});

test("fetchCached() with the right size succeeds (chunked body); a file of another size is refused", async () => {
  const server = await startLoopbackServer({
    [`/m/${FILE}`]: { body: await gzip(raw), noContentLength: true },
  });
  const tmp = await tempDir();
  try {
    const bytes = await fetchCached(FILE, {
      mirrors: [`${server.url}/m/`],
      sha256: SHA,
      size: raw.length,
      cacheDir: tmp.path,
    });
    assert.deepEqual(bytes, raw);
    const short = await fetchCached(FILE, {
      mirrors: [`${server.url}/m/`],
      size: raw.length + 1,
      cacheDir: join(tmp.path, "other"),
    }).catch((e) => e);
    assert.ok(short instanceof RangeError, String(short));
    assert.match(short.message, /decompresses to 60008 bytes, expected 60009; nothing was cached/);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
});
