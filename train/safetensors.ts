/**
 * safetensors: Hugging Face's tensor file format, read and written without dependencies.
 *
 * Layout: an 8-byte little-endian u64 `N`, then `N` bytes of UTF-8 JSON
 * `{ "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ...,
 * "__metadata__"?: { "<key>": "<string>" } }`, then the data section: every tensor's
 * elements row-major and little-endian, at `[begin, end)` relative to the start of the
 * data section, covering it exactly (no holes, no overlaps).
 *
 * This file uses no zod and no runtime APIs, so a script can import it by URL with no
 * import map (to read shardgrad or PyTorch weights in a browser, say).
 */

import { Tensor } from "../tensor/tensor.ts";
import {
  float32Bytes,
  int64Bytes,
  type SafetensorsDtype,
  toFloat32,
  type WritableDtype,
} from "./_safetensors_dtypes.ts";
import { checkCoverage, checkEntry, checkMetadata } from "./_safetensors_header.ts";

export type { SafetensorsDtype, WritableDtype };

/** The header entry of one tensor; `dataOffsets` are relative to the data section. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  dataOffsets: [number, number];
}

/** A validated header: the entries in file order, the metadata, and where the data section starts. */
export interface SafetensorsHeader {
  entries: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file: 8 + header length. */
  dataStart: number;
}

/** A decoded file: float32 tensors by name, the dtype each had in the file, and the metadata. */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  dtypes: Record<string, SafetensorsDtype>;
  metadata: Record<string, string>;
}

/** Options of `encodeSafetensors`. */
export interface EncodeOptions {
  /** Per-key dtype; keys not listed are written as F32. Values written as I64 must be integers. */
  dtypes?: Record<string, WritableDtype>;
  /** The `__metadata__` string map (PyTorch's `save_file` writes `{ format: "pt" }`). */
  metadata?: Record<string, string>;
}

/** The reference implementation refuses headers above 100 MB; so do we, before decoding them. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Serializes tensors (in the order of `tensors`' keys) as chunks: the length + header
 * first, then one chunk per tensor. Concatenated, they are a safetensors file; written
 * one by one, they need no second copy of the weights.
 *
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer
 * does, so the data section starts 8-aligned.
 */
export function encodeSafetensorsChunks(
  tensors: Record<string, Tensor>,
  options: EncodeOptions = {},
): Uint8Array[] {
  const { dtypes = {}, metadata } = options;
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === "__metadata__") {
      throw new TypeError(
        `Cannot write safetensors: "__metadata__" is reserved, not a tensor name`,
      );
    }
    if (!(tensor instanceof Tensor)) {
      throw new TypeError(`Cannot write safetensors: "${name}" is not a Tensor`);
    }
    const dtype = dtypes[name] ?? "F32";
    const bytes = dtype === "I64" ? int64Bytes(tensor, name) : float32Bytes(tensor.data);
    header[name] = {
      dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const encoded = new TextEncoder().encode(json);
  json += " ".repeat((8 - (encoded.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const first = new Uint8Array(8 + headerBytes.length);
  new DataView(first.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  first.set(headerBytes, 8);
  return [first, ...chunks];
}

/** Serializes tensors into one safetensors byte array (see `encodeSafetensorsChunks`). */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  options: EncodeOptions = {},
): Uint8Array {
  const chunks = encodeSafetensorsChunks(tensors, options);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Reads and validates the header of a safetensors file, allocating nothing for tensors.
 * Every problem is one error naming `name` and the field: a file shorter than 8 bytes or
 * a header longer than the file (RangeError), JSON that does not parse (SyntaxError), an
 * unknown dtype, a bad shape, offsets outside the data section, a byte range whose length
 * is not shape × dtype size, or ranges that overlap or leave holes (TypeError/RangeError).
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  name = "safetensors data",
): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, name);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.length, name);
}

/**
 * The header length announced by the first 8 bytes of a file of `fileLength` bytes,
 * checked against the file's size and the 100 MB limit, so a reader that has only these
 * 8 bytes knows how much more to read — and refuses a file that is not safetensors
 * before reading the rest of it.
 */
export function safetensorsHeaderLength(
  first: Uint8Array,
  fileLength: number,
  name = "safetensors data",
): number {
  const where = `Cannot read safetensors file ${name}`;
  if (fileLength < 8 || first.length < 8) {
    throw new RangeError(
      `${where}: the file is ${fileLength} bytes, shorter than the 8-byte header length (truncated?)`,
    );
  }
  const headerLength = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(fileLength - 8)) {
    throw new RangeError(
      `${where}: the header length field says ${headerLength} bytes but only ${
        fileLength - 8
      } follow it (truncated or not safetensors)`,
    );
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new RangeError(`${where}: the header is ${headerLength} bytes, above the 100 MB limit`);
  }
  return Number(headerLength);
}

/**
 * Validates the JSON header `json` (the bytes after the length field) of a file of
 * `fileLength` bytes: every entry's dtype, shape and offsets, and that the tensors cover
 * the data section exactly. Errors as `readSafetensorsHeader`.
 */
export function parseSafetensorsHeader(
  json: Uint8Array,
  fileLength: number,
  name = "safetensors data",
): SafetensorsHeader {
  const where = `Cannot read safetensors file ${name}`;
  const dataStart = 8 + json.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (error) {
    throw new SyntaxError(
      `${where}: the header is not valid UTF-8 JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError(
      `${where}: the header must be a JSON object, got ${
        Array.isArray(parsed) ? "an array" : typeof parsed
      }`,
    );
  }
  const dataLength = fileLength - dataStart;
  const entries: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === "__metadata__") metadata = checkMetadata(value, where);
    else entries[key] = checkEntry(key, value, dataLength, where);
  }
  checkCoverage(entries, dataLength, where);
  return { entries, metadata, dataStart };
}

/**
 * Decodes a safetensors file into float32 tensors (F64, F16, BF16, I64, I32, I16, I8, U8
 * and BOOL are converted), after validating the whole header (see `readSafetensorsHeader`).
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const bytes = encodeSafetensors({ "0.weight": Tensor.ones([2, 3]) });
 * const { tensors, dtypes } = decodeSafetensors(bytes);
 * console.log(tensors["0.weight"].shape, dtypes["0.weight"]); // [2, 3] F32
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, name = "safetensors data"): SafetensorsFile {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, name);
  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDtype> = {};
  for (const [key, entry] of Object.entries(entries)) {
    const begin = dataStart + entry.dataOffsets[0];
    const raw = bytes.subarray(begin, dataStart + entry.dataOffsets[1]);
    tensors[key] = new Tensor(toFloat32(raw, entry.dtype), entry.shape);
    dtypes[key] = entry.dtype;
  }
  return { tensors, dtypes, metadata };
}
