/**
 * CIFAR-10 (binary version): the tar.gz is fetched once, verified, and its six batch
 * files (plus batches.meta.txt) are unpacked into `<cacheDir>/cifar-10-batches-bin/`.
 */

import { defaultCacheDir, ensureWritableDir, fileSize, safeJoin } from "./_fs.ts";
import {
  DOWNLOAD_OPTION_KEYS,
  type DownloadOptions,
  fromMirrors,
  readCached,
  readCacheMeta,
  sha256Hex,
  writeCached,
} from "./fetch_cached.ts";
import { gunzip, isGzip } from "./gunzip.ts";
import { readTar } from "./tar.ts";
import {
  checkCifarBatch,
  CIFAR_IMAGE_BYTES,
  CIFAR_RECORD_BYTES,
  type CifarArrays,
  copyCifarBatch,
  parseCifarBatches,
  sharedBytes,
} from "./cifar_binary.ts";
import { ImageDataset } from "./dataset.ts";
import { defaultMirrors } from "./mnist.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** Options of {@link cifar10}. */
export interface Cifar10Options extends DownloadOptions {
  /** Training split (data_batch_1…5, 50000 images) or test split (test_batch, 10000). @default true */
  train?: boolean;
  /** Mirrors holding `cifar-10-binary.tar.gz`. @default $SHARDGRAD_DATA_MIRROR (if set), then the Toronto site */
  mirrors?: readonly string[];
  /** Cache root (see fetchCached). */
  cacheDir?: string;
  /**
   * Accept a custom archive in CIFAR-10's layout that is neither the published archive
   * (its sha256) nor of the real set's size (5 × 10000 training records, 10000 test):
   * it is then checked by structure only (whole records, labels 0–9) and the dataset's
   * `verification` says so. train.ts: `--allow-unverified-data`. @default false
   */
  allowUnverified?: boolean;
}

/** Option keys of {@link cifar10}. */
export const CIFAR10_OPTION_KEYS: readonly string[] = Object.freeze([
  "train",
  "mirrors",
  "cacheDir",
  "allowUnverified",
  ...DOWNLOAD_OPTION_KEYS,
]);

/** Records in each of the six batch files of the real set (50000 train, 10000 test). */
export const CIFAR10_RECORDS_PER_BATCH = 10_000;
/**
 * Most bytes accepted for the archive, downloaded and decompressed: the real one is
 * 170,052,171 bytes and unpacks to a ~184.4 MB tar; a mirror sending more is cut off.
 */
export const CIFAR10_ARCHIVE_MAX_BYTES = 200_000_000;

/** What a {@link cifar10} dataset's `verification` can say, strongest first. */
export const CIFAR10_CHECKS = Object.freeze(
  {
    /** The downloaded archive's sha256 is the published one. */
    archive: "archive sha256",
    /** A repacked archive: six batches of exactly 10000 whole records with labels 0–9. */
    structure: "structure",
    /** `allowUnverified`: whole records and labels 0–9 only, any record counts. */
    custom: "structure only (custom archive, allowUnverified)",
  } as const,
);

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
 * Verification, reported in the result's `verification` ({@link CIFAR10_CHECKS}): when
 * the downloaded archive's sha256 equals the published one, that is the check
 * ("archive sha256"). Some mirrors repack the archive, so otherwise every batch file's
 * structure is checked against the real set: six batches of exactly 10000 whole
 * 3073-byte records with labels 0–9 ("structure"). Any other archive (a cut-down or
 * custom set) is refused unless `allowUnverified` is set. Unpacked members are cached
 * with their own sha256 and the check that accepted them; later loads re-hash them,
 * and a member whose meta file is missing or unreadable (or was accepted only under
 * `allowUnverified` when that is not set now) makes the archive be fetched and verified
 * again. Archive entries that are absolute or contain `..` make the whole archive
 * rejected before anything is written.
 */
export async function cifar10(options: Cifar10Options = {}): Promise<ImageDataset> {
  checkArgumentCount("Cannot load cifar10", arguments.length, 1);
  checkOptions("Cannot load cifar10", options, CIFAR10_OPTION_KEYS);
  const {
    train = true,
    mirrors = defaultMirrors(CIFAR10_MIRRORS),
    cacheDir: dir,
    allowUnverified = false,
    ...transfer
  } = options;
  const cacheDir = defaultCacheDir(dir);
  const wanted = train ? TRAIN : TEST;
  const cached = await readMembers(cacheDir, wanted, allowUnverified);
  if (cached) {
    const { images, labels, n } = cached.arrays;
    const verification = `${cached.check} (cached)`;
    return new ImageDataset(images, labels, [n, 3, 32, 32], CIFAR10_CLASSES, verification);
  }
  await ensureWritableDir(cacheDir);
  const unpacked = await fromMirrors(
    CIFAR10_ARCHIVE,
    { mirrors, ...transfer, maxBytes: CIFAR10_ARCHIVE_MAX_BYTES },
    cacheDir,
    (raw, source) => unpack(raw, source, cacheDir, allowUnverified),
  );
  const verification = unpacked.check;
  const files = wanted.map((m) => ({ name: `${FOLDER}/${m}`, bytes: unpacked.members.get(m)! }));
  const { images, labels, n } = parseCifarBatches(files, expectedRecords(verification));
  return new ImageDataset(images, labels, [n, 3, 32, 32], CIFAR10_CLASSES, verification);
}

/**
 * The cached members parsed into one image array, and the one check that accepted them
 * all; null to fetch again. The files are read, re-hashed, checked and copied one at a
 * time into images allocated once from the files' sizes, so loading holds the images and
 * one 30 MB batch file, never all six files beside the images (issue 16).
 */
async function readMembers(
  cacheDir: string,
  names: string[],
  allowUnverified: boolean,
): Promise<{ arrays: CifarArrays; check: string } | null> {
  const checks = new Set<string>();
  const metas = [];
  let n = 0;
  for (const m of names) {
    const meta = await readCacheMeta(cacheDir, `${FOLDER}/${m}`);
    const size = await fileSize(safeJoin(cacheDir, `${FOLDER}/${m}`));
    // A size that is not whole records cannot hash to the recorded sha256 either: fetch again.
    if (!meta || size === null || size % CIFAR_RECORD_BYTES !== 0) return null;
    checks.add(meta.check);
    metas.push({ m, meta, size });
    n += size / CIFAR_RECORD_BYTES;
  }
  const [check] = checks;
  const known = Object.values(CIFAR10_CHECKS) as string[];
  if (checks.size !== 1 || !known.includes(check)) return null; // mixed or foreign: verify again
  if (check === CIFAR10_CHECKS.custom && !allowUnverified) return null;
  const arrays = { images: sharedBytes(n * CIFAR_IMAGE_BYTES), labels: new Uint8Array(n), n };
  let row = 0;
  for (const { m, meta, size } of metas) {
    const bytes = await readCached(cacheDir, `${FOLDER}/${m}`, meta.sha256, size);
    if (!bytes) return null; // changed or corrupt since its meta was written
    row += copyCifarBatch({ name: `${FOLDER}/${m}`, bytes }, arrays, row, expectedRecords(check));
  }
  return { arrays, check };
}

/** Records per batch file that a check implies: 10000, or any number for a custom archive. */
function expectedRecords(check: string): number | undefined {
  return check.startsWith(CIFAR10_CHECKS.custom) ? undefined : CIFAR10_RECORDS_PER_BATCH;
}

async function unpack(
  raw: Uint8Array,
  source: string,
  cacheDir: string,
  allowUnverified: boolean,
): Promise<{ members: Map<string, Uint8Array>; check: string }> {
  const archiveSha = await sha256Hex(raw);
  // A server that sent the .tar.gz with Content-Encoding: gzip hands over the tar itself.
  const tar = isGzip(raw)
    ? await gunzip(raw, { name: source, maxBytes: CIFAR10_ARCHIVE_MAX_BYTES })
    : raw;
  const entries = readTar(tar, source);
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
  const check = cifar10Check(members, archiveSha, source, allowUnverified);
  for (const [m, bytes] of members) {
    await writeCached(cacheDir, `${FOLDER}/${m}`, bytes, {
      sha256: await sha256Hex(bytes),
      source,
      check,
    });
  }
  return { members, check };
}

/**
 * Which check accepts the unpacked members of an archive whose sha256 is `archiveSha`
 * ({@link CIFAR10_CHECKS}); throws a RangeError naming the file when the structure is wrong
 * (partial records, a label above 9) or the record counts are not the real set's and
 * `allowUnverified` is not set. `members` maps `data_batch_1.bin` … `test_batch.bin` to bytes.
 */
export function cifar10Check(
  members: ReadonlyMap<string, Uint8Array>,
  archiveSha: string,
  source: string,
  allowUnverified: boolean,
): string {
  // Structure first (cheap, and it names the file); then decide which check passed.
  let realSize = true;
  for (const m of [...TRAIN, ...TEST]) {
    const bytes = members.get(m);
    if (!bytes) {
      throw new RangeError(`Cannot use CIFAR-10 archive ${source}: it has no ${FOLDER}/${m}`);
    }
    const records = checkCifarBatch({ name: `${source}:${FOLDER}/${m}`, bytes });
    if (records !== CIFAR10_RECORDS_PER_BATCH && !allowUnverified) {
      throw new RangeError(
        `Cannot use CIFAR-10 archive ${source}: its sha256 ${archiveSha} is not the published ` +
          `${CIFAR10_ARCHIVE_SHA256}, and ${FOLDER}/${m} holds ${records} records, not the ` +
          `${CIFAR10_RECORDS_PER_BATCH} of the real set. To use a custom archive in this layout, pass ` +
          `{ allowUnverified: true } (train.ts: --allow-unverified-data); nothing was cached`,
      );
    }
    realSize &&= records === CIFAR10_RECORDS_PER_BATCH;
  }
  return archiveSha === CIFAR10_ARCHIVE_SHA256
    ? CIFAR10_CHECKS.archive
    : realSize
    ? CIFAR10_CHECKS.structure
    : CIFAR10_CHECKS.custom;
}
