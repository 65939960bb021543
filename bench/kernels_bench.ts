/**
 * Every kernel version side by side (plain TypeScript, WebAssembly SIMD, the platform's BLAS
 * through FFI), single-threaded, as markdown tables (best of several runs), plus one line
 * saying which version the layers use and why the others do not:
 * - GEMM GFLOP/s: C = op(A)·op(B) for square n×n float32 matrices (2n³ flops); the naive oracle
 *   runs only at n = 256; gemmBlas also on SharedArrayBuffer-backed operands (as DataParallel
 *   has them), which both runtimes' FFI passes without a copy;
 * - conv2d ms per batch for the LeNet and CIFAR-CNN layers (forward, dL/dx, dL/dweight);
 * - max-pooling forward ms per batch (MaxPool2d(2) after those layers).
 *
 *   deno run -A bench/kernels_bench.ts        bun bench/kernels_bench.ts
 *
 * Timings are printed, never asserted.
 */

import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  conv2dWorkspaceSize,
} from "../tensor/kernels/conv2d.ts";
import { gemm } from "../tensor/kernels/gemm.ts";
import { maxPool2dForward, pool2dGeometry } from "../tensor/kernels/pool2d.ts";
import { gemmNaive } from "../tensor/kernels/gemm_naive.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../tensor/kernels/wasm/conv2d_wasm.ts";
import { maxPool2dForwardWasm } from "../tensor/kernels/wasm/pool2d_wasm.ts";
import {
  createWasmGemm,
  type GemmFunction,
  type WasmGemmFlavor,
  wasmGemmFlavor,
} from "../tensor/kernels/wasm/gemm_wasm.ts";
import { blasLibrary, blasUnavailableReason, gemmBlas } from "../tensor/kernels/blas/gemm_blas.ts";
import { describeKernels } from "../tensor/kernels/mod.ts";
import { Rng } from "../tensor/rng.ts";
import { bestMs, commandLine, runtimeName } from "./_runtime.ts";

const sizes = [256, 512, 1024];
type Layout = [boolean, boolean];
const AB: Layout = [false, false];
const ALL: Layout[] = [AB, [true, false], [false, true], [true, true]];

const versions: Array<{ name: string; fn: GemmFunction; maxN: number; layouts: Layout[] }> = [
  { name: "gemmNaive (gemm_naive.ts)", fn: gemmNaive, maxN: 256, layouts: [AB] },
  { name: "gemm (gemm.ts, TS blocked 2×3)", fn: gemm, maxN: Infinity, layouts: [AB] },
];
const missing: string[] = [];
for (const flavor of ["relaxed-simd", "simd"] as WasmGemmFlavor[]) {
  const fn = createWasmGemm(flavor);
  if (fn === null) missing.push(flavor);
  else versions.push({ name: `gemmWasm (wasm ${flavor}, 4×8)`, fn, maxN: Infinity, layouts: ALL });
}
const blas = blasLibrary();
if (blas === null) missing.push(`gemmBlas (${blasUnavailableReason()})`);
else {versions.push({
    name: `gemmBlas (${blas.path} via ${blas.ffi})`,
    fn: gemmBlas,
    maxN: Infinity,
    layouts: ALL,
  });}

function random(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

const flavor = wasmGemmFlavor();
console.log(`# GEMM GFLOP/s, single thread\n`);
console.log(`${runtimeName()} — \`${commandLine()}\`\n`);
console.log(
  `kernels: gemmWasm runs ${
    flavor === null
      ? "nothing (no WebAssembly SIMD: gemm.ts is the fallback)"
      : `the ${flavor} module`
  }` +
    (missing.length > 0 ? `; not available here: ${missing.join(", ")}` : "") + "\n",
);
console.log(`layers use: ${describeKernels()}\n`);
console.log(`| kernel | layout | ${sizes.map((n) => `n = ${n}`).join(" | ")} |`);
console.log(`| --- | --- | ${sizes.map(() => "---:").join(" | ")} |`);
const rng = new Rng(0);
const inputs = new Map(
  sizes.map((
    n,
  ) => [n, { a: random(n * n, rng), b: random(n * n, rng), c: new Float32Array(n * n) }]),
);
for (const { name, fn, maxN, layouts } of versions) {
  for (const [transA, transB] of layouts) {
    const cells = sizes.map((n) => {
      if (n > maxN) return "—";
      const { a, b, c } = inputs.get(n)!;
      const runs = n >= 1024 ? 3 : n >= 512 ? 5 : 10;
      const ms = bestMs(() => fn(transA, transB, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), runs);
      return (2 * n ** 3 / ms / 1e6).toFixed(1);
    });
    console.log(
      `| ${name} | ${transA ? "Aᵀ" : "A"}·${transB ? "Bᵀ" : "B"} | ${cells.join(" | ")} |`,
    );
  }
}

if (blas !== null) {
  // The same products with every operand in a SharedArrayBuffer (DataParallel's parameters and
  // gradients): no copy in either runtime, so these match the row above within noise.
  const inShared = (x: Float32Array) => {
    const out = new Float32Array(new SharedArrayBuffer(4 * x.length));
    out.set(x);
    return out;
  };
  const cells = sizes.map((n) => {
    const a = inShared(inputs.get(n)!.a), b = inShared(inputs.get(n)!.b);
    const c = new Float32Array(new SharedArrayBuffer(4 * n * n));
    const runs = n >= 1024 ? 3 : n >= 512 ? 5 : 10;
    const ms = bestMs(() => gemmBlas(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), runs);
    return (2 * n ** 3 / ms / 1e6).toFixed(1);
  });
  console.log(`| gemmBlas, SharedArrayBuffer operands | A·B | ${cells.join(" | ")} |`);
}

/** Conv2d layers of the LeNet and CIFAR-CNN workloads: [label, batch, C_in, H=W, C_out, k, pad]. */
const layers: Array<[string, number, number, number, number, number, number]> = [
  ["LeNet conv1 1→6 k5 28×28", 64, 1, 28, 6, 5, 0],
  ["LeNet conv2 6→16 k5 12×12", 64, 6, 12, 16, 5, 0],
  ["CIFAR conv 3→32 k3 p1 32×32", 32, 3, 32, 32, 3, 1],
  ["CIFAR conv 32→64 k3 p1 16×16", 32, 32, 16, 64, 3, 1],
];
const convVersions = [
  {
    name: "conv2d.ts (im2col + gemm.ts)",
    f: conv2dForward,
    bx: conv2dBackwardInput,
    bw: conv2dBackwardWeight,
  },
];
if (flavor !== null) {
  convVersions.push({
    name: `conv2d_wasm.ts (${flavor})`,
    f: conv2dForwardWasm,
    bx: conv2dBackwardInputWasm,
    bw: conv2dBackwardWeightWasm,
  });
}
console.log(`\n# conv2d ms per batch, single thread\n`);
console.log(`| layer (batch) | kernels | forward | dL/dx | dL/dweight | total |`);
console.log(`| --- | --- | ---: | ---: | ---: | ---: |`);
for (const [label, n, cIn, size, cOut, k, pad] of layers) {
  const g = conv2dGeometry({
    n,
    cIn,
    h: size,
    w: size,
    cOut,
    kh: k,
    kw: k,
    strideH: 1,
    strideW: 1,
    padH: pad,
    padW: pad,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  });
  const x = random(n * cIn * size * size, rng), weight = random(cOut * cIn * k * k, rng);
  const bias = random(cOut, rng), gy = random(n * cOut * g.hOut * g.wOut, rng);
  const y = new Float32Array(gy.length), gx = new Float32Array(x.length);
  const gw = new Float32Array(weight.length), gb = new Float32Array(cOut);
  const workspace = new Float32Array(conv2dWorkspaceSize(g));
  for (const { name, f, bx, bw } of convVersions) {
    const ms = [
      bestMs(() => f(g, x, weight, bias, y, workspace), 5),
      bestMs(() => bx(g, gy, weight, gx, workspace), 5),
      bestMs(() => bw(g, x, gy, gw, gb, workspace), 5),
    ];
    const total = ms[0] + ms[1] + ms[2];
    console.log(
      `| ${label} (${n}) | ${name} | ${ms.map((t) => t.toFixed(2)).join(" | ")} | ${
        total.toFixed(2)
      } |`,
    );
  }
}

/** MaxPool2d(2) inputs of the same workloads: [label, N, C, H = W]. */
const pools: Array<[string, number, number, number]> = [
  ["LeNet pool1 [64, 8, 24, 24]", 64, 8, 24],
  ["LeNet pool2 [64, 16, 10, 10]", 64, 16, 10],
  ["CIFAR pool [32, 32, 32, 32]", 32, 32, 32],
];
const poolVersions = [{ name: "pool2d.ts", fn: maxPool2dForward }];
if (flavor !== null) poolVersions.push({ name: "pool2d_wasm.ts", fn: maxPool2dForwardWasm });
console.log(`\n# maxPool2dForward ms per batch, single thread\n`);
console.log(`| input | ${poolVersions.map((v) => v.name).join(" | ")} |`);
console.log(`| --- | ${poolVersions.map(() => "---:").join(" | ")} |`);
for (const [label, n, c, size] of pools) {
  const g = pool2dGeometry({
    n,
    c,
    h: size,
    w: size,
    kh: 2,
    kw: 2,
    strideH: 2,
    strideW: 2,
    padH: 0,
    padW: 0,
    dilationH: 1,
    dilationW: 1,
    ceilMode: false,
  });
  const x = random(n * c * size * size, rng), y = new Float32Array(n * c * g.hOut * g.wOut);
  const argmax = new Int32Array(y.length);
  const cells = poolVersions.map(({ fn }) => bestMs(() => fn(g, x, y, argmax), 10).toFixed(3));
  console.log(`| ${label} | ${cells.join(" | ")} |`);
}
