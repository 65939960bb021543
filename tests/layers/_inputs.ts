/** Test inputs for the layer suites: seeded, and kept away from kinks and ties. */

import { Rng } from "../../tensor/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { Module } from "../../layers/module.ts";

export { randomTensor } from "../_helpers/gradcheck.ts";

/** Distinct values spaced `spacing` apart, shuffled (no max-pool ties even after a ±eps nudge). */
export function distinctTensor(shape: number[], seed: number, spacing = 0.05): Tensor {
  const t = Tensor.zeros(shape);
  const perm = new Rng(seed).permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - t.size / 2) * spacing;
  return t;
}

/** Uniform magnitudes in [0.1, 1.5) with random signs: at least 0.1 away from the kink at 0. */
export function awayFromZero(shape: number[], seed: number): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) {
    t.data[i] = (rng.random() < 0.5 ? -1 : 1) * rng.uniform(0.1, 1.5);
  }
  return t;
}

/** Overwrites every parameter with seeded U(low, high) values (so affine weights are not all 1). */
export function randomizeParameters(module: Module, seed: number, low = -1, high = 1): void {
  const rng = new Rng(seed);
  for (const p of module.parameters()) {
    for (let i = 0; i < p.size; i++) p.data.data[i] = rng.uniform(low, high);
  }
}

/** Flat index of element `index` of a row-major array with `shape`. */
export function at(shape: readonly number[], ...index: number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + index[d];
  return k;
}
