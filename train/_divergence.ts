/**
 * Internal: the divergence guard of train/loop.ts — the error it stops with, and the scan
 * that finds the first non-finite number in a state dict.
 */

import { Tensor } from "../tensor/tensor.ts";

/** The divergence error: what was non-finite where, and which checkpoint is the last good one. */
export function diverged(what: string, lastGood: string): RangeError {
  return new RangeError(`Training diverged: ${what}; ${lastGood}. Try a smaller --lr.`);
}

/**
 * The first non-finite number in a state dict (Tensors, Float32Arrays, numbers, nested),
 * described as `parameter "2.weight" is NaN (element 17 of 64)`, or null when all are finite.
 */
export function nonFinite(value: unknown, kind: string, path = ""): string | null {
  const data = value instanceof Tensor ? value.data : value instanceof Float32Array ? value : null;
  if (data !== null) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        return `${kind} "${path}" is ${data[i]} (element ${i} of ${data.length})`;
      }
    }
    return null;
  }
  if (typeof value === "number") {
    return Number.isFinite(value) ? null : `${kind} "${path}" is ${value}`;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = nonFinite(item, kind, path === "" ? key : `${path}.${key}`);
      if (found !== null) return found;
    }
  }
  return null;
}
