/**
 * Optimizer update loops (SGD, Adam/AdamW, RMSprop, Adagrad, Lion) over `[lo, hi)` of
 * Float32Array parameters, gradients and state buffers. optim/ owns the formulas'
 * documentation, the hyperparameter checks and the per-step scalars (bias corrections,
 * decayed lr); these functions only run the per-element arithmetic.
 *
 * Why the shape: the previous loops lived in optim/ with the variant flags (momentum,
 * nesterov, amsgrad, centered, decoupled) tested per element, and JavaScriptCore compiled
 * some of them badly (~100 ns per element for Adam under Bun, ~10 under Deno). Each variant
 * here is its own small loop with every flag and constant decided before it, values kept in
 * locals instead of re-read from the arrays, and no call per element (Lion's Math.sign
 * is two compares turned into numbers).
 *
 * SGD computes in float32 as PyTorch does, bit for bit (see sgdKernel). The other loops give
 * bit-for-bit the results of the previous per-element form (tests/tensor/kernels/
 * optimizer_test.ts checks it on random, signed-zero and non-finite inputs): every value is
 * computed in float64 in PyTorch's order and rounded to float32 exactly where it is stored
 * (`Math.fround` where a stored value is then reused from a local), including the L2 term
 * `λ·p` even when λ is 0 (so ∞ and NaN parameters propagate exactly as before).
 */

/**
 * SGD on `[lo, hi)` in PyTorch's float32 arithmetic (torch.optim.SGD's single-tensor loop, whose
 * `add_(…, alpha=a)` is one fused multiply-add): with every constant rounded to float32 (γ, μ,
 * λ, 1 − τ, as PyTorch casts its Python scalars), per element
 *
 * ```text
 * d ← sign·grad                                  (maximize: sign −1)
 * d ← fma(λ, p, d)                               (only if λ ≠ 0)
 * b ← first ? d : fma(1 − τ, d, round(μ·b))      (with a buffer; round(μ·b) + d when τ = 0)
 * d ← nesterov ? fma(μ, b, d) : b
 * p ← fma(−γ, d, p)
 * ```
 *
 * where `fma(a, x, y)` is `a·x + y` rounded once to float32 ({@linkcode roundFma}). This equals
 * torch.optim.SGD bit for bit (tests/optim/sgd_torch_test.ts, PyTorch's own results); the
 * float64 arithmetic it replaced rounded differently in ~25% of momentum buffers. `buf` is null
 * for momentum 0 (then `momentum`, `dampening`, `first`, `nesterov` are unused).
 *
 * @example
 * ```ts
 * import { sgdKernel } from "./optimizer.ts";
 * const p = new Float32Array([1, 2]);
 * sgdKernel(p, new Float32Array([1, 1]), null, 0, 2, 0.1, 0, 0, 0, 1, true, false);
 * console.log(p); // Float32Array [0.9, 1.9]
 * ```
 */
export function sgdKernel(
  param: Float32Array,
  grad: Float32Array,
  buf: Float32Array | null,
  lo: number,
  hi: number,
  lr: number,
  momentum: number,
  dampening: number,
  weightDecay: number,
  sign: number,
  first: boolean,
  nesterov: boolean,
): void {
  const step = -Math.fround(lr), wd = Math.fround(weightDecay);
  const mu = Math.fround(momentum), keep = Math.fround(1 - dampening);
  if (buf === null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const d = wd === 0 ? sign * grad[i] : roundFma(wd, p, sign * grad[i]);
      param[i] = roundFma(step, d, p);
    }
  } else if (!first && !nesterov && wd === 0 && keep === 1) {
    // The common case (plain momentum) without the branches below.
    for (let i = lo; i < hi; i++) {
      const b = Math.fround(Math.fround(mu * buf[i]) + sign * grad[i]);
      buf[i] = b;
      param[i] = roundFma(step, b, param[i]);
    }
  } else {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      let d = wd === 0 ? sign * grad[i] : roundFma(wd, p, sign * grad[i]);
      const b = first
        ? d
        : keep === 1
        ? Math.fround(Math.fround(mu * buf[i]) + d)
        : roundFma(keep, d, Math.fround(mu * buf[i]));
      buf[i] = b;
      if (nesterov) d = roundFma(mu, b, d);
      else d = b;
      param[i] = roundFma(step, d, p);
    }
  }
}

/**
 * `a·x + y` rounded once to float32, for float32 values a, x, y (a fused multiply-add, as
 * PyTorch's vectorized `add_(x, alpha=a)`). The product is exact in float64 (48 significant
 * bits); the float64 sum is rounded twice, which can differ from one rounding only when it lands
 * exactly halfway between two float32s: then the sum's rounding error (Knuth's TwoSum) says on
 * which side the exact value lies. Infinities and NaN come out as from the float64 expression.
 */
export function roundFma(a: number, x: number, y: number): number {
  const product = a * x;
  const sum = product + y;
  const rounded = Math.fround(sum);
  const half = sum - rounded;
  if (half === 0) return rounded;
  // `sum` is a midpoint iff the float32 on its other side is rounded + 2·half.
  const other = rounded + 2 * half;
  if (Math.fround(other) !== other) return rounded;
  const yPart = sum - product;
  const error = (product - (sum - yPart)) + (y - yPart);
  return error !== 0 && (error > 0) === (half > 0) ? other : rounded;
}

/**
 * Adam/AdamW on `[lo, hi)`: `p ← p·decay` (AdamW's 1 − γλ, Adam's 1), `g ← sign·grad + l2·p`
 * (Adam's λ, AdamW's 0), `m ← β1·m + (1 − β1)·g`, `v ← β2·v + (1 − β2)·g²`; with `vMax`
 * (amsgrad) `v̂ ← max(v̂, v)` is used below; `p ← p − stepSize·m / (√v / bc2Sqrt + ε)` with
 * `stepSize = γ / (1 − β1^t)` and `bc2Sqrt = √(1 − β2^t)`, as PyTorch.
 *
 * @example
 * ```ts
 * import { adamKernel } from "./optimizer.ts";
 * const p = new Float32Array([1]), m = new Float32Array(1), v = new Float32Array(1);
 * adamKernel(p, new Float32Array([0.5]), m, v, null, 0, 1, 0.9, 0.999, 0.001 / 0.1, Math.sqrt(0.001), 1e-8, 1, 0, 1);
 * console.log(p[0]); // ≈ 0.999: the first step moves by γ
 * ```
 */
export function adamKernel(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vMax: Float32Array | null,
  lo: number,
  hi: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
  sign: number,
  l2: number,
  decay: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  if (vMax === null) {
    for (let i = lo; i < hi; i++) {
      const p = Math.fround(param[i] * decay);
      const g = sign * grad[i] + l2 * p;
      const mi = Math.fround(beta1 * m[i] + c1 * g);
      const vi = Math.fround(beta2 * v[i] + c2 * g * g);
      m[i] = mi;
      v[i] = vi;
      param[i] = p - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  } else {
    for (let i = lo; i < hi; i++) {
      const p = Math.fround(param[i] * decay);
      const g = sign * grad[i] + l2 * p;
      const mi = Math.fround(beta1 * m[i] + c1 * g);
      const vi = Math.fround(beta2 * v[i] + c2 * g * g);
      m[i] = mi;
      v[i] = vi;
      const old = vMax[i];
      const vm = vi > old ? vi : old; // not Math.max: a NaN v leaves v̂ as it was, as before
      vMax[i] = vm;
      param[i] = p - (stepSize * mi) / (Math.sqrt(vm) / bc2Sqrt + eps);
    }
  }
}

/**
 * RMSprop on `[lo, hi)`: `g ← sign·grad + λ·p`, `s ← α·s + (1 − α)·g²`; with `gAvg`
 * (centered) `ḡ ← α·ḡ + (1 − α)·g` and `d ← √(s − ḡ²) + ε`, else `d ← √s + ε`; with `buf`
 * (momentum μ > 0) `b ← μ·b + g/d`, `p ← p − γ·b`, else `p ← p − γ·g/d`.
 *
 * @example
 * ```ts
 * import { rmspropKernel } from "./optimizer.ts";
 * const p = new Float32Array([1]), s = new Float32Array(1);
 * rmspropKernel(p, new Float32Array([0.5]), s, null, null, 0, 1, 0.01, 0.99, 1e-8, 0, 0, 1);
 * console.log(p[0]); // 0.9: the first step moves by γ/√(1 − α)
 * ```
 */
export function rmspropKernel(
  param: Float32Array,
  grad: Float32Array,
  sq: Float32Array,
  gAvg: Float32Array | null,
  buf: Float32Array | null,
  lo: number,
  hi: number,
  lr: number,
  alpha: number,
  eps: number,
  weightDecay: number,
  momentum: number,
  sign: number,
): void {
  const c = 1 - alpha;
  if (gAvg === null && buf === null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const s = Math.fround(alpha * sq[i] + c * g * g);
      sq[i] = s;
      param[i] = p - (lr * g) / (Math.sqrt(s) + eps);
    }
  } else if (gAvg === null && buf !== null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const s = Math.fround(alpha * sq[i] + c * g * g);
      sq[i] = s;
      const b = Math.fround(momentum * buf[i] + g / (Math.sqrt(s) + eps));
      buf[i] = b;
      param[i] = p - lr * b;
    }
  } else if (gAvg !== null && buf === null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const s = Math.fround(alpha * sq[i] + c * g * g);
      const a = Math.fround(alpha * gAvg[i] + c * g);
      sq[i] = s;
      gAvg[i] = a;
      param[i] = p - (lr * g) / (Math.sqrt(s - a * a) + eps);
    }
  } else if (gAvg !== null && buf !== null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const s = Math.fround(alpha * sq[i] + c * g * g);
      const a = Math.fround(alpha * gAvg[i] + c * g);
      sq[i] = s;
      gAvg[i] = a;
      const b = Math.fround(momentum * buf[i] + g / (Math.sqrt(s - a * a) + eps));
      buf[i] = b;
      param[i] = p - lr * b;
    }
  }
}

/**
 * Adagrad on `[lo, hi)`: `g ← sign·grad + λ·p`, `s ← s + g²`, `p ← p − clr·g / (√s + ε)`
 * with `clr = γ / (1 + (t − 1)·η)`.
 *
 * @example
 * ```ts
 * import { adagradKernel } from "./optimizer.ts";
 * const p = new Float32Array([1]), s = new Float32Array(1);
 * adagradKernel(p, new Float32Array([0.5]), s, 0, 1, 0.1, 1e-10, 0, 1);
 * console.log(p[0]); // 0.9
 * ```
 */
export function adagradKernel(
  param: Float32Array,
  grad: Float32Array,
  sum: Float32Array,
  lo: number,
  hi: number,
  clr: number,
  eps: number,
  weightDecay: number,
  sign: number,
): void {
  for (let i = lo; i < hi; i++) {
    const p = param[i];
    const g = sign * grad[i] + weightDecay * p;
    const s = Math.fround(sum[i] + g * g);
    sum[i] = s;
    param[i] = p - (clr * g) / (Math.sqrt(s) + eps);
  }
}

/**
 * Lion on `[lo, hi)`: `p ← p·decay` (1 − γλ), `c ← β1·m + (1 − β1)·g`, `p ← p − γ·sign(c)`
 * (sign(±0) = ±0, sign(NaN) = NaN, as Math.sign), `m ← β2·m + (1 − β2)·g`.
 *
 * @example
 * ```ts
 * import { lionKernel } from "./optimizer.ts";
 * const p = new Float32Array([1, 1]), m = new Float32Array(2);
 * lionKernel(p, new Float32Array([0.5, -0.5]), m, 0, 2, 0.1, 0.9, 0.99, 1);
 * console.log(p); // Float32Array [0.9, 1.1]
 * ```
 */
export function lionKernel(
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  lo: number,
  hi: number,
  lr: number,
  beta1: number,
  beta2: number,
  decay: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = lo; i < hi; i++) {
    const g = grad[i];
    const p = Math.fround(param[i] * decay);
    const mi = m[i];
    const c = beta1 * mi + c1 * g;
    // sign(c) without a call or an unpredictable branch (c's sign is random: a branch on it
    // cost ~7 ns per element): ±1 from the comparisons, or c itself for ±0 and NaN.
    const s = +(c > 0) - +(c < 0);
    param[i] = p - lr * (s !== 0 ? s : c);
    m[i] = beta2 * mi + c2 * g;
  }
}
