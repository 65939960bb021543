import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import {
  CacheDirError,
  ChecksumError,
  fetchCached,
  FetchError,
  resolveCacheDir,
  sha256Hex,
} from "../../data/fetch_cached.ts";
import { gzip, listFiles, makeIdxPair, tempDir } from "../_helpers/data_fixtures.ts";
import {
  type LoopbackServer,
  type Route,
  startLoopbackServer,
} from "../_helpers/loopback_server.ts";

const FILE = "train-labels-idx1-ubyte.gz";
const raw = makeIdxPair(300).labels;
const SHA = await sha256Hex(raw);
const GZ = await gzip(raw);
const FAST = { retries: 2, backoffMs: 1, timeoutMs: 2000 };

/** Runs `body` with a fresh server and cache dir, always closing and removing both. */
async function withServer(
  routes: Record<string, Route>,
  body: (s: LoopbackServer, cacheDir: string, tmp: string) => Promise<void>,
): Promise<void> {
  const server = await startLoopbackServer(routes);
  const tmp = await tempDir();
  try {
    await body(server, join(tmp.path, "cache"), tmp.path);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
}

test("fetchCached() downloads once, then serves the cache with zero requests", async () => {
  await withServer({ [`/m/${FILE}`]: { body: GZ } }, async (server, cacheDir) => {
    const opts = { ...FAST, mirrors: [`${server.url}/m/`], sha256: SHA, cacheDir };
    assert.deepEqual(await fetchCached(FILE, opts), raw);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(await listFiles(cacheDir), [
      "train-labels-idx1-ubyte",
      "train-labels-idx1-ubyte.meta.json",
    ]);
    assert.deepEqual(
      new Uint8Array(await readFile(join(cacheDir, "train-labels-idx1-ubyte"))),
      raw,
    );
    assert.deepEqual(await fetchCached(FILE, opts), raw);
    assert.equal(server.requests.length, 1, "the second call must not touch the network");
  });
});

test("fetchCached() moves to the second mirror after a 404 without retrying it", async () => {
  await withServer({ [`/b/${FILE}`]: { body: GZ } }, async (server, cacheDir) => {
    const bytes = await fetchCached(FILE, {
      ...FAST,
      mirrors: [`${server.url}/a`, `${server.url}/b`],
      sha256: SHA,
      cacheDir,
    });
    assert.deepEqual(bytes, raw);
    assert.deepEqual(server.requests, [`/a/${FILE}`, `/b/${FILE}`]);
  });
});

test("fetchCached() retries a 500 with backoff, then moves to the second mirror", async () => {
  await withServer(
    { [`/a/${FILE}`]: { status: 500 }, [`/b/${FILE}`]: { body: GZ } },
    async (server, cacheDir) => {
      const bytes = await fetchCached(FILE, {
        ...FAST,
        mirrors: [`${server.url}/a/`, `${server.url}/b/`],
        sha256: SHA,
        cacheDir,
      });
      assert.deepEqual(bytes, raw);
      assert.equal(server.count(`/a/${FILE}`), 3, "1 try + 2 retries");
      assert.equal(server.count(`/b/${FILE}`), 1);
    },
  );
});

test("fetchCached() succeeds on the same mirror when a 503 clears up", async () => {
  const flaky: Route = (nth) => (nth === 1 ? { status: 503 } : { body: GZ });
  await withServer({ [`/a/${FILE}`]: flaky }, async (server, cacheDir) => {
    assert.deepEqual(
      await fetchCached(FILE, { ...FAST, mirrors: [`${server.url}/a/`], sha256: SHA, cacheDir }),
      raw,
    );
    assert.equal(server.count(`/a/${FILE}`), 2);
  });
});

test("fetchCached() wrong bytes → ChecksumError (expected/actual/source) and an empty cache", async () => {
  const wrong = await gzip(makeIdxPair(301).labels);
  await withServer({ [`/a/${FILE}`]: { body: wrong } }, async (server, cacheDir) => {
    const error = await fetchCached(FILE, {
      ...FAST,
      mirrors: [`${server.url}/a/`],
      sha256: SHA,
      cacheDir,
    }).catch((e) => e);
    assert.ok(error instanceof ChecksumError, String(error));
    assert.equal(error.expected, SHA);
    assert.equal(error.actual, await sha256Hex(makeIdxPair(301).labels));
    assert.equal(error.source, `${server.url}/a/${FILE}`);
    assert.equal(
      server.count(`/a/${FILE}`),
      1,
      "a checksum mismatch is not retried on the same mirror",
    );
    assert.deepEqual(await listFiles(cacheDir), []);
  });
});

test("fetchCached() truncated body is an error after retries and is never cached", async () => {
  await withServer(
    { [`/a/${FILE}`]: { body: GZ, truncateAt: GZ.length >> 1 } },
    async (server, cacheDir) => {
      const error = await fetchCached(FILE, {
        ...FAST,
        retries: 1,
        mirrors: [`${server.url}/a/`],
        sha256: SHA,
        cacheDir,
      })
        .catch((e) => e);
      assert.ok(error instanceof FetchError, String(error));
      assert.match(error.message, new RegExp(`${FILE} \\(2 tries\\)`));
      assert.equal(server.count(`/a/${FILE}`), 2);
      assert.deepEqual(await listFiles(cacheDir), []);
    },
  );
});

test("fetchCached() server stalling mid-body → timeout error naming the URL", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ, stallAfter: 40 } }, async (server, cacheDir) => {
    const started = Date.now();
    const error = await fetchCached(FILE, {
      mirrors: [`${server.url}/a/`],
      sha256: SHA,
      cacheDir,
      retries: 0,
      timeoutMs: 300,
    })
      .catch((e) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.match(
      error.message,
      /Timed out after 300 ms waiting for more of the body after 40 bytes/,
    );
    assert.ok(Date.now() - started < 5000, "the timeout must fire promptly");
    assert.deepEqual(await listFiles(cacheDir), []);
  });
});

test("fetchCached() server sending no headers → timeout error", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ, delayMs: 60_000 } }, async (server, cacheDir) => {
    const error = await fetchCached(FILE, {
      mirrors: [`${server.url}/a/`],
      sha256: SHA,
      cacheDir,
      retries: 0,
      timeoutMs: 200,
    })
      .catch((e) => e);
    assert.match(String(error?.message), /Timed out after 200 ms waiting for the response/);
  });
});

test("fetchCached() two processes fetching one file at once leave one complete verified file", async () => {
  const big = makeIdxPair(20000, 8, 8).images; // ~1.3 MB so both downloads overlap
  const bigSha = await sha256Hex(big);
  const bigGz = await gzip(big);
  await withServer(
    { [`/a/${FILE}`]: { body: bigGz, pauseMidBodyMs: 300 } },
    async (server, cacheDir) => {
      const child = new URL("../_helpers/fetch_cached_child.ts", import.meta.url).pathname;
      const args = "Deno" in globalThis ? ["run", "-A", child] : [child];
      const run = () =>
        new Promise<string>((resolve) => {
          const p = spawn(process.execPath, [...args, `${server.url}/a/`, FILE, bigSha, cacheDir], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          p.stdout!.on("data", (d) => (out += d));
          p.on("close", () => resolve(out.trim()));
        });
      const results = await Promise.all([run(), run()]);
      assert.deepEqual(results, [`ok ${big.length}`, `ok ${big.length}`]);
      assert.equal(server.count(`/a/${FILE}`), 2, "both processes downloaded at the same time");
      assert.deepEqual(await listFiles(cacheDir), [
        "train-labels-idx1-ubyte",
        "train-labels-idx1-ubyte.meta.json",
      ]);
      assert.equal(
        await sha256Hex(new Uint8Array(await readFile(join(cacheDir, "train-labels-idx1-ubyte")))),
        bigSha,
      );
    },
  );
});

test("fetchCached() detects a corrupted cache file by sha256 and downloads it again", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ } }, async (server, cacheDir) => {
    const opts = { ...FAST, mirrors: [`${server.url}/a/`], sha256: SHA, cacheDir };
    await fetchCached(FILE, opts);
    const cached = join(cacheDir, "train-labels-idx1-ubyte");
    const damaged = raw.slice();
    damaged[100] ^= 1;
    await writeFile(cached, damaged);
    assert.deepEqual(await fetchCached(FILE, opts), raw);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(new Uint8Array(await readFile(cached)), raw);
    // Without an expected sha256 the meta file's hash catches it too.
    await writeFile(cached, damaged);
    assert.deepEqual(await fetchCached(FILE, { ...opts, sha256: undefined }), raw);
    assert.equal(server.requests.length, 3);
  });
});

test("fetchCached() caches a directory or file:// mirror: a later call without that mirror finds the file", async () => {
  await withServer({}, async (_server, cacheDir, tmp) => {
    const dir = join(tmp, "mirror");
    await mkdir(dir);
    await writeFile(join(dir, FILE), GZ);
    const cached = ["train-labels-idx1-ubyte", "train-labels-idx1-ubyte.meta.json"];
    assert.deepEqual(await fetchCached(FILE, { mirrors: [dir], sha256: SHA, cacheDir }), raw);
    assert.deepEqual(await listFiles(cacheDir), cached);
    const meta = JSON.parse(await readFile(join(cacheDir, cached[1]), "utf8"));
    assert.deepEqual(meta, { sha256: SHA, source: join(dir, FILE), check: "sha256" });
    // The mirror is gone (train.ts --resume without --mirror): the verified cache serves it.
    await rm(dir, { recursive: true });
    assert.deepEqual(await fetchCached(FILE, { mirrors: [], sha256: SHA, cacheDir }), raw);
    const other = join(tmp, "cache2");
    await mkdir(dir);
    await writeFile(join(dir, FILE), GZ);
    assert.deepEqual(
      await fetchCached(FILE, { mirrors: [pathToFileURL(dir).href], sha256: SHA, cacheDir: other }),
      raw,
    );
    assert.deepEqual(await listFiles(other), cached);
    const third = join(tmp, "cache3");
    await fetchCached(FILE, { mirrors: [dir], sha256: SHA, cacheDir: third, cacheLocal: false });
    assert.deepEqual(await listFiles(third), [], "cacheLocal: false reads in place");
  });
});

test("fetchCached() accepts an unpacked file in a directory mirror", async () => {
  await withServer({}, async (_server, cacheDir, tmp) => {
    await writeFile(join(tmp, "train-labels-idx1-ubyte"), raw);
    assert.deepEqual(await fetchCached(FILE, { mirrors: [tmp], sha256: SHA, cacheDir }), raw);
  });
});

test("fetchCached() offline with no cache → one FetchError listing every URL and the local-copy hint", async () => {
  const closed = await startLoopbackServer();
  await closed.close();
  await withServer({}, async (server, cacheDir, tmp) => {
    const mirrors = [`${closed.url}/gone/`, `${server.url}/missing/`, join(tmp, "nowhere")];
    const error = await fetchCached(FILE, { ...FAST, mirrors, sha256: SHA, cacheDir }).catch((e) =>
      e
    );
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.attempts.length, 4, "3 mirrors, the directory tried as .gz and unpacked");
    for (
      const m of [
        `${closed.url}/gone/${FILE}`,
        `${server.url}/missing/${FILE}`,
        join(tmp, "nowhere", FILE),
      ]
    ) {
      assert.ok(error.message.includes(m), `message names ${m}:\n${error.message}`);
    }
    assert.match(error.message, /HTTP 404/);
    assert.match(error.message, /SHARDGRAD_DATA_MIRROR=\/path\/to\/dir/);
    assert.match(error.message, /mirrors: \["\/path\/to\/dir"\]/);
  });
});

test("fetchCached() onProgress reports growing byte counts up to the total", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ } }, async (server, cacheDir) => {
    const seen: [number, number | undefined][] = [];
    await fetchCached(FILE, {
      mirrors: [`${server.url}/a/`],
      sha256: SHA,
      cacheDir,
      onProgress: (b, t) => seen.push([b, t]),
    });
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen.at(-1), [GZ.length, GZ.length]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] > seen[i - 1][0]);
  });
});

test("fetchCached() refuses a cacheName that escapes the cache dir", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ } }, async (server, cacheDir, tmp) => {
    for (const cacheName of ["../evil", "/tmp/evil", "a/../../evil"]) {
      await assert.rejects(
        fetchCached(FILE, { mirrors: [`${server.url}/a/`], cacheDir, cacheName }),
        RangeError,
      );
    }
    assert.deepEqual(await listFiles(tmp), []);
  });
});

test("resolveCacheDir() prefers the option, then $SHARDGRAD_CACHE, then $XDG_CACHE_HOME/shardgrad, then ~/.cache", () => {
  const saved = { own: process.env.SHARDGRAD_CACHE, xdg: process.env.XDG_CACHE_HOME };
  try {
    process.env.SHARDGRAD_CACHE = "/tmp/own-cache";
    process.env.XDG_CACHE_HOME = "/tmp/xdg";
    assert.equal(resolveCacheDir("/tmp/explicit"), "/tmp/explicit");
    assert.equal(resolveCacheDir(), "/tmp/own-cache");
    delete process.env.SHARDGRAD_CACHE;
    assert.equal(resolveCacheDir(), "/tmp/xdg/shardgrad");
    delete process.env.XDG_CACHE_HOME;
    assert.match(resolveCacheDir(), /\/\.cache\/shardgrad$/);
  } finally {
    for (
      const [key, value] of [["SHARDGRAD_CACHE", saved.own], ["XDG_CACHE_HOME", saved.xdg]] as const
    ) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test("fetchCached() with an unwritable cache (a path under a regular file) → one CacheDirError naming the folder and SHARDGRAD_CACHE, no request", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ } }, async (server, _cacheDir, tmp) => {
    // A regular file in the path blocks writes even for root (chmod would not).
    const blocker = join(tmp, "not-a-dir");
    await writeFile(blocker, "x");
    const cacheDir = join(blocker, "cache");
    const mirrors = [`${server.url}/a/`];
    const error = await fetchCached(FILE, { ...FAST, mirrors, sha256: SHA, cacheDir }).catch((e) =>
      e
    );
    assert.ok(error instanceof CacheDirError, String(error));
    assert.equal(error.dir, cacheDir);
    assert.ok(error.message.startsWith(`Cannot write the data cache ${cacheDir}: `), error.message);
    assert.match(error.message, /Set SHARDGRAD_CACHE to a writable folder/);
    assert.equal(server.requests.length, 0, "checked before downloading");
    // The same through $SHARDGRAD_CACHE, as train.ts users meet it.
    const saved = process.env.SHARDGRAD_CACHE;
    process.env.SHARDGRAD_CACHE = cacheDir;
    try {
      await assert.rejects(
        fetchCached(FILE, { ...FAST, mirrors, sha256: SHA }),
        (e: Error) => e instanceof CacheDirError && e.message.includes(cacheDir),
      );
    } finally {
      if (saved === undefined) delete process.env.SHARDGRAD_CACHE;
      else process.env.SHARDGRAD_CACHE = saved;
    }
  });
});

test("fetchCached() re-verifies a cache entry whose meta file is missing or unreadable (never trusts it)", async () => {
  await withServer({ [`/a/${FILE}`]: { body: GZ } }, async (server, cacheDir) => {
    const opts = { ...FAST, mirrors: [`${server.url}/a/`], cacheDir }; // no sha256: only the meta file vouches
    await fetchCached(FILE, opts);
    const cached = join(cacheDir, "train-labels-idx1-ubyte");
    const damaged = raw.slice();
    damaged[50] ^= 1;
    for (const meta of [null, "{ broken", '{"sha256": 5}']) {
      await writeFile(cached, damaged);
      if (meta === null) await rm(`${cached}.meta.json`);
      else await writeFile(`${cached}.meta.json`, meta);
      assert.deepEqual(await fetchCached(FILE, opts), raw, `meta ${meta}`);
    }
    assert.equal(server.requests.length, 4, "fetched again each time");
  });
});

test("fetchCached() checks its call: unknown option keys (nearest name) and extra arguments", async () => {
  await assert.rejects(
    // @ts-expect-error: the misspelling is the point
    fetchCached(FILE, { mirrors: [], sha_256: SHA }),
    /Cannot fetch train-labels-idx1-ubyte\.gz: unknown option "sha_256" \(did you mean "sha256"\?/,
  );
  await assert.rejects(
    // @ts-expect-error: a third argument
    fetchCached(FILE, { mirrors: [] }, {}),
    /expected at most 2 arguments, got 3/,
  );
  await assert.rejects(
    fetchCached(FILE, { mirrors: [], size: -1 }),
    /expected size to be an integer ≥ 0/,
  );
});
