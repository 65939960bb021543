/** Shared GEMM suite: every GEMM version against the gemmNaive oracle on one case table. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";

/** The GEMM signature of gemm.ts: C[m×n] = alpha·op(A)·op(B) + beta·C. */
export type Gemm = typeof gemmNaive;

/** One interchangeable version: `fn` null means "cannot run here" and every test is skipped with `skip`. */
export interface GemmVersion {
  name: string;
  fn: Gemm | null;
  skip?: string | false;
}

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

const ODD = [1, 3, 7, 17, 33, 65, 130];
const transposes: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [
  true,
  true,
]];

const cases: Case[] = [];
// Rows of the TypeScript blocked kernel's table.
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
// Rows of the WebAssembly kernel's table.
for (const [transA, transB] of transposes) {
  // Every odd size appears as m, n and k, with and without offsets, strides, alpha and beta.
  for (let i = 0; i < ODD.length; i++) {
    const [m, n, k] = [ODD[i], ODD[(i + 3) % 7], ODD[(i + 5) % 7]];
    cases.push({ transA, transB, m, n, k });
    cases.push({ transA, transB, m: n, n: k, k: m, alpha: -0.5, beta: 0.25, extra: 3, offset: 5 });
    cases.push({ transA, transB, m: k, n: m, k: n, alpha: 2, beta: 1, extra: 1, offset: 2 });
  }
  // Block edges of kernels.wat: m > MC = 128, k > KC = 256 (not a multiple of 4), n > NC = 1024.
  cases.push({ transA, transB, m: 130, n: 65, k: 513, alpha: 1.5, beta: -1, extra: 2, offset: 1 });
  cases.push({ transA, transB, m: 3, n: 1100, k: 259, beta: 0, offset: 3 });
  // Rows far apart (row stride ≫ row length) take the row-by-row copy path.
  cases.push({ transA, transB, m: 5, n: 6, k: 7, alpha: 0.75, beta: 0.5, extra: 3000, offset: 4 });
  cases.push({ transA, transB, m: 4, n: 9, k: 8, beta: 0, extra: 3000 });
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
// Over 1 MiB of operands: a capped WebAssembly instance splits rows, columns, then depth.
cases.push({
  transA: false,
  transB: true,
  m: 200,
  n: 300,
  k: 520,
  alpha: 0.5,
  beta: 2,
  extra: 1,
  offset: 7,
});
cases.push({ transA: true, transB: false, m: 40, n: 50, k: 3000, beta: 0.5 });

/** Product label, e.g. "Aᵀ·B m=3 n=7 k=5 alpha=1 beta=0 ld+1 offset=2". */
export function label(
  { transA, transB, m, n, k, alpha = 1, beta = 0, extra = 0, offset = 0 }: Case,
): string {
  return `${transA ? "Aᵀ" : "A"}·${
    transB ? "Bᵀ" : "B"
  } m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}` +
    (extra || offset ? ` ld+${extra} offset=${offset}` : "");
}

/** The table without rows whose label repeats (both kernels' tables ended with the same edge rows). */
const uniqueCases = [...new Map(cases.map((c) => [label(c), c])).values()];

function fill(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

/** Runs one case on `fn` and on the oracle from identical inputs; returns both C arrays. */
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

const tolerance = (k: number, name: string) => ({
  rtol: 1e-5,
  atol: 1e-5 * Math.sqrt(k + 1),
  message: name,
});

/** Registers one test() per case and version: results against gemmNaive, and NaN overwriting when beta = 0. */
export function gemmSuite(versions: GemmVersion[]): void {
  for (const { name, fn, skip = false } of versions) {
    const options = { skip: fn === null ? skip || "this version cannot run here" : false };
    for (const c of uniqueCases) {
      test(`${name}() matches gemmNaive: ${label(c)}`, options, () => {
        const [actual, expected] = runCase(fn!, c, "random");
        assertClose(actual, expected, tolerance(c.k, name));
      });
    }
    for (const c of uniqueCases.filter((c) => (c.beta ?? 0) === 0 && c.m > 0)) {
      test(
        `${name}() with beta=0 overwrites NaN in C and leaves the rest alone: ${label(c)}`,
        options,
        () => {
          const [actual, expected] = runCase(fn!, c, "nan");
          const ldc = c.n + (c.extra ?? 0), offset = c.offset ?? 0;
          for (let i = 0; i < c.m; i++) {
            for (let j = 0; j < c.n; j++) {
              assert.ok(!Number.isNaN(actual[offset + i * ldc + j]), `C[${i}, ${j}] is NaN`);
            }
          }
          assertClose(actual, expected, tolerance(c.k, name));
        },
      );
    }
    for (const [transA, transB] of transposes) {
      test(
        `${name}() matches gemmNaive for every m, n, k in {${ODD.join(", ")}}: ${
          transA ? "Aᵀ" : "A"
        }·${transB ? "Bᵀ" : "B"}`,
        options,
        () => {
          for (const m of ODD) {
            for (const n of ODD) {
              for (const k of ODD) {
                const c: Case = {
                  transA,
                  transB,
                  m,
                  n,
                  k,
                  alpha: 0.5,
                  beta: m % 2 ? 0 : -1,
                  extra: n % 3,
                  offset: k % 5,
                };
                const [actual, expected] = runCase(fn!, c, "random");
                assertClose(actual, expected, tolerance(k, `${name} ${label(c)}`));
              }
            }
          }
        },
      );
    }
  }
}
