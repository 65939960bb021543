/** Shape helpers: element counts, validation and readable shape strings for error messages. */

/** Number of elements of a tensor with `shape` (1 for the scalar shape `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[8, 1, 28, 28]`: how shapes are written in every error message. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Throws a TypeError unless every dimension is a non-negative integer. */
export function checkShape(shape: readonly number[], where: string): void {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${where}: expected a shape (array of integers), got ${typeof shape}`);
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0) {
      throw new TypeError(
        `${where}: shape ${formatShape(shape)} has an invalid dimension ${i} (${d}); expected a non-negative integer`,
      );
    }
  }
}

/** True when both shapes have the same rank and dimensions. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Maps a possibly negative `dim` (PyTorch style, -1 = last) into `[0, rank)`; RangeError otherwise. */
export function normalizeDim(dim: number, rank: number, where: string): number {
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw new RangeError(
      `${where}: dim ${dim} is out of range for a tensor of rank ${rank} (expected ${-rank} to ${rank - 1})`,
    );
  }
  return dim < 0 ? dim + rank : dim;
}

/**
 * Splits `shape` around `dim` into `[outer, size, inner]`, so that element
 * `(o, i, j)` sits at `(o * size + i) * inner + j` in row-major order.
 */
export function splitAtDim(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i];
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[dim], inner];
}
