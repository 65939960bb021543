/** IDX files (the MNIST format): header validation before any allocation, then a typed view of the data. */

import { checkArgumentCount } from "../tensor/options.ts";

/** The element types an IDX file can declare in byte 2 of its magic number. */
export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

/** A parsed IDX file: `dims` outermost first, `data` row-major with `product(dims)` elements. */
export interface IdxArray {
  /** Element type from the header. */
  dtype: IdxDtype;
  /** Dimensions from the header, e.g. `[60000, 28, 28]` for MNIST training images. */
  dims: number[];
  /**
   * The elements. For `uint8` this is a view into the input bytes (no copy);
   * wider types are decoded from big-endian into a new array of the host's order.
   */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const DTYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: "uint8", bytes: 1 },
  0x09: { dtype: "int8", bytes: 1 },
  0x0b: { dtype: "int16", bytes: 2 },
  0x0c: { dtype: "int32", bytes: 4 },
  0x0d: { dtype: "float32", bytes: 4 },
  0x0e: { dtype: "float64", bytes: 8 },
};

/**
 * Parses an IDX file: magic `0x00 0x00 <type> <ndims>`, then `ndims` big-endian
 * uint32 dimensions, then the elements (big-endian).
 *
 * The header is checked against the file's length before anything is allocated:
 * a header that claims more (or fewer) bytes than the file holds is a RangeError
 * naming the file, the claim and the actual size — never an out-of-memory crash.
 * A damaged magic number is a SyntaxError.
 *
 * @param bytes the whole (decompressed) file
 * @param name how the file is called in error messages (a path or URL)
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const file = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4]);
 * const { dims, data } = parseIdx(file, "labels");
 * console.log(dims, Array.from(data)); // [3] [5, 0, 4]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = "IDX data"): IdxArray {
  checkArgumentCount("Cannot run parseIdx", arguments.length, 2);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot parse IDX file ${name}: expected a Uint8Array, got ${typeof bytes}`,
    );
  }
  if (bytes.length < 4) {
    throw new SyntaxError(
      `Cannot parse IDX file ${name}: the file is ${bytes.length} bytes, shorter than the 4-byte magic`,
    );
  }
  const type = DTYPES[bytes[2]];
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndims === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join("");
    throw new SyntaxError(
      `Cannot parse IDX file ${name}: bad magic number 0x${magic} (expected 0x0000TTNN with type 08/09/0b/0c/0d/0e ` +
        `and at least one dimension); is the file still gzip-compressed or not an IDX file?`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new RangeError(
      `Cannot parse IDX file ${name}: the header declares ${ndims} dimensions (${headerBytes} header bytes) ` +
        `but the file is only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  // A double holds these products exactly: 255 dims of < 2^32 overflow only past 2^53, which
  // can never equal a real file's length, so the comparison below still rejects it.
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const claimed = count * type.bytes;
  const actual = bytes.length - headerBytes;
  if (claimed !== actual) {
    throw new RangeError(
      `Cannot parse IDX file ${name}: the header claims [${dims.join(", ")}] ${type.dtype} = ` +
        `${count} items (${claimed} data bytes) but the file holds ${actual} data bytes ` +
        `(${bytes.length} bytes in all); the file is ${
          claimed > actual ? "truncated or the header is corrupt" : "longer than its header says"
        }`,
    );
  }
  return { dtype: type.dtype, dims, data: decode(view, headerBytes, count, type.dtype, bytes) };
}

/**
 * Parses an IDX image file (`uint8`, 3 dimensions `[N, H, W]`, as MNIST's `*-images-idx3-ubyte`).
 * @returns the pixels as a view `[N, H, W]` into `bytes`, plus `n`, `h`, `w`.
 */
export function parseIdxImages(
  bytes: Uint8Array,
  name = "IDX images",
): { images: Uint8Array; n: number; h: number; w: number } {
  checkArgumentCount("Cannot run parseIdxImages", arguments.length, 2);
  const idx = parseIdx(bytes, name);
  if (idx.dtype !== "uint8" || idx.dims.length !== 3) {
    throw new TypeError(
      `Cannot read IDX images from ${name}: expected uint8 [N, H, W], got ${idx.dtype} [${
        idx.dims.join(", ")
      }]`,
    );
  }
  const [n, h, w] = idx.dims;
  return { images: idx.data as Uint8Array, n, h, w };
}

/**
 * Parses an IDX label file (`uint8`, 1 dimension `[N]`), checking every label is `< numClasses`.
 * @returns the labels as a view into `bytes`.
 */
export function parseIdxLabels(
  bytes: Uint8Array,
  name = "IDX labels",
  numClasses = 256,
): Uint8Array {
  checkArgumentCount("Cannot run parseIdxLabels", arguments.length, 3);
  const idx = parseIdx(bytes, name);
  if (idx.dtype !== "uint8" || idx.dims.length !== 1) {
    throw new TypeError(
      `Cannot read IDX labels from ${name}: expected uint8 [N], got ${idx.dtype} [${
        idx.dims.join(", ")
      }]`,
    );
  }
  const labels = idx.data as Uint8Array;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new RangeError(
        `Cannot read IDX labels from ${name}: label ${i} is ${labels[i]}, expected 0 to ${
          numClasses - 1
        }`,
      );
    }
  }
  return labels;
}

/**
 * Serializes `data` with `dims` as an IDX file (big-endian), the inverse of `parseIdx`.
 * Used by tests to build fixtures and by anyone exporting data in MNIST's format.
 */
export function encodeIdx(
  dims: readonly number[],
  data: IdxArray["data"],
  dtype: IdxDtype = "uint8",
): Uint8Array {
  checkArgumentCount("Cannot run encodeIdx", arguments.length, 3);
  const code = Number(Object.keys(DTYPES).find((k) => DTYPES[Number(k)].dtype === dtype));
  const elem = DTYPES[code].bytes;
  const count = dims.reduce((p, d) => p * d, 1);
  if (count !== data.length) {
    throw new TypeError(
      `Cannot encode IDX: dims [${
        dims.join(", ")
      }] hold ${count} items but data has ${data.length}`,
    );
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * elem);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const at = header + i * elem;
    const v = data[i];
    if (dtype === "uint8") view.setUint8(at, v);
    else if (dtype === "int8") view.setInt8(at, v);
    else if (dtype === "int16") view.setInt16(at, v, false);
    else if (dtype === "int32") view.setInt32(at, v, false);
    else if (dtype === "float32") view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return out;
}

function decode(
  view: DataView,
  offset: number,
  count: number,
  dtype: IdxDtype,
  bytes: Uint8Array,
): IdxArray["data"] {
  switch (dtype) {
    case "uint8":
      return bytes.subarray(offset, offset + count);
    case "int8":
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case "int16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case "int32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case "float32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case "float64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}
