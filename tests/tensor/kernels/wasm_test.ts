/** WebAssembly SIMD GEMM (tensor/kernels/wasm): every flavor against the gemmNaive oracle. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";
import {
  createWasmGemm,
  type GemmFunction,
  gemmWasm,
  type WasmGemmFlavor,
  wasmGemmFlavor,
  wasmSimdSupported,
} from "../../../tensor/kernels/wasm/gemm_wasm.ts";

/** Each flavor in its own instance, plus one whose small memory cap forces split products. */
const versions: Array<[string, GemmFunction | null, string]> = [
  ...(["relaxed-simd", "simd"] as WasmGemmFlavor[]).map((
    flavor,
  ): [string, GemmFunction | null, string] => [
    `gemmWasm[${flavor}]`,
    createWasmGemm(flavor),
    `this runtime cannot compile the ${flavor} module`,
  ]),
  [
    "gemmWasm[simd, maxBytes 1 MiB]",
    createWasmGemm("simd", { maxBytes: 2 ** 20 }),
    "this runtime has no WebAssembly SIMD",
  ],
];

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
// Over 1 MiB of operands: the capped instance splits rows, columns, then depth.
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

/** Runs one case on `fn` and on the oracle from identical inputs; returns both C arrays. */
function runCase(fn: GemmFunction, c: Case, cInit: "random" | "nan"): [Float32Array, Float32Array] {
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

for (const [name, fn, why] of versions) {
  const skip = fn === null ? why : false;
  for (const c of cases) {
    test(`${name}() matches gemmNaive: ${label(c)}`, { skip }, () => {
      const [actual, expected] = runCase(fn!, c, "random");
      assertClose(actual, expected, tolerance(c.k, name));
    });
  }
  for (const c of cases.filter((c) => (c.beta ?? 0) === 0 && c.m > 0)) {
    test(`${name}() with beta=0 overwrites NaN in C and leaves the rest alone: ${label(c)}`, {
      skip,
    }, () => {
      const [actual, expected] = runCase(fn!, c, "nan");
      const ldc = c.n + (c.extra ?? 0), offset = c.offset ?? 0;
      for (let i = 0; i < c.m; i++) {
        for (let j = 0; j < c.n; j++) {
          assert.ok(!Number.isNaN(actual[offset + i * ldc + j]), `C[${i}, ${j}] is NaN`);
        }
      }
      assertClose(actual, expected, tolerance(c.k, name));
    });
  }
  for (const [transA, transB] of transposes) {
    test(
      `${name}() matches gemmNaive for every m, n, k in {${ODD.join(", ")}}: ${
        transA ? "Aᵀ" : "A"
      }·${transB ? "Bᵀ" : "B"}`,
      { skip },
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
  test(`${name}() computes Aᵀ·Bᵀ of hand-checked matrices with alpha and beta`, { skip }, () => {
    const a = new Float32Array([1, 4, 2, 5, 3, 6]); // [3, 2] = [[1, 2, 3], [4, 5, 6]]ᵀ
    const b = new Float32Array([7, 9, 11, 8, 10, 12]); // [2, 3] = [[7, 8], [9, 10], [11, 12]]ᵀ
    const c = new Float32Array([1, 1, 1, 1]);
    fn!(true, true, 2, 2, 3, 2, a, 0, 2, b, 0, 3, 10, c, 0, 2);
    assert.deepEqual(Array.from(c), [126, 138, 288, 318]); // 2·[[58, 64], [139, 154]] + 10
  });
}

test("wasmSimdSupported() is true under Deno and Bun, and gemmWasm runs the flavor it reports", () => {
  assert.equal(wasmSimdSupported(), true);
  assert.ok(["relaxed-simd", "simd"].includes(wasmGemmFlavor()!), `flavor ${wasmGemmFlavor()}`);
  const a = new Float32Array([1, 2, 3, 4]);
  const c = new Float32Array(4).fill(NaN);
  gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
  assert.deepEqual(Array.from(c), [7, 10, 15, 22]);
});

test("gemmWasm() reads and writes views into a SharedArrayBuffer (as parallel/ shares tensors)", {
  skip: !wasmSimdSupported() && "no WebAssembly SIMD",
}, () => {
  const shared = new Float32Array(new SharedArrayBuffer(4 * 64));
  const a = shared.subarray(0, 12), b = shared.subarray(16, 28), c = shared.subarray(32, 41);
  const rng = new Rng(9);
  for (let i = 0; i < 12; i++) [a[i], b[i]] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
  const expected = new Float32Array(9);
  gemmNaive(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, expected, 0, 3);
  gemmWasm(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, c, 0, 3);
  assertClose(c, expected, { rtol: 1e-6, atol: 1e-6 });
});

test("gemmWasm() runs in a module Worker, which compiles its own instance", {
  skip: !wasmSimdSupported() && "no WebAssembly SIMD",
}, async () => {
  const url = new URL("../../../tensor/kernels/wasm/gemm_wasm.ts", import.meta.url).href;
  const source = `import { gemmWasm, wasmGemmFlavor } from ${JSON.stringify(url)};
    const a = new Float32Array([1, 2, 3, 4]), c = new Float32Array(4);
    gemmWasm(false, true, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
    postMessage({ flavor: wasmGemmFlavor(), c: Array.from(c) });`;
  const blobUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(blobUrl, { type: "module" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await new Promise<{ flavor: string; c: number[] }>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) =>
        reject(new Error(`worker failed: ${(event as ErrorEvent).message}`));
      timer = setTimeout(() => reject(new Error("worker timed out after 20 s")), 20_000);
    });
    assert.deepEqual(reply, { flavor: wasmGemmFlavor(), c: [5, 11, 11, 25] }); // A·Aᵀ
  } finally {
    clearTimeout(timer);
    worker.terminate();
    URL.revokeObjectURL(blobUrl);
  }
});
