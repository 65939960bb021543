/**
 * CIFAR-10 (binary version): the tar.gz is fetched once, verified, and its six batch
 * files (plus batches.meta.txt) are unpacked into `<cacheDir>/cifar-10-batches-bin/`.
 */

import { defaultCacheDir } from "./_fs.ts";
import {
  type DownloadOptions,
  fromMirrors,
  readCached,
  readCacheMeta,
  sha256Hex,
  writeCached,
} from "./fetch_cached.ts";
import { gunzip } from "./gunzip.ts";
import { readTar } from "./tar.ts";
import { checkCifarBatch, parseCifarBatches } from "./cifar_binary.ts";
import { ImageDataset } from "./dataset.ts";
import { defaultMirrors } from "./mnist.ts";

/** Options of {@link cifar10}. */
export interface Cifar10Options extends DownloadOptions {
  /** Training split (data_batch_1…5, 50000 images) or test split (test_batch, 10000). @default true */
  train?: boolean;
  /** Mirrors holding `cifar-10-binary.tar.gz`. @default $SHARDGRAD_DATA_MIRROR (if set), then the Toronto site */
  mirrors?: readonly string[];
  /** Cache root (see fetchCached). */
  cacheDir?: string;
}

/** The archive's file name on every mirror. */
export const CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz";
/** The public host (torchvision's). */
export const CIFAR10_MIRRORS: readonly string[] = Object.freeze([
  "https://www.cs.toronto.edu/~kriz/",
]);
/** sha256 of the original archive (170,052,171 bytes; md5 c32a1d4ab5d03f1284b67883e8d87530). */
export const CIFAR10_ARCHIVE_SHA256 =
  "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd";
/** Class names, `classes[label]`. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

const FOLDER = "cifar-10-batches-bin";
const TRAIN = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
];
const TEST = ["test_batch.bin"];

/**
 * CIFAR-10 as uint8 images `[N, 3, 32, 32]` (CHW, as stored) with labels 0–9.
 *
 * Verification: when the downloaded archive's sha256 equals the known one, that is
 * the check ("archive sha256"); some mirrors repack the archive, so otherwise every
 * batch file's structure is checked instead (whole 3073-byte records, labels 0–9:
 * "structure"). The result's `verification` says which. Unpacked members are cached
 * with their own sha256 so later loads need no request and detect corruption.
 * Archive entries that are absolute or contain `..` make the whole archive rejected
 * before anything is written.
 */
export async function cifar10(options: Cifar10Options = {}): Promise<ImageDataset> {
  const { train = true, mirrors = defaultMirrors(CIFAR10_MIRRORS), cacheDir: dir, ...transfer } =
    options;
  const cacheDir = defaultCacheDir(dir);
  const wanted = train ? TRAIN : TEST;
  let files = await readMembers(cacheDir, wanted);
  let verification: string;
  if (!files) {
    const unpacked = await fromMirrors(
      CIFAR10_ARCHIVE,
      { mirrors, ...transfer },
      cacheDir,
      (raw, source) => unpack(raw, source, cacheDir),
    );
    verification = unpacked.check;
    files = wanted.map((m) => ({ name: `${FOLDER}/${m}`, bytes: unpacked.members.get(m)! }));
  } else {
    verification = await cachedCheck(cacheDir, wanted[0]);
  }
  const { images, labels, n } = parseCifarBatches(files);
  return new ImageDataset(images, labels, [n, 3, 32, 32], CIFAR10_CLASSES, verification);
}

async function readMembers(
  cacheDir: string,
  names: string[],
): Promise<{ name: string; bytes: Uint8Array }[] | null> {
  const out = [];
  for (const m of names) {
    const bytes = await readCached(cacheDir, `${FOLDER}/${m}`);
    if (!bytes) return null;
    out.push({ name: `${FOLDER}/${m}`, bytes });
  }
  return out;
}

async function cachedCheck(cacheDir: string, member: string): Promise<string> {
  const meta = await readCacheMeta(cacheDir, `${FOLDER}/${member}`);
  return meta ? `${meta.check} (cached)` : "cache";
}

async function unpack(
  raw: Uint8Array,
  source: string,
  cacheDir: string,
): Promise<{ members: Map<string, Uint8Array>; check: string }> {
  const archiveOk = (await sha256Hex(raw)) === CIFAR10_ARCHIVE_SHA256;
  const entries = readTar(await gunzip(raw, { name: source }), source);
  const members = new Map<string, Uint8Array>();
  for (const m of [...TRAIN, ...TEST, "batches.meta.txt"]) {
    const entry = entries.find((e) =>
      e.type === "file" && (e.path === `${FOLDER}/${m}` || e.path.endsWith(`/${FOLDER}/${m}`))
    );
    if (!entry) {
      throw new RangeError(
        `Cannot read CIFAR-10 archive ${source}: it has no ${FOLDER}/${m} (is it the binary version?)`,
      );
    }
    members.set(m, entry.data);
  }
  // Cheap, so done even when the archive hash matched; it only decides the reported check.
  for (const m of [...TRAIN, ...TEST]) {
    checkCifarBatch({ name: `${source}:${FOLDER}/${m}`, bytes: members.get(m)! });
  }
  const check = archiveOk ? "archive sha256" : "structure";
  for (const [m, bytes] of members) {
    await writeCached(cacheDir, `${FOLDER}/${m}`, bytes, {
      sha256: await sha256Hex(bytes),
      source,
      check,
    });
  }
  return { members, check };
}
