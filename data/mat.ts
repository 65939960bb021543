/**
 * A MATLAB level-5 MAT-file reader (MAT v5 through v7, not the HDF5-based v7.3): real
 * numeric arrays of any class MATLAB stores in 8–32-bit integers or floats, in either
 * byte order, compressed (miCOMPRESSED, zlib) or not. Format reference: MathWorks,
 * "MAT-File Format", sections 1-3 (header, data elements, miMATRIX).
 */

import { Elements, latin1, MI, typeName } from "./_mat_elements.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** MATLAB array classes this reader returns. */
// deno-fmt-ignore
export type MatClass =
  | "double" | "single" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32";

/** The typed array of each class (`double` → Float64Array, `uint8` → Uint8Array, …). */
// deno-fmt-ignore
export type MatData =
  | Float64Array | Float32Array | Int8Array | Uint8Array
  | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** One variable: a real numeric N-d array. */
export interface MatVariable {
  name: string;
  class: MatClass;
  /** MATLAB's dimensions (at least two), e.g. `[32, 32, 3, N]`. */
  dims: number[];
  /** Elements in MATLAB's column-major order (the first dimension varies fastest). Never a view of the input. */
  data: MatData;
  /** Stored as a MATLAB logical (data is uint8 0/1). */
  logical: boolean;
}

/** A parsed MAT-file. */
export interface MatFile {
  /** The header's descriptive text ("MATLAB 5.0 MAT-file, Platform: …"), trailing blanks removed. */
  description: string;
  littleEndian: boolean;
  /** Variables by name, in file order. */
  variables: Map<string, MatVariable>;
}

/** Options of {@link parseMat}. */
export interface ParseMatOptions {
  /**
   * Largest decompressed miCOMPRESSED element accepted, in bytes; checked against the
   * element's own tag before anything is allocated. @default 1032 × its compressed size
   * (deflate's maximum expansion), so memory is bounded by the bytes present
   */
  maxBytes?: number;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** deflate cannot expand data by more than about 1032:1. */
const DEFLATE_MAX_RATIO = 1032;

/**
 * Parses a level-5 MAT-file. `name` (the file name) starts every error message.
 *
 * Every length and dimension is checked against the bytes actually present before
 * anything is allocated. Anything but real numeric arrays (cell arrays, structs,
 * objects, char, sparse, complex, int64) is one TypeError naming the variable and
 * what it is; v7.3 (HDF5) files, v4 files and damaged files are SyntaxErrors with
 * the byte offset. Values a file stores in a narrower type than its class (MATLAB
 * saves a double array of small integers as miUINT8) are widened; a value that
 * does not fit its class is an error, never wrapped.
 *
 * @example
 * ```ts ignore
 * const mat = await parseMat(await Deno.readFile("train_32x32.mat"), "train_32x32.mat");
 * const x = mat.variables.get("X")!; // uint8, dims [32, 32, 3, 73257]
 * ```
 */
export async function parseMat(
  bytes: Uint8Array,
  name = "MAT-file",
  options: ParseMatOptions = {},
): Promise<MatFile> {
  const where = "Cannot run parseMat";
  checkArgumentCount(where, arguments.length, 3);
  checkOptions(where, options, ["maxBytes"]);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `${where}: expected the file's bytes as a Uint8Array, got ${describeValue(bytes)}`,
    );
  }
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(
      `${where}: expected maxBytes to be an integer ≥ 0, got ${describeValue(maxBytes)}`,
    );
  }
  const { littleEndian, description, end } = readHeader(bytes, name);
  const variables = new Map<string, MatVariable>();
  const outer: Elements = new Elements(bytes, littleEndian, name, "", false);
  for (let pos = 128; pos < end;) {
    if (end - pos < 8 && bytes.subarray(pos, end).every((b) => b === 0)) break; // trailing padding
    const el = outer.tag(pos, end, false);
    let variable: MatVariable;
    if (el.type === MI.COMPRESSED) {
      const limit = maxBytes ?? DEFLATE_MAX_RATIO * el.size + 1024;
      const inner = await inflate(
        bytes.subarray(el.data, el.data + el.size),
        littleEndian,
        limit,
        name,
        pos,
      );
      const els: Elements = new Elements(
        inner,
        littleEndian,
        name,
        `in the compressed element at byte ${pos}, `,
        true,
      );
      const matrix = els.tag(0, inner.length, false);
      if (matrix.type !== MI.MATRIX) {
        els.fail(0, `expected miMATRIX, found ${typeName(matrix.type)}`);
      }
      variable = els.matrix(matrix.data, matrix.data + matrix.size);
    } else if (el.type === MI.MATRIX) {
      variable = outer.matrix(el.data, el.data + el.size);
    } else {
      outer.fail(pos, `expected a variable (miMATRIX or miCOMPRESSED), found ${typeName(el.type)}`);
    }
    if (variables.has(variable.name)) {
      outer.fail(pos, `variable "${variable.name}" appears twice`);
    }
    variables.set(variable.name, variable);
    pos = el.data + el.size; // top-level elements are not padded (miCOMPRESSED sizes are exact)
  }
  return { description, littleEndian, variables };
}

function readHeader(bytes: Uint8Array, name: string) {
  const fail = (what: string): never => {
    throw new SyntaxError(`Cannot read ${name}: ${what}`);
  };
  const isHdf5 = bytes.length >= 520 && HDF5_SIGNATURE.every((b, i) => bytes[512 + i] === b);
  const description = latin1(bytes.subarray(0, Math.min(116, bytes.length))).replace(
    /[\s\0]+$/,
    "",
  );
  if (isHdf5 || description.startsWith("MATLAB 7.3")) {
    fail(
      `it is a MATLAB v7.3 (HDF5) file, which this reader does not support; ` +
        `save it with save(..., '-v7') or read it with an HDF5 library`,
    );
  }
  if (bytes.length < 128) {
    fail(`it is ${bytes.length} bytes, shorter than the 128-byte MAT-file header`);
  }
  const mark = latin1(bytes.subarray(126, 128));
  if (mark !== "IM" && mark !== "MI") {
    fail(
      `not a level-5 MAT-file: the endian indicator at byte 126 is ${JSON.stringify(mark)}, ` +
        `expected "IM" or "MI" (a MAT v4 file, or not a MAT-file at all)`,
    );
  }
  const littleEndian = mark === "IM";
  const view = new DataView(bytes.buffer, bytes.byteOffset, 128);
  const version = view.getUint16(124, littleEndian);
  if (version === 0x0200) {
    fail(
      "it is a MATLAB v7.3 (HDF5) file (header version 0x0200), which this reader does not support",
    );
  }
  if (version !== 0x0100) {
    fail(`unknown header version 0x${version.toString(16).padStart(4, "0")}, expected 0x0100`);
  }
  // Subsystem data (class definitions of objects) sits at the end; variables stop there.
  const sub = bytes.subarray(116, 124);
  let end = bytes.length;
  if (!sub.every((b) => b === 0) && !sub.every((b) => b === 0x20)) {
    const offset = Number(view.getBigUint64(116, littleEndian));
    if (offset < 128 || offset > bytes.length) {
      fail(`the subsystem data offset ${offset} lies outside the file (${bytes.length} bytes)`);
    }
    end = offset;
  }
  return { littleEndian, description, end };
}

/**
 * Inflates one miCOMPRESSED element (a zlib stream holding one tagged element) into a
 * buffer sized from the inner tag, after checking that size against `limit`; the
 * stream is cancelled as soon as it yields more than the tag declared.
 */
async function inflate(
  compressed: Uint8Array,
  le: boolean,
  limit: number,
  name: string,
  pos: number,
): Promise<Uint8Array> {
  const where = `Cannot read ${name}: the compressed element at byte ${pos}`;
  const reader = new Blob([compressed as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate")).getReader();
  const head = new Uint8Array(8);
  let out: Uint8Array | null = null;
  let length = 0;
  let padding = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value;
      if (out === null) {
        const take = Math.min(8 - length, chunk.length);
        head.set(chunk.subarray(0, take), length);
        length += take;
        chunk = chunk.subarray(take);
        if (length < 8) continue;
        const view = new DataView(head.buffer);
        const declared = 8 + view.getUint32(4, le);
        if (view.getUint32(0, le) >>> 16 !== 0 || declared > limit) {
          throw new RangeError(
            `${where} declares ${declared} bytes once decompressed, more than the limit of ${limit} ` +
              `(${compressed.length} compressed bytes × ${DEFLATE_MAX_RATIO}, or maxBytes)`,
          );
        }
        out = new Uint8Array(declared);
        out.set(head);
      }
      const room = Math.min(out.length - length, chunk.length);
      out.set(chunk.subarray(0, room), length);
      length += room;
      padding += chunk.length - room; // writers may pad the inner element to 8 bytes
      if (padding > 7) {
        throw new RangeError(
          `${where} decompresses to more than the ${out.length} bytes its tag declares`,
        );
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    if (error instanceof RangeError) throw error;
    throw new SyntaxError(`${where} is not valid zlib data (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (out === null || length < out.length) {
    throw new SyntaxError(
      `${where} is truncated: ${length} bytes decompressed, its tag declares ${
        out?.length ?? "at least 8"
      }`,
    );
  }
  return out;
}
