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
 * Results are bit-for-bit those of the previous per-element form (tests/tensor/kernels/
 * optimizer_test.ts checks it on random, signed-zero and non-finite inputs): every value is
 * computed in float64 in PyTorch's order and rounded to float32 exactly where it is stored
 * (`Math.fround` where a stored value is then reused from a local), including the L2 term
 * `λ·p` even when λ is 0 (so ∞ and NaN parameters propagate exactly as before).
 */

/**
 * SGD on `[lo, hi)`: `g ← sign·grad + λ·p`; with `buf` (momentum μ > 0):
 * `b ← first ? g : μ·b + (1 − τ)·g`, `g ← nesterov ? g + μ·b : b`; then `p ← p − γ·g`.
 * `buf` is null for momentum 0 (then `momentum`, `dampening`, `first`, `nesterov` are unused).
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
  if (buf === null) {
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      param[i] = p - lr * (sign * grad[i] + weightDecay * p);
    }
  } else if (first) {
    // b₁ = g, stored as float32; Nesterov reads the stored b back.
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const b = Math.fround(g);
      buf[i] = b;
      param[i] = p - lr * (nesterov ? g + momentum * b : b);
    }
  } else if (nesterov) {
    const keep = 1 - dampening;
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const b = Math.fround(momentum * buf[i] + keep * g);
      buf[i] = b;
      param[i] = p - lr * (g + momentum * b);
    }
  } else {
    const keep = 1 - dampening;
    for (let i = lo; i < hi; i++) {
      const p = param[i];
      const g = sign * grad[i] + weightDecay * p;
      const b = Math.fround(momentum * buf[i] + keep * g);
      buf[i] = b;
      param[i] = p - lr * b;
    }
  }
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
