/**
 * Float64 references for the loss tests, written straight from PyTorch's documented
 * formulas (torch.nn.CrossEntropyLoss / NLLLoss docs and aten's
 * cross_entropy_loss_label_smoothing), independently of losses/ and tensor/kernels/.
 */

/** Options shared by the class-index references. */
export interface ClassRefOptions {
  weight?: ArrayLike<number> | null;
  ignoreIndex?: number;
  reduction?: "none" | "mean" | "sum";
  labelSmoothing?: number;
}

/** Result of a reference: the reduced value and the per-sample losses. */
export interface RefResult {
  value: number;
  perSample: number[];
}

/** Sample (n, rest) of an [N, C, ...rest] array: its C values. */
function classVector(
  x: ArrayLike<number>,
  shape: readonly number[],
  n: number,
  rest: number,
): number[] {
  const c = shape.length === 1 ? shape[0] : shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  return Array.from({ length: c }, (_, k) => x[(n * c + k) * inner + rest]);
}

/** log softmax of a vector in float64: z − log Σ exp z, with the max subtracted first. */
export function logSoftmax64(z: number[]): number[] {
  const m = Math.max(...z);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return z.map((v) => v - lse);
}

/** Iterates the samples of an input [N, C, d...] (or unbatched [C]) as (sample index, n, rest). */
function* samples(shape: readonly number[]): Generator<[number, number, number]> {
  const n = shape.length === 1 ? 1 : shape[0];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) yield [i * inner + j, i, j];
}

/**
 * NLLLoss (classIsLogits false) or CrossEntropyLoss (true) with class-index targets:
 * ℓ = (1 − ε)·w_t·(−logp_t) + (ε/C)·Σ_c w_c·(−logp_c); mean = Σℓ / Σ w_t over non-ignored.
 */
export function classIndexLossRef(
  input: ArrayLike<number>,
  shape: readonly number[],
  target: ArrayLike<number>,
  opts: ClassRefOptions,
  classIsLogits: boolean,
): RefResult {
  const { weight = null, ignoreIndex = -100, reduction = "mean", labelSmoothing: eps = 0 } = opts;
  const c = shape.length === 1 ? shape[0] : shape[1];
  const w = (k: number) => (weight === null ? 1 : weight[k]);
  const perSample: number[] = [];
  let total = 0;
  let weightSum = 0;
  for (const [s, n, j] of samples(shape)) {
    const t = target[s];
    if (t === ignoreIndex) {
      perSample.push(0);
      continue;
    }
    const z = classVector(input, shape, n, j);
    const logp = classIsLogits ? logSoftmax64(z) : z;
    let smooth = 0;
    for (let k = 0; k < c; k++) smooth += -w(k) * logp[k];
    const l = (1 - eps) * w(t) * -logp[t] + (eps / c) * smooth;
    perSample.push(l);
    total += l;
    weightSum += w(t);
  }
  const value = reduction === "mean" ? total / weightSum : total;
  return { value, perSample };
}

/** CrossEntropyLoss with class-probability targets q: ℓ = −Σ_c w_c ((1−ε) q_c + ε/C) logp_c; mean divides by #samples. */
export function probabilityLossRef(
  logits: ArrayLike<number>,
  shape: readonly number[],
  target: ArrayLike<number>,
  opts: ClassRefOptions,
): RefResult {
  const { weight = null, reduction = "mean", labelSmoothing: eps = 0 } = opts;
  const c = shape.length === 1 ? shape[0] : shape[1];
  const perSample: number[] = [];
  let total = 0;
  for (const [, n, j] of samples(shape)) {
    const logp = logSoftmax64(classVector(logits, shape, n, j));
    const q = classVector(target, shape, n, j);
    let l = 0;
    for (let k = 0; k < c; k++) {
      l -= (weight === null ? 1 : weight[k]) * ((1 - eps) * q[k] + eps / c) * logp[k];
    }
    perSample.push(l);
    total += l;
  }
  return { value: reduction === "mean" ? total / perSample.length : total, perSample };
}

/** Σ r ⊙ values in float64 (the scalar whose gradient a `"none"` backward(r) returns). */
export function dot(r: ArrayLike<number>, values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * values[i];
  return s;
}
