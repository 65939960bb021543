/**
 * Conv2d forward/backward times for the MNIST LeNet, mnist-cnn and CIFAR shapes, as a markdown table (best of runs).
 *
 *   deno run -A bench/conv2d_bench.ts        bun bench/conv2d_bench.ts
 *
 * Backward = conv2dBackwardInput + conv2dBackwardWeight (with bias). GFLOP/s counts
 * 2·N·C_out·hOut·wOut·C_in/groups·kh·kw flops per pass, three passes in all.
 * The wasm row (conv2d_wasm.ts, where this runtime has WebAssembly SIMD) is what tensor/kernels
 * picks there; the naive oracle runs only on the MNIST shapes. Timings are printed, never asserted.
 */

import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dGeometry,
  conv2dWorkspaceSize,
} from "../tensor/kernels/conv2d.ts";
import {
  conv2dBackwardInputNaive,
  conv2dBackwardWeightNaive,
  conv2dForwardNaive,
} from "../tensor/kernels/conv2d_naive.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../tensor/kernels/wasm/conv2d_wasm.ts";
import { wasmGemmFlavor } from "../tensor/kernels/wasm/gemm_wasm.ts";
import { describeKernels } from "../tensor/kernels/mod.ts";
import { Rng } from "../tensor/rng.ts";
import { bestMs, commandLine, runtimeName } from "./_runtime.ts";

const flavor = wasmGemmFlavor();
const versions = [
  ...(flavor === null ? [] : [{
    name: `conv2d_wasm.ts (${flavor})`,
    forward: conv2dForwardWasm,
    backwardInput: conv2dBackwardInputWasm,
    backwardWeight: conv2dBackwardWeightWasm,
    naive: false,
  }]),
  {
    name: "conv2d (im2col + gemm)",
    forward: conv2dForward,
    backwardInput: conv2dBackwardInput,
    backwardWeight: conv2dBackwardWeight,
    naive: false,
  },
  {
    name: "conv2dNaive",
    forward: conv2dForwardNaive,
    backwardInput: conv2dBackwardInputNaive,
    backwardWeight: conv2dBackwardWeightNaive,
    naive: true,
  },
];

/** Each benchmark layer: stride 1, a square k×k kernel, `pad` zeros on every side. */
interface Shape {
  name: string;
  naive: boolean; // whether the naive oracle runs too
  n: number;
  cIn: number;
  cOut: number;
  h: number;
  w: number;
  k: number;
  pad: number;
}
const shapes: Shape[] = [
  { name: "MNIST conv1", naive: true, n: 64, cIn: 1, cOut: 8, h: 28, w: 28, k: 5, pad: 0 },
  { name: "MNIST conv2", naive: true, n: 64, cIn: 8, cOut: 16, h: 12, w: 12, k: 3, pad: 0 },
  { name: "mnist-cnn conv1", naive: false, n: 64, cIn: 1, cOut: 16, h: 28, w: 28, k: 5, pad: 0 },
  { name: "mnist-cnn conv2", naive: false, n: 64, cIn: 16, cOut: 32, h: 12, w: 12, k: 5, pad: 0 },
  { name: "CIFAR conv1", naive: false, n: 128, cIn: 3, cOut: 32, h: 32, w: 32, k: 3, pad: 1 },
  { name: "CIFAR conv2", naive: false, n: 128, cIn: 32, cOut: 64, h: 16, w: 16, k: 3, pad: 1 },
];

function random(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

const runs = Number(
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.RUNS ?? 3,
);

console.log(`# Conv2d forward + backward, ms (best of ${runs}), single thread\n`);
console.log(`${runtimeName()} — \`${commandLine()}\`\n`);
console.log(`layers use: ${describeKernels()} (bench/conv2d_blas_bench.ts compares the blas version's convolutions)\n`);
console.log("| shape | kernel | forward | backward input | backward weight | total | GFLOP/s |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
const rng = new Rng(0);
for (const { name, naive, n, cIn, cOut, h, w, k, pad } of shapes) {
  const label = `${name}: N=${n}, ${cIn}→${cOut}, k${k}${pad > 0 ? ` p${pad}` : ""}, ${h}×${w}`;
  const kernel = { kh: k, kw: k, strideH: 1, strideW: 1, padH: pad, padW: pad };
  const g = conv2dGeometry({
    n,
    cIn,
    cOut,
    h,
    w,
    ...kernel,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  });
  const rows = (g.cIn / g.groups) * g.kh * g.kw;
  const x = random(g.n * g.cIn * g.h * g.w, rng);
  const weight = random(g.cOut * rows, rng);
  const bias = random(g.cOut, rng);
  const y = new Float32Array(g.n * g.cOut * g.hOut * g.wOut);
  const gy = random(y.length, rng);
  const gx = new Float32Array(x.length),
    gw = new Float32Array(weight.length),
    gb = new Float32Array(g.cOut);
  const workspace = new Float32Array(conv2dWorkspaceSize(g));
  const flops = 2 * g.n * g.cOut * g.hOut * g.wOut * rows;
  for (const v of versions) {
    if (v.naive && !naive) continue;
    const r = v.naive ? 1 : runs;
    const fwd = bestMs(() => v.forward(g, x, weight, bias, y, workspace), r);
    const bwdIn = bestMs(() => v.backwardInput(g, gy, weight, gx, workspace), r);
    const bwdW = bestMs(() => v.backwardWeight(g, x, gy, gw, gb, workspace), r);
    const total = fwd + bwdIn + bwdW;
    const cells = [fwd, bwdIn, bwdW, total].map((ms) => ms.toFixed(2));
    console.log(
      `| ${label} | ${v.name} | ${cells.join(" | ")} | ${(3 * flops / total / 1e6).toFixed(2)} |`,
    );
  }
}
