/** Shape and target checks shared by NLLLoss and CrossEntropyLoss (internal). */

import type { Tensor } from "../tensor/tensor.ts";
import { formatShape } from "../tensor/shape.ts";
import { type ClassTargets, findInvalidTarget } from "../tensor/kernels/loss.ts";
import { describe } from "./_reduction.ts";

/** An input `[N, C, d1, ...]` seen as `[n, c, inner]`, and the shape of its targets `[N, d1, ...]`. */
export interface ClassLayout {
  n: number;
  c: number;
  inner: number;
  /** `[N, d1, ...]`, or `[]` for an unbatched input `[C]`. */
  targetShape: number[];
}

/**
 * Reads the layout of `input` (class dimension 1, or 0 for an unbatched `[C]`), as PyTorch.
 * Throws a TypeError for a scalar input.
 */
export function classLayout(input: Tensor, where: string): ClassLayout {
  const shape = input.shape;
  if (shape.length === 0) {
    throw new TypeError(
      `${where}: expected input [N, C] or [N, C, d1, ...] or [C], got a scalar []`,
    );
  }
  if (shape.length === 1) return { n: 1, c: shape[0], inner: 1, targetShape: [] };
  let inner = 1;
  for (let d = 2; d < shape.length; d++) inner *= shape[d];
  return { n: shape[0], c: shape[1], inner, targetShape: [shape[0], ...shape.slice(2)] };
}

/**
 * Checks class-index targets against `layout`: the kind (Int32Array or Uint8Array,
 * TypeError), the count (TypeError naming both shapes) and every value (RangeError
 * naming the first bad sample, its value and C).
 */
export function checkClassTargets(
  target: unknown,
  input: Tensor,
  layout: ClassLayout,
  ignoreIndex: number,
  where: string,
): ClassTargets {
  if (!(target instanceof Int32Array) && !(target instanceof Uint8Array)) {
    throw new TypeError(
      `${where}: expected target class indices as an Int32Array or Uint8Array, got ${
        describe(target)
      }`,
    );
  }
  const expected = layout.n * layout.inner;
  if (target.length !== expected) {
    throw new TypeError(
      `${where}: expected target ${
        formatShape(layout.targetShape)
      } (${expected} class indices) for input ${
        formatShape(input.shape)
      }, got ${target.length} class indices`,
    );
  }
  const bad = findInvalidTarget(target, layout.c, ignoreIndex);
  if (bad >= 0) {
    throw new RangeError(
      `${where}: target[${bad}] is ${target[bad]}, expected a class index in [0, ${layout.c}) ` +
        `(C = ${layout.c}) or ignoreIndex ${ignoreIndex}`,
    );
  }
  return target;
}

/** Checks that a class-weight vector has C elements (TypeError naming both shapes). */
export function checkClassWeight(
  weight: Tensor | null,
  input: Tensor,
  c: number,
  where: string,
): Float32Array | null {
  if (weight === null) return null;
  if (weight.size !== c) {
    throw new TypeError(
      `${where}: expected weight [${c}] (one per class of input ${formatShape(input.shape)}), got ${
        formatShape(weight.shape)
      }`,
    );
  }
  return weight.data;
}

/** Validates the ignoreIndex option (an integer) at construction. */
export function checkIgnoreIndex(value: unknown, where: string): number {
  if (!Number.isInteger(value)) {
    throw new RangeError(`${where}: ignoreIndex must be an integer, got ${String(value)}`);
  }
  return value as number;
}
