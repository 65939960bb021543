/**
 * Embedding kernels: row gather (forward), scatter-add (backward) and PyTorch's
 * `embedding_renorm_` (max-norm), over a weight [numEmbeddings, dim] and flat indices.
 *
 * Indices come as an Int32Array / Uint8Array, or as a Float32Array of integer values (a
 * Tensor of indices, as a Sequential passes them); `findInvalidIndex` is the check the
 * layer runs once before any other kernel reads them.
 */

/** Flat indices: integers, or floats holding integers. */
export type EmbeddingIndices = Int32Array | Uint8Array | Float32Array;

/** The first position k whose value is not an integer in [0, numEmbeddings), or −1. */
export function findInvalidIndex(indices: EmbeddingIndices, numEmbeddings: number): number {
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k];
    if (!(v >= 0 && v < numEmbeddings && Math.floor(v) === v)) return k;
  }
  return -1;
}

/** out[k, :] = weight[indices[k], :] for lo ≤ k < hi; `out` is [count, dim]. */
export function embeddingForward(
  weight: Float32Array,
  indices: EmbeddingIndices,
  out: Float32Array,
  dim: number,
  lo: number,
  hi: number,
): void {
  for (let k = lo; k < hi; k++) {
    const src = indices[k] * dim;
    out.set(weight.subarray(src, src + dim), k * dim);
  }
}

/**
 * gradWeight[indices[k], :] += scale_k · gradOutput[k, :], ACCUMULATES, skipping rows equal
 * to `paddingIdx` (−1: none). scale_k is 1, or 1 / (number of times indices[k] occurs) when
 * `counts` is given (PyTorch's scale_grad_by_freq; fill it with `countIndices`).
 */
export function embeddingBackward(
  gradOutput: Float32Array,
  indices: EmbeddingIndices,
  gradWeight: Float32Array,
  dim: number,
  paddingIdx: number,
  counts: Int32Array | null,
): void {
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k];
    if (row === paddingIdx) continue;
    const scale = counts === null ? 1 : 1 / counts[row];
    const dst = row * dim;
    const src = k * dim;
    if (scale === 1) {
      for (let j = 0; j < dim; j++) gradWeight[dst + j] += gradOutput[src + j];
    } else {
      for (let j = 0; j < dim; j++) gradWeight[dst + j] += gradOutput[src + j] * scale;
    }
  }
}

/** counts[v] = number of occurrences of v in `indices` (counts is zeroed first). */
export function countIndices(indices: EmbeddingIndices, counts: Int32Array): void {
  counts.fill(0);
  for (let k = 0; k < indices.length; k++) counts[indices[k]]++;
}

/**
 * PyTorch's `embedding_renorm_`: every row referenced by `indices` (once per distinct row)
 * whose p-norm exceeds `maxNorm` is scaled IN PLACE by maxNorm / (norm + 1e-7).
 * `normType` is p > 0 (Infinity: the largest |value|). `seen` [numEmbeddings] is scratch (zeroed here).
 */
export function embeddingRenorm(
  weight: Float32Array,
  indices: EmbeddingIndices,
  dim: number,
  maxNorm: number,
  normType: number,
  seen: Int32Array,
): void {
  seen.fill(0);
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k];
    if (seen[row] === 1) continue;
    seen[row] = 1;
    const base = row * dim;
    let norm = 0;
    if (normType === Infinity) {
      for (let j = 0; j < dim; j++) norm = Math.max(norm, Math.abs(weight[base + j]));
    } else if (normType === 2) {
      for (let j = 0; j < dim; j++) norm += weight[base + j] * weight[base + j];
      norm = Math.sqrt(norm);
    } else if (normType === 1) {
      for (let j = 0; j < dim; j++) norm += Math.abs(weight[base + j]);
    } else {
      for (let j = 0; j < dim; j++) norm += Math.abs(weight[base + j]) ** normType;
      norm = norm ** (1 / normType);
    }
    if (norm > maxNorm) {
      const scale = maxNorm / (norm + 1e-7);
      for (let j = 0; j < dim; j++) weight[base + j] *= scale;
    }
  }
}
