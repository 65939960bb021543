/**
 * GEMM throughput of every kernel version, as a markdown table of GFLOP/s (best of several runs).
 *
 *   deno run -A bench/gemm_bench.ts        bun bench/gemm_bench.ts
 *
 * C = A·B for square n×n float32 matrices (2n³ flops); the naive oracle runs only at n ≤ 512.
 * Single-threaded. Timings are printed, never asserted.
 */

import { gemm } from "../tensor/kernels/gemm.ts";
import { gemmNaive } from "../tensor/kernels/gemm_naive.ts";
import { Rng } from "../tensor/rng.ts";
import { bestMs, commandLine, runtimeName } from "./_runtime.ts";

type Gemm = typeof gemm;

const versions: Array<{ name: string; fn: Gemm; maxN: number }> = [
  { name: "gemmNaive (gemm_naive.ts)", fn: gemmNaive, maxN: 512 },
  { name: "gemm (gemm.ts, blocked 2×3)", fn: gemm, maxN: Infinity },
];
const sizes = [256, 512, 1024];
/** [op(A), op(B)] layouts measured for the blocked kernel. */
const layouts: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true]];

function random(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

console.log(`# GEMM GFLOP/s, single thread\n`);
console.log(`${runtimeName()} — \`${commandLine()}\`\n`);
console.log(`| kernel | layout | ${sizes.map((n) => `n = ${n}`).join(" | ")} |`);
console.log(`| --- | --- | ${sizes.map(() => "---:").join(" | ")} |`);
const rng = new Rng(0);
const inputs = new Map(
  sizes.map((
    n,
  ) => [n, { a: random(n * n, rng), b: random(n * n, rng), c: new Float32Array(n * n) }]),
);
for (const { name, fn, maxN } of versions) {
  for (const [transA, transB] of fn === gemmNaive ? layouts.slice(0, 1) : layouts) {
    const cells = sizes.map((n) => {
      if (n > maxN) return "—";
      const { a, b, c } = inputs.get(n)!;
      const runs = n >= 1024 ? 2 : n >= 512 ? 3 : 5;
      const ms = bestMs(() => fn(transA, transB, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), runs);
      return (2 * n ** 3 / ms / 1e6).toFixed(2);
    });
    console.log(
      `| ${name} | ${transA ? "Aᵀ" : "A"}·${transB ? "Bᵀ" : "B"} | ${cells.join(" | ")} |`,
    );
  }
}
