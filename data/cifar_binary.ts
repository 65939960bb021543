/** CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (R plane, G plane, B plane). */

import { checkArgumentCount } from "../tensor/options.ts";

/** Bytes per CIFAR-10 record: 1 label + 3 × 32 × 32 pixels. */
export const CIFAR_RECORD_BYTES = 3073;
/** Pixels per image, `[3, 32, 32]` in CHW order. */
export const CIFAR_IMAGE_BYTES = 3072;

/** One named batch file. */
export interface CifarBatchFile {
  /** How the file is called in errors, e.g. `cifar-10-batches-bin/data_batch_1.bin`. */
  name: string;
  /** The file's bytes. */
  bytes: Uint8Array;
}

/** Images `[N, 3, 32, 32]` (uint8, already CHW) and labels `[N]` (0–9). */
export interface CifarArrays {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/**
 * Checks a batch file's structure without allocating: its size must be a whole
 * number of 3073-byte records (`expectedRecords` of them when given, 10000 in the
 * real files) and every label byte must be 0–9. Errors name the file, the claim
 * and the actual size.
 * @returns the number of records
 */
export function checkCifarBatch(file: CifarBatchFile, expectedRecords?: number): number {
  checkArgumentCount("Cannot run checkCifarBatch", arguments.length, 2);
  const { name, bytes } = file;
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new RangeError(
      `Cannot read CIFAR batch ${name}: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records`,
    );
  }
  const n = bytes.length / CIFAR_RECORD_BYTES;
  if (expectedRecords !== undefined && n !== expectedRecords) {
    throw new RangeError(
      `Cannot read CIFAR batch ${name}: expected ${expectedRecords} records (${
        expectedRecords * CIFAR_RECORD_BYTES
      } bytes), ` +
        `the file holds ${n} (${bytes.length} bytes)`,
    );
  }
  for (let i = 0; i < n; i++) {
    const label = bytes[i * CIFAR_RECORD_BYTES];
    if (label > 9) {
      throw new RangeError(
        `Cannot read CIFAR batch ${name}: record ${i} has label ${label}, expected 0 to 9`,
      );
    }
  }
  return n;
}

/**
 * Parses and concatenates CIFAR-10 binary batch files into one image array and one
 * label array (allocated once, after every file's structure has been checked). The
 * images live in a SharedArrayBuffer where the platform has one (see
 * {@link sharedBytes}): DataParallel then hands that buffer to its workers as it is
 * instead of copying the 150 MB training set once more.
 *
 * @returns `images` `[N, 3, 32, 32]` uint8 and `labels` `[N]`
 * @example
 * ```ts
 * import { parseCifarBatches } from "./cifar_binary.ts";
 * const record = new Uint8Array(3073);
 * record[0] = 7;
 * const { images, labels } = parseCifarBatches([{ name: "one", bytes: record }]);
 * console.log(images.length, labels[0]); // 3072 7
 * ```
 */
export function parseCifarBatches(
  files: readonly CifarBatchFile[],
  expectedRecords?: number,
): CifarArrays {
  checkArgumentCount("Cannot run parseCifarBatches", arguments.length, 2);
  const counts = files.map((f) => checkCifarBatch(f, expectedRecords));
  const n = counts.reduce((a, b) => a + b, 0);
  const into = { images: sharedBytes(n * CIFAR_IMAGE_BYTES), labels: new Uint8Array(n), n };
  let row = 0;
  for (const file of files) row += copyCifarBatch(file, into, row, expectedRecords);
  return into;
}

/**
 * Checks one batch file ({@link checkCifarBatch}) and copies its records into `into` from
 * image `row` on, so that a loader can read, check and drop the files one at a time
 * instead of holding them all next to the images. A file that does not fit the space left
 * is a RangeError naming it.
 * @returns the number of records copied
 */
export function copyCifarBatch(
  file: CifarBatchFile,
  into: CifarArrays,
  row: number,
  expectedRecords?: number,
): number {
  checkArgumentCount("Cannot run copyCifarBatch", arguments.length, 4);
  const records = checkCifarBatch(file, expectedRecords);
  if (!(Number.isSafeInteger(row) && row >= 0 && row + records <= into.n)) {
    throw new RangeError(
      `Cannot copy CIFAR batch ${file.name}: its ${records} records from image ${row} on do not fit ` +
        `the ${into.n} images allocated`,
    );
  }
  const { bytes } = file;
  for (let i = 0; i < records; i++) {
    const at = i * CIFAR_RECORD_BYTES;
    into.labels[row + i] = bytes[at];
    into.images.set(bytes.subarray(at + 1, at + CIFAR_RECORD_BYTES), (row + i) * CIFAR_IMAGE_BYTES);
  }
  return records;
}

/**
 * `length` zeroed bytes in a SharedArrayBuffer of exactly that size, or in an ordinary
 * ArrayBuffer where SharedArrayBuffer is missing (a page that is not cross-origin isolated).
 * Dataset loaders allocate their images with it so that sharing them with workers
 * (parallel/protocol.ts shareData) needs no copy.
 */
export function sharedBytes(length: number): Uint8Array {
  checkArgumentCount("Cannot run sharedBytes", arguments.length, 1);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot run sharedBytes: expected a length ≥ 0 (an integer), got ${length}`,
    );
  }
  return typeof SharedArrayBuffer === "function"
    ? new Uint8Array(new SharedArrayBuffer(length))
    : new Uint8Array(length);
}
