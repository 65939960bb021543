/** MNIST and Fashion-MNIST: fetched, verified by sha256 of the decompressed IDX files, cached. */

import { getEnv } from "./_fs.ts";
import { DOWNLOAD_OPTION_KEYS, type DownloadOptions, fetchCached } from "./fetch_cached.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";
import { parseIdxImages, parseIdxLabels } from "./idx.ts";
import { ImageDataset } from "./dataset.ts";
import { sharedBytes } from "./cifar_binary.ts";

/** Options of {@link mnist} and {@link fashionMnist}. */
export interface MnistOptions extends DownloadOptions {
  /** Training split (60000 images) or test split (10000). @default true */
  train?: boolean;
  /**
   * Mirrors tried in order (http(s) URL, file:// URL or directory holding the standard
   * file names). @default $SHARDGRAD_DATA_MIRROR (if set), then the public hosts
   */
  mirrors?: readonly string[];
  /** Cache root (see fetchCached). */
  cacheDir?: string;
}

/** Public MNIST hosts torchvision uses (same file names). */
export const MNIST_MIRRORS: readonly string[] = Object.freeze([
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
]);

/** Fashion-MNIST: Debian's `dataset-fashion-mnist` package directory, then Zalando's public host. */
export const FASHION_MNIST_MIRRORS: readonly string[] = Object.freeze([
  "/usr/share/datasets/fashion-mnist",
  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]);

/** sha256 of the DECOMPRESSED MNIST files (re-gzipped copies differ only in their .gz bytes). */
export const MNIST_SHA256: Readonly<Record<string, string>> = Object.freeze({
  "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
});

/** sha256 of the DECOMPRESSED Fashion-MNIST files. */
export const FASHION_MNIST_SHA256: Readonly<Record<string, string>> = Object.freeze({
  "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
});

/** Decompressed sizes in bytes of the four IDX files (MNIST and Fashion-MNIST alike): downloads are bounded by them. */
export const MNIST_SIZES: Readonly<Record<string, number>> = Object.freeze({
  "train-images-idx3-ubyte.gz": 47_040_016,
  "train-labels-idx1-ubyte.gz": 60_008,
  "t10k-images-idx3-ubyte.gz": 7_840_016,
  "t10k-labels-idx1-ubyte.gz": 10_008,
});

/** The `verification` of an MNIST or Fashion-MNIST dataset: every file matched its published sha256. */
export const MNIST_VERIFICATION = "per-file sha256";

/** MNIST class names (torchvision's). */
export const MNIST_CLASSES: readonly string[] = Object.freeze([
  "0 - zero",
  "1 - one",
  "2 - two",
  "3 - three",
  "4 - four",
  "5 - five",
  "6 - six",
  "7 - seven",
  "8 - eight",
  "9 - nine",
]);

/** Fashion-MNIST class names. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/**
 * The MNIST handwritten digits as uint8 images `[N, 1, 28, 28]` (N = 60000 train,
 * 10000 test) with labels 0–9, like `torchvision.datasets.MNIST`. The first call
 * downloads and caches; later calls read the verified cache without any request.
 *
 * @example
 * ```ts ignore
 * const train = await mnist({ train: true, mirrors: ["../shared/data/mnist"] });
 * console.log(train.shape, train.labels[0]); // [60000, 1, 28, 28] 5
 * ```
 */
export function mnist(options: MnistOptions = {}): Promise<ImageDataset> {
  checkLoaderCall("mnist", arguments.length, options);
  return loadIdxDataset("mnist", MNIST_MIRRORS, MNIST_SHA256, MNIST_CLASSES, options);
}

/**
 * Zalando's Fashion-MNIST `[N, 1, 28, 28]`, same format and sizes as MNIST. Reads
 * `/usr/share/datasets/fashion-mnist/` (Debian package `dataset-fashion-mnist`)
 * when present, else downloads.
 */
export function fashionMnist(options: MnistOptions = {}): Promise<ImageDataset> {
  checkLoaderCall("fashionMnist", arguments.length, options);
  return loadIdxDataset(
    "fashion-mnist",
    FASHION_MNIST_MIRRORS,
    FASHION_MNIST_SHA256,
    FASHION_MNIST_CLASSES,
    options,
  );
}

/** Option keys of {@link mnist} and {@link fashionMnist}. */
export const MNIST_OPTION_KEYS: readonly string[] = Object.freeze([
  "train",
  "mirrors",
  "cacheDir",
  ...DOWNLOAD_OPTION_KEYS,
]);

function checkLoaderCall(name: string, count: number, options: unknown): void {
  checkArgumentCount(`Cannot load ${name}`, count, 1);
  checkOptions(`Cannot load ${name}`, options, MNIST_OPTION_KEYS);
}

/** The default mirror list: `$SHARDGRAD_DATA_MIRROR` (when set) before `publicMirrors`. */
export function defaultMirrors(publicMirrors: readonly string[]): string[] {
  const env = getEnv("SHARDGRAD_DATA_MIRROR");
  return env ? [env, ...publicMirrors] : [...publicMirrors];
}

async function loadIdxDataset(
  folder: string,
  publicMirrors: readonly string[],
  sha256: Readonly<Record<string, string>>,
  classes: readonly string[],
  options: MnistOptions,
): Promise<ImageDataset> {
  const { train = true, mirrors = defaultMirrors(publicMirrors), ...transfer } = options;
  const prefix = train ? "train" : "t10k";
  const fetchOne = (file: string) =>
    fetchCached(file, {
      ...transfer,
      mirrors,
      sha256: sha256[file],
      size: MNIST_SIZES[file],
      cacheName: `${folder}/${file.replace(/\.gz$/, "")}`,
    });
  const imagesFile = `${prefix}-images-idx3-ubyte.gz`;
  const labelsFile = `${prefix}-labels-idx1-ubyte.gz`;
  const parsed = parseIdxImages(await fetchOne(imagesFile), imagesFile);
  const { n, h, w } = parsed;
  // The pixels move into a SharedArrayBuffer of their own (the decompressed file is then
  // garbage), so that DataParallel shares them with its workers without a copy (issue 16).
  const images = sharedBytes(parsed.images.length);
  images.set(parsed.images);
  const labels = parseIdxLabels(await fetchOne(labelsFile), labelsFile, classes.length);
  if (labels.length !== n) {
    throw new RangeError(
      `Cannot load ${folder}: ${imagesFile} holds ${n} images but ${labelsFile} ${labels.length} labels`,
    );
  }
  return new ImageDataset(
    images,
    labels,
    [n, 1, h, w],
    classes,
    MNIST_VERIFICATION,
  );
}
