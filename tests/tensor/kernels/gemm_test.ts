/** gemm: every GEMM version against the naive oracle, plus hand-computed products. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import { gemm } from "../../../tensor/kernels/gemm.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";

type Gemm = typeof gemmNaive;

/** The interchangeable versions checked against gemmNaive. */
const versions: Array<[string, Gemm]> = [["gemm", gemm]];

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  /** Extra elements at the end of each stored row of A, B, C. */
  extra?: number;
  /** Element offset of A, B and C inside their arrays. */
  offset?: number;
}

const cases: Case[] = [];
for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    for (const [m, n, k] of [[1, 1, 1], [3, 7, 5], [17, 33, 7], [65, 17, 33], [33, 65, 129]]) {
      cases.push({ transA, transB, m, n, k });
    }
    cases.push({
      transA,
      transB,
      m: 13,
      n: 19,
      k: 23,
      alpha: -0.5,
      beta: 0.25,
      extra: 3,
      offset: 5,
    });
    cases.push({ transA, transB, m: 9, n: 70, k: 11, alpha: 2, beta: 1, extra: 1, offset: 2 });
  }
}
cases.push({ transA: false, transB: false, m: 7, n: 9, k: 0, beta: 0.5 });
cases.push({ transA: false, transB: false, m: 0, n: 9, k: 4 });
cases.push({ transA: false, transB: true, m: 5, n: 6, k: 7, alpha: 0, beta: 0.5 });
cases.push({ transA: true, transB: true, m: 5, n: 6, k: 7, alpha: 0, beta: 0 });
cases.push({
  transA: true,
  transB: false,
  m: 100,
  n: 3,
  k: 260,
  alpha: 1,
  beta: -1,
  extra: 2,
  offset: 1,
});
cases.push({ transA: false, transB: true, m: 5, n: 300, k: 1, beta: 0, extra: 4, offset: 3 });
// Crosses every block boundary of the blocked kernel: m > 96 rows, n > 1536 columns, k > 256.
cases.push({
  transA: false,
  transB: true,
  m: 2,
  n: 1601,
  k: 300,
  alpha: 0.5,
  beta: 2,
  extra: 1,
  offset: 7,
});
cases.push({ transA: true, transB: false, m: 197, n: 4, k: 513, extra: 2, offset: 1 });

function fill(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

function label(
  { transA, transB, m, n, k, alpha = 1, beta = 0, extra = 0, offset = 0 }: Case,
): string {
  return `${transA ? "Aᵀ" : "A"}·${
    transB ? "Bᵀ" : "B"
  } m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}` +
    (extra || offset ? ` ld+${extra} offset=${offset}` : "");
}

/** Runs one case on `fn` and the oracle from identical inputs; returns both C arrays. */
function runCase(fn: Gemm, c: Case, cInit: "random" | "nan"): [Float32Array, Float32Array] {
  const { transA, transB, m, n, k, alpha = 1, beta = 0, extra = 0, offset = 0 } = c;
  const rng = new Rng(m * 1000 + n * 10 + k);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + extra, ldb = bCols + extra, ldc = n + extra;
  const a = fill(offset + aRows * lda, rng);
  const b = fill(offset + bRows * ldb, rng);
  const c0 = cInit === "nan"
    ? new Float32Array(offset + m * ldc + 2).fill(NaN)
    : fill(offset + m * ldc + 2, rng);
  const actual = c0.slice();
  const expected = c0.slice();
  fn(transA, transB, m, n, k, alpha, a, offset, lda, b, offset, ldb, beta, actual, offset, ldc);
  gemmNaive(
    transA,
    transB,
    m,
    n,
    k,
    alpha,
    a,
    offset,
    lda,
    b,
    offset,
    ldb,
    beta,
    expected,
    offset,
    ldc,
  );
  return [actual, expected];
}

for (const [name, fn] of versions) {
  for (const c of cases) {
    test(`${name}() matches gemmNaive: ${label(c)}`, () => {
      const [actual, expected] = runCase(fn, c, "random");
      assertClose(actual, expected, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(c.k + 1), message: name });
    });
  }
  for (const c of cases.filter((c) => (c.beta ?? 0) === 0 && c.m > 0)) {
    test(`${name}() with beta=0 overwrites NaN in C and leaves the rest alone: ${label(c)}`, () => {
      const [actual, expected] = runCase(fn, c, "nan");
      const ldc = c.n + (c.extra ?? 0);
      const offset = c.offset ?? 0;
      for (let i = 0; i < c.m; i++) {
        for (let j = 0; j < c.n; j++) {
          assert.ok(!Number.isNaN(actual[offset + i * ldc + j]), `C[${i}, ${j}] is NaN`);
        }
      }
      assertClose(actual, expected, { rtol: 1e-5, atol: 1e-5 * Math.sqrt(c.k + 1), message: name });
    });
  }
}

const handCases: Array<[string, Gemm]> = [["gemmNaive", gemmNaive], ...versions];
for (const [name, fn] of handCases) {
  test(`${name}() computes a hand-checked 2×3 · 3×2 product with alpha and beta`, () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]); // [2, 3]
    const b = new Float32Array([7, 8, 9, 10, 11, 12]); // [3, 2]
    const c = new Float32Array([1, 1, 1, 1]);
    fn(false, false, 2, 2, 3, 2, a, 0, 3, b, 0, 2, 10, c, 0, 2);
    // A·B = [[58, 64], [139, 154]]
    assert.deepEqual(Array.from(c), [126, 138, 288, 318]);
  });
  test(`${name}() computes Aᵀ·Bᵀ of hand-checked matrices`, () => {
    const a = new Float32Array([1, 4, 2, 5, 3, 6]); // [3, 2] = ([2, 3] above)ᵀ
    const b = new Float32Array([7, 9, 11, 8, 10, 12]); // [2, 3] = ([3, 2] above)ᵀ
    const c = new Float32Array(4);
    fn(true, true, 2, 2, 3, 1, a, 0, 2, b, 0, 3, 0, c, 0, 2);
    assert.deepEqual(Array.from(c), [58, 64, 139, 154]);
  });
}
