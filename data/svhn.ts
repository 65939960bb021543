/**
 * SVHN (Street View House Numbers, the cropped 32×32 digits): the MATLAB files
 * `train_32x32.mat`, `test_32x32.mat` and `extra_32x32.mat`, fetched once, verified by
 * their published md5, cached, and read with data/mat.ts.
 */

import { defaultCacheDir, ensureWritableDir } from "./_fs.ts";
import {
  DOWNLOAD_OPTION_KEYS,
  type DownloadOptions,
  FetchError,
  fromMirrors,
  readCached,
  readCacheMeta,
  sha256Hex,
  writeCached,
} from "./fetch_cached.ts";
import { parseMat } from "./mat.ts";
import { md5Hex } from "./md5.ts";
import { ImageDataset } from "./dataset.ts";
import { defaultMirrors } from "./mnist.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** The three SVHN splits. */
export type SvhnSplit = "train" | "test" | "extra";

/** Options of {@link svhn}. */
export interface SvhnOptions extends DownloadOptions {
  /** @default "train" */
  split?: SvhnSplit;
  /** Mirrors holding `<split>_32x32.mat`. @default $SHARDGRAD_DATA_MIRROR (if set), then Stanford's site */
  mirrors?: readonly string[];
  /** Cache root (see fetchCached). */
  cacheDir?: string;
  /** The md5 the file must have (lowercase hex). @default the published one of the split ({@link SVHN_FILES}) */
  md5?: string;
  /**
   * Accept a file whose md5 is not the expected one (a cut-down or synthetic set in
   * SVHN's layout): it is then checked by structure only (X uint8 [32, 32, 3, N], y
   * [N, 1] with labels 1–10) and the dataset's `verification` says so.
   * train.ts: `--allow-unverified-data`. @default false
   */
  allowUnverified?: boolean;
}

/** Option keys of {@link svhn}. */
export const SVHN_OPTION_KEYS: readonly string[] = Object.freeze([
  "split",
  "mirrors",
  "cacheDir",
  "md5",
  "allowUnverified",
  ...DOWNLOAD_OPTION_KEYS,
]);

/** The public host (torchvision's). */
export const SVHN_MIRRORS: readonly string[] = Object.freeze([
  "http://ufldl.stanford.edu/housenumbers/",
]);

/** Each split's file, image count and published md5 (torchvision's). */
export const SVHN_FILES: Readonly<
  Record<SvhnSplit, { file: string; images: number; md5: string }>
> = Object.freeze({
  train: { file: "train_32x32.mat", images: 73_257, md5: "e26dedcc434d2e4c54c9b2d4a06d8373" },
  test: { file: "test_32x32.mat", images: 26_032, md5: "eb5a983be6a315427106f1b164d9cef3" },
  extra: { file: "extra_32x32.mat", images: 531_131, md5: "a93ce644f1a588dc4d68dda5feec44a7" },
});

/** What an {@link svhn} dataset's `verification` can say (with " (cached)" when read from the cache). */
export const SVHN_CHECKS = Object.freeze(
  {
    /** The file's md5 is the expected one. */
    md5: "md5",
    /** `allowUnverified`: another md5, accepted on structure alone. */
    custom: "structure only (custom file, allowUnverified)",
  } as const,
);

/**
 * Per-channel pixel mean and std of the train split (÷255 scale), as commonly quoted for
 * SVHN (e.g. in PyTorch examples); not recomputed here, the real files were not at hand.
 */
export const SVHN_MEAN: readonly number[] = Object.freeze([0.4377, 0.4438, 0.4728]);
export const SVHN_STD: readonly number[] = Object.freeze([0.1980, 0.2010, 0.1970]);

/** Class names, `classes[label]`: the digit (SVHN's label 10 is the digit 0, stored as 0). */
export const SVHN_CLASSES: readonly string[] = Object.freeze(
  ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
);

/**
 * SVHN as uint8 images `[N, 3, 32, 32]` (CHW, like CIFAR-10) with labels 0–9 in an
 * Int32Array, as `torchvision.datasets.SVHN` gives them: the file's X is
 * `[32, 32, 3, N]` column-major (row, column, channel, image) and its y holds 1–10,
 * where 10 is the digit 0 and becomes label 0. N = 73,257 (train), 26,032 (test),
 * 531,131 (extra).
 *
 * Verification: the file's md5 must be the published one (or `md5`); the sha256 of the
 * accepted bytes is recorded in the cache's meta file with the check that passed, so a
 * later load re-hashes the cached file (sha256) instead of downloading it. A cached
 * file without meta, or accepted by another check, is verified again. Downloads are
 * bounded by the largest file the split's image count allows.
 *
 * @example
 * ```ts ignore
 * const test = await svhn({ split: "test", mirrors: ["/data/svhn"] });
 * console.log(test.shape, test.verification); // [26032, 3, 32, 32] md5
 * ```
 */
export async function svhn(options: SvhnOptions = {}): Promise<ImageDataset> {
  const where = "Cannot load svhn";
  checkArgumentCount(where, arguments.length, 1);
  checkOptions(where, options, SVHN_OPTION_KEYS);
  const {
    split = "train",
    mirrors = defaultMirrors(SVHN_MIRRORS),
    cacheDir: dir,
    md5,
    allowUnverified = false,
    ...transfer
  } = options;
  if (!Object.hasOwn(SVHN_FILES, split)) {
    throw new TypeError(
      `${where}: split must be "train", "test" or "extra", got ${JSON.stringify(split)}`,
    );
  }
  if (md5 !== undefined && !/^[0-9a-f]{32}$/i.test(md5)) {
    throw new TypeError(`${where}: md5 must be 32 hex digits, got ${JSON.stringify(md5)}`);
  }
  const { file, images: published } = SVHN_FILES[split];
  const expectedMd5 = (md5 ?? SVHN_FILES[split].md5).toLowerCase();
  const cacheDir = defaultCacheDir(dir);
  const cacheName = `svhn/${file}`;
  // X is ~3072 bytes per image and y at most 8; deflate can add ~0.03% to incompressible data.
  const maxBytes = Math.ceil(published * 3080 * 1.001) + 65_536;
  const count = allowUnverified || md5 !== undefined ? null : published;
  const cached = await readCachedFile(cacheDir, cacheName, expectedMd5, allowUnverified);
  let loaded: { check: string; images: Uint8Array; labels: Int32Array; n: number };
  if (cached) {
    const check = `${cached.check} (cached)`;
    loaded = { check, ...await toImages(cached.bytes, file, count, maxBytes) };
  } else {
    await ensureWritableDir(cacheDir);
    loaded = await fromMirrors(
      file,
      { mirrors, ...transfer, maxBytes },
      cacheDir,
      async (raw, source) => {
        const actual = md5Hex(raw);
        if (actual !== expectedMd5 && !allowUnverified) {
          throw new RangeError(
            `Cannot use ${source}: its md5 is ${actual}, expected ${expectedMd5} (${
              md5 ? "given" : `the published md5 of SVHN's ${file}`
            }); nothing was cached. A corrupt download or a mirror holding another file; ` +
              `to use a custom file in SVHN's layout, pass { allowUnverified: true } ` +
              `(train.ts: --allow-unverified-data)`,
          );
        }
        const check = actual === expectedMd5 ? SVHN_CHECKS.md5 : SVHN_CHECKS.custom;
        const parsed = await toImages(raw, source, count, maxBytes); // before anything is cached
        await writeCached(cacheDir, cacheName, raw, {
          sha256: await sha256Hex(raw),
          source,
          check: checkRecord(check, expectedMd5),
        });
        return { check, ...parsed };
      },
    ).catch(async (error) => {
      const meta = await readCacheMeta(cacheDir, cacheName);
      if (!(error instanceof FetchError) || meta?.check !== SVHN_CHECKS.custom) throw error;
      throw new FetchError(
        `${error.message}\nThe cache holds a custom ${file} accepted with allowUnverified; ` +
          `pass { allowUnverified: true } again (train.ts: --allow-unverified-data) to use it.`,
        error.attempts,
      );
    });
  }
  const { images, labels, n, check: verification } = loaded;
  return new ImageDataset(images, labels, [n, 3, 32, 32], SVHN_CLASSES, verification);
}

/**
 * Reads X and y from an SVHN MAT-file: images `[N, 3, 32, 32]` (each 32×32 plane
 * transposed in place from MATLAB's column-major order) and labels with 10 → 0.
 * `count`, when given, is the number of images the file must hold.
 */
async function toImages(bytes: Uint8Array, name: string, count: number | null, maxBytes: number) {
  const mat = await parseMat(bytes, name, { maxBytes });
  const fail = (what: string): never => {
    throw new RangeError(`Cannot read SVHN file ${name}: ${what}`);
  };
  const x = mat.variables.get("X") ??
    fail(`it has no variable X (found: ${[...mat.variables.keys()].join(", ") || "none"})`);
  const y = mat.variables.get("y") ?? fail("it has no variable y");
  const [h, w, c, n = 1, ...rest] = x.dims; // MATLAB drops trailing singleton dimensions
  if (x.class !== "uint8" || h !== 32 || w !== 32 || c !== 3 || rest.some((d) => d !== 1)) {
    fail(`expected X uint8 [32, 32, 3, N], found ${x.class} [${x.dims.join(", ")}]`);
  }
  if (count !== null && n !== count) fail(`X holds ${n} images, the real split has ${count}`);
  if (y.data.length !== n || y.dims.filter((d) => d !== 1).length > 1) {
    fail(`expected y [${n}, 1] (one label per image), found [${y.dims.join(", ")}]`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!(Number.isInteger(v) && v >= 1 && v <= 10)) {
      fail(`y(${i + 1}) is ${v}, expected a label 1–10`);
    }
    labels[i] = v % 10; // SVHN writes the digit 0 as 10
  }
  const images = x.data as Uint8Array; // owned by the parse result: transposed in place
  for (let plane = 0; plane < 3 * n; plane++) {
    const base = plane * 1024;
    for (let r = 0; r < 32; r++) {
      for (let col = r + 1; col < 32; col++) {
        const a = base + r + 32 * col, b = base + col + 32 * r;
        const t = images[a];
        images[a] = images[b];
        images[b] = t;
      }
    }
  }
  return { images, labels, n };
}

/** How a check is recorded in the meta file: the md5 check names the digest it matched. */
function checkRecord(check: string, md5: string): string {
  return check === SVHN_CHECKS.md5 ? `md5 ${md5}` : check;
}

/** The cached file when it is intact and was accepted by a check that still holds. */
async function readCachedFile(
  cacheDir: string,
  cacheName: string,
  md5: string,
  allowUnverified: boolean,
): Promise<{ bytes: Uint8Array; check: string } | null> {
  const meta = await readCacheMeta(cacheDir, cacheName);
  if (!meta) return null;
  const check = meta.check === checkRecord(SVHN_CHECKS.md5, md5)
    ? SVHN_CHECKS.md5
    : meta.check === SVHN_CHECKS.custom && allowUnverified
    ? SVHN_CHECKS.custom
    : null;
  if (check === null) return null;
  const bytes = await readCached(cacheDir, cacheName, meta.sha256);
  return bytes ? { bytes, check } : null;
}
