import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { svhn, SVHN_CHECKS, SVHN_FILES } from "../../data/svhn.ts";
import { md5Hex } from "../../data/md5.ts";
import { encodeMat, type MatVar, MI } from "../_helpers/mat_writer.ts";
import { listFiles, tempDir } from "../_helpers/data_fixtures.ts";
import { type LoopbackServer, startLoopbackServer } from "../_helpers/loopback_server.ts";

/** Pixel (row r, column c, channel ch) of image i in the synthetic files. */
const pixel = (r: number, c: number, ch: number, i: number) =>
  (r * 5 + c * 3 + ch * 70 + i * 13) % 256;

/** SVHN's layout: X uint8 [32, 32, 3, N] column-major, y [N, 1] double stored as miUINT8 (as MATLAB saves it). */
function svhnVars(
  labels: number[],
  override: Partial<Record<"X" | "y", Partial<MatVar>>> = {},
): MatVar[] {
  const n = labels.length;
  const x = new Uint8Array(3072 * n);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) {
      for (let c = 0; c < 32; c++) {
        for (let r = 0; r < 32; r++) x[r + 32 * c + 1024 * ch + 3072 * i] = pixel(r, c, ch, i);
      }
    }
  }
  return [
    { name: "X", class: "uint8", dims: [32, 32, 3, n], data: x, ...override.X },
    { name: "y", class: "double", dims: [n, 1], data: labels, storage: MI.UINT8, ...override.y },
  ];
}

const LABELS = [10, 1, 7, 10, 3];
const TRAIN = await encodeMat(svhnVars(LABELS), { compress: true });
const TRAIN_MD5 = md5Hex(TRAIN);

function assertSynthetic(images: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (const [ch, r, c] of [[0, 0, 0], [1, 5, 9], [2, 31, 30], [0, 17, 2], [2, 0, 31]]) {
      assert.equal(
        images[((i * 3 + ch) * 32 + r) * 32 + c],
        pixel(r, c, ch, i),
        `image ${i} [${ch}, ${r}, ${c}]`,
      );
    }
  }
}

async function withServer(
  files: Record<string, Uint8Array>,
  body: (server: LoopbackServer, cacheDir: string, tmp: string) => Promise<void>,
): Promise<void> {
  const routes = Object.fromEntries(
    Object.entries(files).map(([k, v]) => [`/h/${k}`, { body: v }]),
  );
  const server = await startLoopbackServer(routes);
  const tmp = await tempDir();
  try {
    await body(server, join(tmp.path, "cache"), tmp.path);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
}

test("svhn() downloads, verifies the md5, gives [N, 3, 32, 32] with 10 → 0, then loads from the cache with zero requests", async () => {
  await withServer({ "train_32x32.mat": TRAIN }, async (server, cacheDir) => {
    const opts = { mirrors: [`${server.url}/h/`], cacheDir, retries: 0, md5: TRAIN_MD5 };
    const ds = await svhn(opts);
    assert.deepEqual(ds.shape, [5, 3, 32, 32]);
    assert.ok(ds.labels instanceof Int32Array);
    assert.deepEqual(Array.from(ds.labels), [0, 1, 7, 0, 3]);
    assertSynthetic(ds.images, 5);
    assert.equal(ds.verification, SVHN_CHECKS.md5);
    assert.equal(ds.classes[0], "0");
    assert.deepEqual(await listFiles(cacheDir), [
      "svhn/train_32x32.mat",
      "svhn/train_32x32.mat.meta.json",
    ]);
    const meta = JSON.parse(
      await readFile(join(cacheDir, "svhn/train_32x32.mat.meta.json"), "utf8"),
    );
    const sha = new Uint8Array(
      await crypto.subtle.digest("SHA-256", TRAIN as Uint8Array<ArrayBuffer>),
    );
    assert.equal(meta.sha256, Array.from(sha, (b) => b.toString(16).padStart(2, "0")).join(""));
    assert.equal(meta.check, `md5 ${TRAIN_MD5}`);
    const again = await svhn(opts);
    assert.equal(server.requests.length, 1, "second load comes from the cache");
    assert.equal(again.verification, `${SVHN_CHECKS.md5} (cached)`);
    assert.deepEqual(again.images, ds.images);
  });
});

test("svhn() refuses a file whose md5 is not the published one, naming both digests; nothing cached", async () => {
  await withServer({ "test_32x32.mat": TRAIN }, async (server, cacheDir) => {
    const error = await svhn({ split: "test", mirrors: [`${server.url}/h/`], cacheDir, retries: 0 })
      .catch((e) => e);
    assert.ok(error instanceof RangeError, String(error));
    assert.match(
      error.message,
      new RegExp(
        `test_32x32\\.mat: its md5 is ${TRAIN_MD5}, expected ${SVHN_FILES.test.md5} \\(the published md5 of SVHN's test_32x32\\.mat\\); nothing was cached`,
      ),
    );
    assert.match(error.message, /allowUnverified: true.*--allow-unverified-data/);
    assert.deepEqual(await listFiles(cacheDir), []);
  });
});

test("svhn({ allowUnverified }) takes a custom file from a local folder, says so, and its cache entry is not trusted without the flag", async () => {
  const tmp = await tempDir();
  try {
    const mirror = join(tmp.path, "mirror");
    const cacheDir = join(tmp.path, "cache");
    await mkdir(mirror);
    await writeFile(
      join(mirror, "extra_32x32.mat"),
      await encodeMat(svhnVars([2, 10, 9]), { littleEndian: false }),
    );
    const ds = await svhn({ split: "extra", mirrors: [mirror], cacheDir, allowUnverified: true });
    assert.deepEqual(ds.shape, [3, 3, 32, 32]);
    assert.deepEqual(Array.from(ds.labels), [2, 0, 9]);
    assertSynthetic(ds.images, 3);
    assert.equal(ds.verification, SVHN_CHECKS.custom);
    assert.ok(
      (await listFiles(cacheDir)).includes("svhn/extra_32x32.mat"),
      "local mirrors are cached too",
    );
    await rm(mirror, { recursive: true });
    const cached = await svhn({
      split: "extra",
      mirrors: [mirror],
      cacheDir,
      allowUnverified: true,
    });
    assert.equal(cached.verification, `${SVHN_CHECKS.custom} (cached)`);
    await assert.rejects(
      svhn({ split: "extra", mirrors: [mirror], cacheDir }),
      /Cannot fetch extra_32x32\.mat: every mirror failed[^]*The cache holds a custom extra_32x32\.mat accepted with allowUnverified; pass \{ allowUnverified: true \} again/,
      "without allowUnverified the custom cache entry is not used",
    );
  } finally {
    await tmp.cleanup();
  }
});

test("svhn() reads SciPy's savemat file (tests/data/fixtures/scipy_svhn_like.mat) through a local mirror", async () => {
  const bytes = new Uint8Array(
    await readFile(new URL("./fixtures/scipy_svhn_like.mat", import.meta.url)),
  );
  const tmp = await tempDir();
  try {
    await writeFile(join(tmp.path, "train_32x32.mat"), bytes);
    const ds = await svhn({
      mirrors: [tmp.path],
      cacheDir: join(tmp.path, "cache"),
      md5: md5Hex(bytes),
    });
    assert.deepEqual(ds.shape, [3, 3, 32, 32]);
    assert.deepEqual(Array.from(ds.labels), [0, 1, 7]);
    for (const [i, ch, r, c] of [[0, 0, 0, 0], [2, 1, 5, 9], [1, 2, 31, 30], [1, 0, 17, 0]]) {
      assert.equal(
        ds.images[((i * 3 + ch) * 32 + r) * 32 + c],
        (r * 7 + c * 3 + ch * 50 + i * 11) % 256,
      );
    }
  } finally {
    await tmp.cleanup();
  }
});

test("svhn() fetches again when the cached file is corrupted or its meta file is gone", async () => {
  await withServer({ "train_32x32.mat": TRAIN }, async (server, cacheDir) => {
    const opts = { mirrors: [`${server.url}/h/`], cacheDir, retries: 0, md5: TRAIN_MD5 };
    await svhn(opts);
    const file = join(cacheDir, "svhn/train_32x32.mat");
    const damaged = TRAIN.slice();
    damaged[300] ^= 1;
    await writeFile(file, damaged);
    assert.equal((await svhn(opts)).verification, SVHN_CHECKS.md5);
    assert.equal(server.requests.length, 2);
    await rm(`${file}.meta.json`);
    assert.equal((await svhn(opts)).verification, SVHN_CHECKS.md5);
    assert.equal(server.requests.length, 3);
  });
});

const structureCases: [string, MatVar[], RegExp][] = [
  [
    "X of class double",
    svhnVars([1, 2], { X: { class: "double", storage: MI.UINT8 } }),
    /expected X uint8 \[32, 32, 3, N\], found double \[32, 32, 3, 2\]/,
  ],
  ["X of 28×28 images", [{
    name: "X",
    class: "uint8",
    dims: [28, 28, 3, 1],
    data: new Uint8Array(2352),
  }, svhnVars([1])[1]], /found uint8 \[28, 28, 3, 1\]/],
  ["a label 11", svhnVars([1, 11]), /y\(2\) is 11, expected a label 1–10/],
  ["a label 0", svhnVars([0, 4]), /y\(1\) is 0, expected a label 1–10/],
  [
    "fewer labels than images",
    svhnVars([1, 2], { y: { dims: [1, 1], data: [3] } }),
    /expected y \[2, 1\] \(one label per image\), found \[1, 1\]/,
  ],
  ["no y", svhnVars([1]).slice(0, 1), /it has no variable y/],
  ["no X", svhnVars([1]).slice(1), /it has no variable X \(found: y\)/],
];
for (const [what, vars, message] of structureCases) {
  test(`svhn({ allowUnverified }) refuses a file with ${what}, naming it; nothing cached`, async () => {
    await withServer({ "train_32x32.mat": await encodeMat(vars) }, async (server, cacheDir) => {
      await assert.rejects(
        svhn({ mirrors: [`${server.url}/h/`], cacheDir, retries: 0, allowUnverified: true }),
        (e: Error) =>
          e instanceof RangeError &&
          /^Cannot read SVHN file http:\/\/127\.0\.0\.1:\d+\/h\/train_32x32\.mat: /.test(
            e.message,
          ) && message.test(e.message),
      );
      assert.deepEqual(await listFiles(cacheDir), []);
    });
  });
}

test("svhn() refuses a local file larger than the split can be, before reading it", async () => {
  const tmp = await tempDir();
  try {
    const handle = await open(join(tmp.path, "test_32x32.mat"), "w");
    await handle.truncate(200_000_000); // sparse: nothing is written
    await handle.close();
    await assert.rejects(
      svhn({
        split: "test",
        mirrors: [tmp.path],
        cacheDir: join(tmp.path, "cache"),
        allowUnverified: true,
      }),
      /it is 200000000 bytes, more than the \d+ expected at most for test_32x32\.mat/,
    );
  } finally {
    await tmp.cleanup();
  }
});

test("svhn() rejects unknown options (nearest name), a bad split, a bad md5 and extra arguments", async () => {
  await assert.rejects(
    svhn({ splt: "test" } as never),
    /Cannot load svhn: unknown option "splt" \(did you mean "split"\?/,
  );
  await assert.rejects(
    svhn({ split: "valid" as never }),
    /split must be "train", "test" or "extra", got "valid"/,
  );
  await assert.rejects(svhn({ md5: "abc" }), /md5 must be 32 hex digits, got "abc"/);
  await assert.rejects(
    (svhn as (...a: unknown[]) => Promise<unknown>)({}, {}),
    /expected at most 1 argument, got 2/,
  );
});
