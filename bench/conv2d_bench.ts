/**
 * Conv2d forward/backward times for the MNIST LeNet and CIFAR shapes, as a markdown table (best of runs).
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
  type Conv2dGeometryInput,
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

const defaults = {
  strideH: 1,
  strideW: 1,
  padH: 0,
  padW: 0,
  dilationH: 1,
  dilationW: 1,
  groups: 1,
};
const shapes: Array<{ label: string; input: Conv2dGeometryInput; naive: boolean }> = [
  {
    label: "MNIST conv1: N=64, 1→8, k5, 28×28",
    input: { ...defaults, n: 64, cIn: 1, h: 28, w: 28, cOut: 8, kh: 5, kw: 5 },
    naive: true,
  },
  {
    label: "MNIST conv2: N=64, 8→16, k3, 12×12",
    input: { ...defaults, n: 64, cIn: 8, h: 12, w: 12, cOut: 16, kh: 3, kw: 3 },
    naive: true,
  },
  {
    label: "CIFAR conv1: N=128, 3→32, k3 p1, 32×32",
    input: { ...defaults, n: 128, cIn: 3, h: 32, w: 32, cOut: 32, kh: 3, kw: 3, padH: 1, padW: 1 },
    naive: false,
  },
  {
    label: "CIFAR conv2: N=128, 32→64, k3 p1, 16×16",
    input: { ...defaults, n: 128, cIn: 32, h: 16, w: 16, cOut: 64, kh: 3, kw: 3, padH: 1, padW: 1 },
    naive: false,
  },
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
console.log("| shape | kernel | forward | backward input | backward weight | total | GFLOP/s |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
const rng = new Rng(0);
for (const { label, input, naive } of shapes) {
  const g = conv2dGeometry(input);
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
