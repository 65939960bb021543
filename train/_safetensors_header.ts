/** Internal: the checks of a safetensors header's entries, metadata and data-section coverage. */

import { formatShape, sizeOf } from "../tensor/shape.ts";
import { DTYPE_BYTES, type SafetensorsDtype } from "./_safetensors_dtypes.ts";
import type { SafetensorsEntry } from "./safetensors.ts";

/** `__metadata__` must be an object of strings. */
export function checkMetadata(value: unknown, where: string): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${where}: "__metadata__" must be an object of strings`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      throw new TypeError(`${where}: "__metadata__.${k}" must be a string, got ${typeof v}`);
    }
  }
  return { ...(value as Record<string, string>) };
}

/** One tensor entry: known dtype, shape of non-negative integers, offsets inside the data section spanning shape × dtype size. */
export function checkEntry(
  key: string,
  value: unknown,
  dataLength: number,
  where: string,
): SafetensorsEntry {
  const at = `${where}: tensor "${key}"`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${at} must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
    throw new TypeError(
      `${at} has unsupported dtype ${JSON.stringify(dtype)} (expected one of ${
        Object.keys(DTYPE_BYTES).join(", ")
      })`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(
      `${at} has an invalid shape ${
        JSON.stringify(shape)
      } (expected an array of non-negative integers)`,
    );
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new TypeError(
      `${at} has invalid data_offsets ${
        JSON.stringify(offsets)
      } (expected [begin, end] with 0 ≤ begin ≤ end)`,
    );
  }
  if (offsets[1] > dataLength) {
    throw new RangeError(
      `${at} has data_offsets [${offsets}] beyond the data section of ${dataLength} bytes (truncated file?)`,
    );
  }
  const expected = sizeOf(shape) * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (offsets[1] - offsets[0] !== expected) {
    throw new TypeError(
      `${at}: shape ${
        formatShape(shape)
      } of ${dtype} needs ${expected} bytes but data_offsets [${offsets}] span ${
        offsets[1] - offsets[0]
      }`,
    );
  }
  return {
    dtype: dtype as SafetensorsDtype,
    shape: [...shape],
    dataOffsets: [offsets[0], offsets[1]],
  };
}

/** The entries cover `[0, dataLength)` exactly: no overlaps, no holes, no bytes left over. */
export function checkCoverage(
  entries: Record<string, SafetensorsEntry>,
  dataLength: number,
  where: string,
): void {
  const sorted = Object.entries(entries).sort((a, b) =>
    a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]
  );
  let end = 0;
  let previous = "the start of the data section";
  for (const [key, { dataOffsets: [begin, stop] }] of sorted) {
    if (begin !== end) {
      const problem = begin < end ? "overlaps" : `leaves a hole of ${begin - end} bytes after`;
      throw new RangeError(
        `${where}: tensor "${key}" at data_offsets [${begin}, ${stop}] ${problem} ${previous}`,
      );
    }
    end = stop;
    previous = `tensor "${key}"`;
  }
  if (end !== dataLength) {
    throw new RangeError(
      `${where}: the tensors cover ${end} bytes but the data section holds ${dataLength} (extra bytes at the end)`,
    );
  }
}
