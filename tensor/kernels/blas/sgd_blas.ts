/**
 * SGD's two common variants on the library's cblas_sscal and cblas_saxpy, which are PyTorch's own
 * passes: later steps of plain momentum (`b ← μ·b`, `b ← b + sign·g`, `p ← p − γ·b`, as
 * torch.optim.SGD's `buf.mul_(μ).add_(g)` and `p.add_(buf, alpha=−γ)`) and SGD without momentum
 * or weight decay (`p ← p − γ·sign·g`). Every other variant (the first momentum step, weight
 * decay, dampening, Nesterov) goes to the loop given as the fallback.
 *
 * This is sgdKernel's arithmetic only where saxpy is one fused multiply-add per element, as
 * OpenBLAS's AVX2/AVX-512 kernels are: {@linkcode level1IsExact} checks that (and sscal's
 * single rounding) once at load, on lengths 1–40 of values where one and two roundings differ,
 * and {@linkcode blasSgd} is null where it fails or the library lacks the routines. Why it is
 * here: JavaScriptCore (Bun) does not fuse relaxed_madd, and its float64 route in WebAssembly
 * took 0.30 ms for the MLP's 235k parameters with momentum, the library's three passes 0.06,
 * on the arrays where they are (no copies, SharedArrayBuffer-backed ones too).
 */

import { roundFma, type sgdKernel } from "../optimizer.ts";
import { checkRowRange } from "../_range.ts";
import type { RawLevel1 } from "./_ffi.ts";
import { blasLevel1 } from "./gemm_blas.ts";

/**
 * True when `level1`'s saxpy rounds `alpha·x + y` once and its sscal `alpha·x` once, on every
 * length from 1 to 40 (vector bodies and scalar tails alike) of values spread over twenty binary
 * orders of magnitude.
 */
export function level1IsExact(level1: RawLevel1): boolean {
  let seed = 0x9e3779b9;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return Math.fround((seed / 2 ** 32 - 0.5) * 2 ** ((seed % 20) - 10));
  };
  for (let n = 1; n <= 40; n++) {
    const x = Float32Array.from({ length: n }, next), y = Float32Array.from({ length: n }, next);
    const alpha = next();
    const fused = y.map((v, i) => roundFma(alpha, x[i], v));
    const scaled = x.map((v) => Math.fround(alpha * v));
    level1.saxpy(n, alpha, x, 0, y, 0);
    level1.sscal(n, alpha, x, 0);
    for (let i = 0; i < n; i++) {
      if (!Object.is(y[i], fused[i]) || !Object.is(x[i], scaled[i])) return false;
    }
  }
  return true;
}

const level1 = blasLevel1();
const exact = level1 !== null && level1IsExact(level1);

/**
 * sgdKernel (same arguments, same bits) with the variants above on the library and the rest on
 * `fallback`; null where the library has no exact saxpy/sscal (see the module comment).
 */
export const blasSgd: ((fallback: typeof sgdKernel) => typeof sgdKernel) | null = !exact
  ? null
  : (fallback) => (...args) => {
    const [param, grad, buf, lo, hi, lr, momentum, dampening, weightDecay, sign, first, nesterov] =
      args;
    const plain = weightDecay === 0 && (buf === null || (!first && !nesterov && dampening === 0));
    if (!plain) {
      fallback(...args);
      return;
    }
    // Native code writes where it is told: every extent is checked first.
    checkRowRange("sgdKernel (blas)", lo, hi, Math.min(param.length, grad.length));
    const n = hi - lo;
    if (buf === null) {
      // fma(−γ, sign·g, p) = fma(−γ·sign, g, p): sign is ±1.
      level1!.saxpy(n, -lr * sign, grad, lo, param, lo);
      return;
    }
    checkRowRange("sgdKernel (blas)", lo, hi, buf.length);
    level1!.sscal(n, momentum, buf, lo);
    level1!.saxpy(n, sign, grad, lo, buf, lo);
    level1!.saxpy(n, -lr, buf, lo, param, lo);
  };
