import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  cifar10,
  CIFAR10_ARCHIVE,
  CIFAR10_ARCHIVE_SHA256,
  CIFAR10_CHECKS,
  cifar10Check,
} from "../../data/cifar10.ts";
import { CIFAR_IMAGE_BYTES, CIFAR_RECORD_BYTES } from "../../data/cifar_binary.ts";
import {
  gzip,
  listFiles,
  makeCifarBatch,
  makeTar,
  type TarMember,
  tempDir,
} from "../_helpers/data_fixtures.ts";
import { type LoopbackServer, startLoopbackServer } from "../_helpers/loopback_server.ts";
import { Rng } from "../../tensor/rng.ts";

const DIR = "cifar-10-batches-bin";
const enc = new TextEncoder();
const rng = new Rng(11);
const BATCHES = [1, 2, 3, 4, 5].map((k) => makeCifarBatch(2, rng, 2 * k));
const TEST_BATCH = makeCifarBatch(3, rng, 7);

/** The binary archive's layout: a folder, six batches, meta and readme, plus a macOS `._` junk entry. */
function members(extra: TarMember[] = [], skip = ""): TarMember[] {
  const list: TarMember[] = [
    { path: `${DIR}/`, type: "5" },
    ...BATCHES.map((data, i) => ({ path: `${DIR}/data_batch_${i + 1}.bin`, data })),
    { path: `${DIR}/._data_batch_1.bin`, data: enc.encode("mac metadata") },
    { path: `${DIR}/test_batch.bin`, data: TEST_BATCH },
    { path: `${DIR}/batches.meta.txt`, data: enc.encode("airplane\nautomobile\n") },
    { path: `${DIR}/readme.html`, data: enc.encode("<html></html>") },
    ...extra,
  ];
  return list.filter((m) => !skip || !m.path.endsWith(skip));
}

async function withArchive(
  tarMembers: TarMember[],
  body: (server: LoopbackServer, cacheDir: string, tmp: string) => Promise<void>,
): Promise<void> {
  const server = await startLoopbackServer({
    [`/c/${CIFAR10_ARCHIVE}`]: { body: await gzip(makeTar(tarMembers)) },
  });
  const tmp = await tempDir();
  try {
    await body(server, join(tmp.path, "cache"), tmp.path);
  } finally {
    await server.close();
    await tmp.cleanup();
  }
}

test("cifar10() unpacks the archive once: train [10, 3, 32, 32], then test from the cache with zero requests", async () => {
  await withArchive(members(), async (server, cacheDir) => {
    const opts = { mirrors: [`${server.url}/c/`], cacheDir, retries: 0, allowUnverified: true };
    const train = await cifar10(opts);
    assert.deepEqual(train.shape, [10, 3, 32, 32]);
    assert.deepEqual(Array.from(train.labels), [2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(
      train.images.subarray(3 * CIFAR_IMAGE_BYTES, 4 * CIFAR_IMAGE_BYTES),
      BATCHES[1].subarray(CIFAR_RECORD_BYTES + 1),
    );
    assert.equal(train.verification, CIFAR10_CHECKS.custom, "a custom archive: structure only");
    assert.equal(train.classes[9], "truck");
    assert.equal(server.requests.length, 1);
    const files = await listFiles(cacheDir);
    assert.ok(
      files.includes(`${DIR}/test_batch.bin`) &&
        files.includes(`${DIR}/data_batch_5.bin.meta.json`),
      files.join(),
    );
    assert.ok(!files.some((f) => f.includes("._") || f.endsWith(".tmp")), files.join());
    const testSet = await cifar10({ ...opts, train: false });
    assert.equal(server.requests.length, 1, "test split comes from the cache");
    assert.deepEqual(Array.from(testSet.labels), [7, 8, 9]);
    assert.equal(testSet.verification, `${CIFAR10_CHECKS.custom} (cached)`);
  });
});

test("cifar10() rejects a tar entry ../evil and writes nothing, inside or outside the cache", async () => {
  await withArchive(
    members([{ path: "../evil", data: enc.encode("pwned") }]),
    async (server, cacheDir, tmp) => {
      const error = await cifar10({
        mirrors: [`${server.url}/c/`],
        cacheDir,
        retries: 0,
        allowUnverified: true,
      }).catch((e) => e);
      assert.ok(error instanceof RangeError, String(error));
      assert.match(error.message, /"\.\.\/evil" is absolute or escapes its folder/);
      assert.deepEqual(await listFiles(tmp), []);
    },
  );
});

test("cifar10() re-downloads when a cached batch file is corrupted", async () => {
  await withArchive(members(), async (server, cacheDir) => {
    const opts = {
      mirrors: [`${server.url}/c/`],
      cacheDir,
      retries: 0,
      train: false,
      allowUnverified: true,
    };
    await cifar10(opts);
    await writeFile(join(cacheDir, DIR, "test_batch.bin"), new Uint8Array(CIFAR_RECORD_BYTES * 3));
    const again = await cifar10(opts);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(Array.from(again.labels), [7, 8, 9]);
  });
});

test("cifar10() archive without test_batch.bin → error naming the missing member, nothing cached", async () => {
  await withArchive(members([], "test_batch.bin"), async (server, cacheDir) => {
    await assert.rejects(
      cifar10({ mirrors: [`${server.url}/c/`], cacheDir, retries: 0, allowUnverified: true }),
      /has no cifar-10-batches-bin\/test_batch\.bin/,
    );
    assert.deepEqual(await listFiles(cacheDir), []);
  });
});

test("cifar10() batch with a label above 9 fails the structure check, nothing cached", async () => {
  const bad = makeCifarBatch(2, new Rng(0));
  bad[CIFAR_RECORD_BYTES] = 12;
  const list = members().map((
    m,
  ) => (m.path.endsWith("data_batch_3.bin") ? { ...m, data: bad } : m));
  await withArchive(list, async (server, cacheDir) => {
    await assert.rejects(
      cifar10({ mirrors: [`${server.url}/c/`], cacheDir, retries: 0, allowUnverified: true }),
      /data_batch_3\.bin: record 1 has label 12/,
    );
    assert.deepEqual(await listFiles(cacheDir), []);
  });
});

test("cifar10() refuses a fake archive of 10 images without allowUnverified, naming the counts and the flag", async () => {
  await withArchive(members(), async (server, cacheDir) => {
    const error = await cifar10({ mirrors: [`${server.url}/c/`], cacheDir, retries: 0 }).catch((
      e,
    ) => e);
    assert.ok(error instanceof RangeError, String(error));
    assert.match(error.message, /data_batch_1\.bin holds 2 records, not the 10000 of the real set/);
    assert.match(error.message, /allowUnverified: true.*--allow-unverified-data/);
    assert.deepEqual(await listFiles(cacheDir), [], "nothing cached");
  });
});

test("cifar10() a custom archive cached under allowUnverified is not served to a later call without it", async () => {
  await withArchive(members(), async (server, cacheDir) => {
    const opts = { mirrors: [`${server.url}/c/`], cacheDir, retries: 0 };
    await cifar10({ ...opts, allowUnverified: true });
    await assert.rejects(cifar10(opts), /holds 2 records, not the 10000/);
    assert.equal(server.requests.length, 2, "verified again from the mirror, not trusted");
  });
});

for (const damage of ["deleted", "unreadable"] as const) {
  test(`cifar10() with a ${damage} .meta.json re-verifies a corrupted cached batch instead of skipping`, async () => {
    await withArchive(members(), async (server, cacheDir) => {
      const opts = {
        mirrors: [`${server.url}/c/`],
        cacheDir,
        retries: 0,
        train: false,
        allowUnverified: true,
      };
      await cifar10(opts);
      const batch = join(cacheDir, DIR, "test_batch.bin");
      await writeFile(batch, new Uint8Array(CIFAR_RECORD_BYTES * 3)); // labels all 0
      if (damage === "deleted") await rm(`${batch}.meta.json`);
      else await writeFile(`${batch}.meta.json`, "{ not json");
      const again = await cifar10(opts);
      assert.equal(server.requests.length, 2, "the archive was fetched and verified again");
      assert.deepEqual(Array.from(again.labels), [7, 8, 9]);
      assert.equal(again.verification, CIFAR10_CHECKS.custom);
    });
  });
}

test("cifar10Check() names the check: archive sha256, structure (real counts), custom only when allowed", () => {
  const real = new Map<string, Uint8Array>();
  for (const m of [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`).concat("test_batch.bin")) {
    real.set(m, new Uint8Array(10_000 * CIFAR_RECORD_BYTES)); // 10000 records, label 0
  }
  const other = "0".repeat(64);
  assert.equal(cifar10Check(real, CIFAR10_ARCHIVE_SHA256, "a", false), CIFAR10_CHECKS.archive);
  assert.equal(cifar10Check(real, other, "a", false), CIFAR10_CHECKS.structure);
  const small = new Map(real);
  small.set("data_batch_4.bin", new Uint8Array(9_999 * CIFAR_RECORD_BYTES));
  assert.throws(
    () => cifar10Check(small, other, "mirror/x.tar.gz", false),
    /mirror\/x\.tar\.gz.*data_batch_4\.bin holds 9999 records, not the 10000/,
  );
  assert.equal(cifar10Check(small, other, "a", true), CIFAR10_CHECKS.custom);
  const bad = new Map(real);
  bad.set("test_batch.bin", Uint8Array.of(10, ...new Uint8Array(CIFAR_RECORD_BYTES - 1)));
  assert.throws(
    () => cifar10Check(bad, other, "a", true),
    /test_batch\.bin: record 0 has label 10/,
  );
});
