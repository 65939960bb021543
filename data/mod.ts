/**
 * shardgrad data: fetch + cache (MNIST, Fashion-MNIST, CIFAR-10), parsers (IDX,
 * CIFAR binary, ustar, gzip), datasets, DataLoader, transforms and synthetic sets.
 *
 * The parsers, transforms, DataLoader and synthetic sets use web APIs only and can
 * be imported by URL on their own; fetch_cached.ts, mnist.ts and cifar10.ts also
 * touch the file system (through _fs.ts: node:fs/promises, node:path, node:os).
 */

export {
  CacheDirError,
  ChecksumError,
  DEFAULT_MAX_BYTES,
  type DownloadOptions,
  fetchCached,
  type FetchCachedOptions,
  FetchError,
  type ProgressCallback,
  resolveCacheDir,
  sha256Hex,
  SizeLimitError,
} from "./fetch_cached.ts";
export { gunzip, type GunzipOptions, isGzip } from "./gunzip.ts";
export { readTar, type TarEntry } from "./tar.ts";
export {
  encodeIdx,
  type IdxArray,
  type IdxDtype,
  parseIdx,
  parseIdxImages,
  parseIdxLabels,
} from "./idx.ts";
export {
  checkCifarBatch,
  CIFAR_IMAGE_BYTES,
  CIFAR_RECORD_BYTES,
  type CifarArrays,
  type CifarBatchFile,
  parseCifarBatches,
} from "./cifar_binary.ts";
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_MIRRORS,
  FASHION_MNIST_SHA256,
  fashionMnist,
  mnist,
  MNIST_CLASSES,
  MNIST_MIRRORS,
  MNIST_SHA256,
  MNIST_SIZES,
  MNIST_VERIFICATION,
  type MnistOptions,
} from "./mnist.ts";
export {
  cifar10,
  CIFAR10_ARCHIVE,
  CIFAR10_ARCHIVE_SHA256,
  CIFAR10_CLASSES,
  CIFAR10_CHECKS,
  CIFAR10_MIRRORS,
  CIFAR10_RECORDS_PER_BATCH,
  type Cifar10Options,
} from "./cifar10.ts";
export { type MatClass, type MatData, type MatFile, type MatVariable, parseMat, type ParseMatOptions } from "./mat.ts";
export { Md5, md5Hex } from "./md5.ts";
export { svhn, SVHN_CHECKS, SVHN_CLASSES, SVHN_FILES, SVHN_MEAN, SVHN_MIRRORS, SVHN_OPTION_KEYS, SVHN_STD, type SvhnOptions, type SvhnSplit } from "./svhn.ts";
export { type Dataset, ImageDataset, TensorDataset } from "./dataset.ts";
export { type Batch, DataLoader, type DataLoaderOptions } from "./data_loader.ts";
export {
  CharVocabulary,
  MAX_TEXT_BYTES,
  readTextFile,
  TextDataset,
  type TextDatasetOptions,
  type TextSplit,
} from "./text.ts";
export {
  CIFAR10_MEAN,
  CIFAR10_STD,
  compose,
  MNIST_MEAN,
  MNIST_STD,
  normalize,
  randomCrop,
  type RandomCropOptions,
  randomHorizontalFlip,
  toFloat,
  type Transform,
} from "./transforms.ts";
export {
  type BlobsOptions,
  type CirclesOptions,
  type LabeledData,
  makeBlobs,
  makeCircles,
  makeMoons,
  makeSpirals,
  type SpiralsOptions,
  type SplitOptions,
  type SyntheticOptions,
  trainTestSplit,
} from "./synthetic.ts";
