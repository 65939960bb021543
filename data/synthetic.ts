/** Synthetic 2-D classification sets (scikit-learn's make_* semantics, seeded) and trainTestSplit. */

import { Tensor } from "../tensor/tensor.ts";
import { defaultRng, type Rng } from "../tensor/rng.ts";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

/** Features `x` `[N, F]` float32 and class labels `y` `[N]` (0 … K−1). */
export interface LabeledData {
  /** Features `[N, F]`. */
  x: Tensor;
  /** Class index per row, `[N]`. */
  y: Int32Array;
}

/** Options shared by the generators. */
export interface SyntheticOptions {
  /** Shuffle the rows after generation (sklearn's `shuffle`). @default true */
  shuffle?: boolean;
  /** Standard deviation of Gaussian noise added to every coordinate (after shuffling, as sklearn). @default 0 */
  noise?: number;
  /** Random source (sklearn's `random_state`). @default defaultRng() */
  rng?: Rng;
}

/**
 * Two interleaving half circles, like `sklearn.datasets.make_moons`.
 *
 * Outer moon (label 0, ⌊N/2⌋ points): (cos t, sin t), t = linspace(0, π).
 * Inner moon (label 1, N − ⌊N/2⌋ points): (1 − cos t, 0.5 − sin t).
 * Then the rows are shuffled and `noise`·N(0, 1) is added to each coordinate.
 *
 * @returns `x` `[N, 2]`, `y` `[N]`
 * @example
 * ```ts
 * import { makeMoons } from "./synthetic.ts";
 * import { Rng } from "../tensor/rng.ts";
 * const { x, y } = makeMoons(100, { noise: 0.1, rng: new Rng(0) });
 * console.log(x.shape, y.length); // [100, 2] 100
 * ```
 */
export function makeMoons(nSamples = 100, options: SyntheticOptions = {}): LabeledData {
  checkCall("makeMoons", arguments.length, options, SYNTHETIC_KEYS);
  checkCount(nSamples, "makeMoons", 1);
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const x = new Float32Array(nSamples * 2);
  const y = new Int32Array(nSamples);
  for (let i = 0; i < nOut; i++) {
    const t = linspace(0, Math.PI, nOut, i, true);
    x[2 * i] = Math.cos(t);
    x[2 * i + 1] = Math.sin(t);
  }
  for (let i = 0; i < nIn; i++) {
    const t = linspace(0, Math.PI, nIn, i, true);
    const r = nOut + i;
    x[2 * r] = 1 - Math.cos(t);
    x[2 * r + 1] = 1 - Math.sin(t) - 0.5;
    y[r] = 1;
  }
  return finish(x, y, 2, options, "makeMoons");
}

/** Options of {@link makeCircles}. */
export interface CirclesOptions extends SyntheticOptions {
  /** Scale of the inner circle relative to the outer one, in [0, 1). @default 0.8 */
  factor?: number;
}

/**
 * A large circle containing a smaller one, like `sklearn.datasets.make_circles`.
 *
 * Outer circle (label 0, ⌊N/2⌋ points): (cos t, sin t), t = linspace(0, 2π, endpoint=false).
 * Inner circle (label 1, N − ⌊N/2⌋ points): factor·(cos t, sin t).
 *
 * @returns `x` `[N, 2]`, `y` `[N]`
 */
export function makeCircles(nSamples = 100, options: CirclesOptions = {}): LabeledData {
  checkCall("makeCircles", arguments.length, options, [...SYNTHETIC_KEYS, "factor"]);
  checkCount(nSamples, "makeCircles", 1);
  const { factor = 0.8 } = options;
  if (!(factor >= 0 && factor < 1)) {
    throw new RangeError(`Cannot run makeCircles: expected 0 ≤ factor < 1, got ${factor}`);
  }
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const x = new Float32Array(nSamples * 2);
  const y = new Int32Array(nSamples);
  for (let i = 0; i < nOut; i++) {
    const t = linspace(0, 2 * Math.PI, nOut, i, false);
    x[2 * i] = Math.cos(t);
    x[2 * i + 1] = Math.sin(t);
  }
  for (let i = 0; i < nIn; i++) {
    const t = linspace(0, 2 * Math.PI, nIn, i, false);
    const r = nOut + i;
    x[2 * r] = factor * Math.cos(t);
    x[2 * r + 1] = factor * Math.sin(t);
    y[r] = 1;
  }
  return finish(x, y, 2, options, "makeCircles");
}

/** Options of {@link makeBlobs}. */
export interface BlobsOptions {
  /** Feature count F (ignored when `centers` is an array of points). @default 2 */
  nFeatures?: number;
  /** Number of centers drawn uniformly in `centerBox`, or the centers themselves `[K][F]`. @default 3 */
  centers?: number | number[][];
  /** Standard deviation of each cluster (one number, or one per center). @default 1 */
  clusterStd?: number | number[];
  /** Bounding box `[low, high)` of randomly drawn centers. @default [-10, 10] */
  centerBox?: [number, number];
  /** @default true */
  shuffle?: boolean;
  /** @default defaultRng() */
  rng?: Rng;
}

/**
 * Isotropic Gaussian blobs, like `sklearn.datasets.make_blobs`.
 *
 * Center k gets ⌊N/K⌋ points, the first N mod K centers one more; a point of
 * cluster k is `centers[k] + clusterStd[k]·N(0, I)` with label k.
 *
 * @returns `x` `[N, F]`, `y` `[N]`, and the `centers` used `[K, F]`
 */
export function makeBlobs(
  nSamples = 100,
  options: BlobsOptions = {},
): LabeledData & { centers: Tensor } {
  checkCall("makeBlobs", arguments.length, options, [
    "nFeatures",
    "centers",
    "clusterStd",
    "centerBox",
    "shuffle",
    "rng",
  ]);
  checkCount(nSamples, "makeBlobs", 1);
  const { centerBox = [-10, 10], shuffle = true, rng = defaultRng() } = options;
  let centers: number[][];
  if (Array.isArray(options.centers)) {
    centers = options.centers;
    const f = centers[0]?.length ?? 0;
    if (centers.length === 0 || f === 0 || centers.some((c) => c.length !== f)) {
      throw new TypeError(
        `Cannot run makeBlobs: centers must be a non-empty [K][F] array with F ≥ 1`,
      );
    }
  } else {
    const k = options.centers ?? 3;
    const f = options.nFeatures ?? 2;
    checkCount(k, "makeBlobs (centers)", 1);
    checkCount(f, "makeBlobs (nFeatures)", 1);
    centers = Array.from(
      { length: k },
      () => Array.from({ length: f }, () => rng.uniform(centerBox[0], centerBox[1])),
    );
  }
  const k = centers.length;
  const f = centers[0].length;
  const stds = typeof options.clusterStd === "object"
    ? options.clusterStd
    : new Array(k).fill(options.clusterStd ?? 1);
  if (stds.length !== k || stds.some((s) => !(s >= 0))) {
    throw new RangeError(
      `Cannot run makeBlobs: clusterStd must be ≥ 0 and give one value per center (${k}), got [${stds}]`,
    );
  }
  const x = new Float32Array(nSamples * f);
  const y = new Int32Array(nSamples);
  let row = 0;
  for (let c = 0; c < k; c++) {
    const count = Math.floor(nSamples / k) + (c < nSamples % k ? 1 : 0);
    for (let i = 0; i < count; i++, row++) {
      for (let j = 0; j < f; j++) x[row * f + j] = rng.normal(centers[c][j], stds[c]);
      y[row] = c;
    }
  }
  const data = finish(x, y, f, { shuffle, rng }, "makeBlobs");
  return { ...data, centers: new Tensor(Float32Array.from(centers.flat()), [k, f]) };
}

/** Options of {@link makeSpirals}. */
export interface SpiralsOptions extends Omit<SyntheticOptions, "noise"> {
  /** Number of arms (classes) K. @default 3 */
  nClasses?: number;
  /** Standard deviation of the noise added to each point's angle, in radians. @default 0.2 */
  noise?: number;
}

/**
 * Interleaved spiral arms, the CS231n toy set (scikit-learn has none).
 *
 * Arm k gets ⌊N/K⌋ points (the first N mod K arms one more); point i of n_k has
 * radius r = linspace(0, 1, n_k)[i] and angle t = 4k + 4r + noise·N(0, 1) radians,
 * at (r·sin t, r·cos t), label k.
 *
 * @returns `x` `[N, 2]`, `y` `[N]`
 */
export function makeSpirals(nSamples = 300, options: SpiralsOptions = {}): LabeledData {
  checkCall("makeSpirals", arguments.length, options, [...SYNTHETIC_KEYS, "nClasses"]);
  checkCount(nSamples, "makeSpirals", 1);
  const { nClasses = 3, noise = 0.2, shuffle = true, rng = defaultRng() } = options;
  checkCount(nClasses, "makeSpirals (nClasses)", 1);
  if (!(noise >= 0)) {
    throw new RangeError(`Cannot run makeSpirals: expected noise ≥ 0, got ${noise}`);
  }
  const x = new Float32Array(nSamples * 2);
  const y = new Int32Array(nSamples);
  let row = 0;
  for (let c = 0; c < nClasses; c++) {
    const count = Math.floor(nSamples / nClasses) + (c < nSamples % nClasses ? 1 : 0);
    for (let i = 0; i < count; i++, row++) {
      const r = linspace(0, 1, count, i, true);
      const t = 4 * c + 4 * r + (noise > 0 ? noise * rng.normal() : 0);
      x[2 * row] = r * Math.sin(t);
      x[2 * row + 1] = r * Math.cos(t);
      y[row] = c;
    }
  }
  return finish(x, y, 2, { shuffle, rng }, "makeSpirals");
}

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** Fraction (0, 1) or absolute count of test rows; test count = ⌈fraction·N⌉ as sklearn. @default 0.25 */
  testSize?: number;
  /** Shuffle before splitting; without it the first rows are train, the last test. @default true */
  shuffle?: boolean;
  /** Keep each class's proportion in both parts (needs `shuffle`). @default false */
  stratify?: boolean;
  /** @default defaultRng() */
  rng?: Rng;
}

/**
 * Splits rows into train and test parts, like `sklearn.model_selection.train_test_split`.
 *
 * @param data `x` `[N, ...]` and `y` `[N]`
 * @returns `train` and `test`, each `{ x, y }` with copied rows
 */
export function trainTestSplit(
  data: LabeledData,
  options: SplitOptions = {},
): { train: LabeledData; test: LabeledData } {
  checkCall("trainTestSplit", arguments.length, options, [
    "testSize",
    "shuffle",
    "stratify",
    "rng",
  ]);
  const { testSize = 0.25, shuffle = true, stratify = false, rng = defaultRng() } = options;
  const n = data.y.length;
  if (data.x.shape[0] !== n) {
    throw new TypeError(
      `Cannot run trainTestSplit: x has ${data.x.shape[0]} rows but y has ${n} labels`,
    );
  }
  const nTest = testSize < 1 && testSize > 0 ? Math.ceil(testSize * n) : testSize;
  if (!Number.isInteger(nTest) || nTest < 1 || nTest >= n) {
    throw new RangeError(
      `Cannot run trainTestSplit: testSize ${testSize} gives ${nTest} test rows of ${n}; expected 1 to ${
        n - 1
      }`,
    );
  }
  if (stratify && !shuffle) {
    throw new TypeError(`Cannot run trainTestSplit: stratify needs shuffle: true (as sklearn)`);
  }
  let testIdx: number[];
  let trainIdx: number[];
  if (!shuffle) {
    trainIdx = range(0, n - nTest);
    testIdx = range(n - nTest, n);
  } else if (!stratify) {
    const perm = Array.from(rng.permutation(n));
    testIdx = perm.slice(0, nTest);
    trainIdx = perm.slice(nTest);
  } else {
    [trainIdx, testIdx] = stratifiedSplit(data.y, nTest, rng);
  }
  return { train: takeRows(data, trainIdx), test: takeRows(data, testIdx) };
}

/** Per-class test counts by largest remainder, so proportions match as closely as integers allow. */
function stratifiedSplit(y: Int32Array, nTest: number, rng: Rng): [number[], number[]] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    if (!byClass.has(y[i])) byClass.set(y[i], []);
    byClass.get(y[i])!.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (byClass.get(c)!.length * nTest) / y.length);
  const counts = exact.map(Math.floor);
  let left = nTest - counts.reduce((a, b) => a + b, 0);
  const order = classes.map((_, i) => i).sort((a, b) =>
    exact[b] - counts[b] - (exact[a] - counts[a]) || a - b
  );
  for (const i of order) if (left > 0) counts[i]++, left--;
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((c, i) => {
    const rows = rng.shuffle(byClass.get(c)!.slice());
    test.push(...rows.slice(0, counts[i]));
    train.push(...rows.slice(counts[i]));
  });
  return [rng.shuffle(train), rng.shuffle(test)];
}

function takeRows(data: LabeledData, rows: number[]): LabeledData {
  const f = data.x.size / Math.max(1, data.x.shape[0]);
  const x = new Float32Array(rows.length * f);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(data.x.data.subarray(r * f, (r + 1) * f), i * f);
    y[i] = data.y[r];
  });
  return { x: new Tensor(x, [rows.length, ...data.x.shape.slice(1)]), y };
}

function finish(
  x: Float32Array,
  y: Int32Array,
  f: number,
  options: SyntheticOptions,
  where: string,
): LabeledData {
  const { shuffle = true, noise = 0, rng = defaultRng() } = options;
  if (!(noise >= 0)) throw new RangeError(`Cannot run ${where}: expected noise ≥ 0, got ${noise}`);
  const n = y.length;
  let data: LabeledData = { x: new Tensor(x, [n, f]), y };
  if (shuffle) data = takeRows(data, Array.from(rng.permutation(n)));
  if (noise > 0) { for (let i = 0; i < data.x.size; i++) data.x.data[i] += noise * rng.normal(); }
  return data;
}

/** numpy.linspace(start, stop, num, endpoint)[i]. */
function linspace(start: number, stop: number, num: number, i: number, endpoint: boolean): number {
  const div = endpoint ? num - 1 : num;
  return div <= 0 ? start : start + ((stop - start) * i) / div;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

const SYNTHETIC_KEYS = ["shuffle", "noise", "rng"];

function checkCall(name: string, count: number, options: unknown, known: readonly string[]): void {
  checkArgumentCount(`Cannot run ${name}`, count, 2);
  checkOptions(`Cannot run ${name}`, options, known);
}

function checkCount(n: number, where: string, min: number): void {
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`Cannot run ${where}: expected an integer ≥ ${min}, got ${n}`);
  }
}
