/**
 * The measurements behind the blas version's convolution table (tensor/kernels/blas/_conv2d_choice.ts):
 * for each shape and pass, the WebAssembly kernels against im2col + the platform's sgemm, ms
 * per batch (best of RUNS, interleaved), and which one the table picks.
 *
 *   deno run -A bench/conv2d_blas_bench.ts        bun bench/conv2d_blas_bench.ts
 *   ONLY=mnist-cnn deno run -A bench/conv2d_blas_bench.ts   (the shapes whose label has that)
 *
 * Timings are printed, never asserted.
 */

import { conv2dGeometry, conv2dWorkspaceSize } from "../tensor/kernels/conv2d.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../tensor/kernels/wasm/conv2d_wasm.ts";
import {
  blasConvPays,
  conv2dBackwardInputIm2colBlas,
  conv2dBackwardWeightIm2colBlas,
  conv2dForwardIm2colBlas,
  type ConvPass,
} from "../tensor/kernels/blas/conv2d_blas.ts";
import {
  blasLibrary,
  blasUnavailableReason,
  describeBlasLibrary,
} from "../tensor/kernels/blas/gemm_blas.ts";
import { wasmGemmFlavor } from "../tensor/kernels/wasm/gemm_wasm.ts";
import { Rng } from "../tensor/rng.ts";
import { bestMs, commandLine, runtimeName } from "./_runtime.ts";

/** [label, N, C_in, C_out, H = W, k, stride, pad]: the workloads' layers, then other shapes. */
const shapes: Array<[string, number, number, number, number, number, number, number]> = [
  ["lenet conv1", 64, 1, 8, 28, 5, 1, 0],
  ["lenet conv2", 64, 8, 16, 12, 3, 1, 0],
  ["mnist-cnn conv1", 64, 1, 16, 28, 5, 1, 0],
  ["mnist-cnn conv2", 64, 16, 32, 12, 5, 1, 0],
  ["CIFAR conv1", 128, 3, 32, 32, 3, 1, 1],
  ["CIFAR conv2", 128, 32, 64, 16, 3, 1, 1],
  ["resnet-small 16→16", 128, 16, 16, 28, 3, 1, 1],
  ["resnet-small down 16→32", 128, 16, 32, 28, 3, 2, 1],
  ["resnet-small 32→32", 128, 32, 32, 14, 3, 1, 1],
  ["resnet-small 64→64", 128, 64, 64, 7, 3, 1, 1],
  ["1×1 64→64", 32, 64, 64, 16, 1, 1, 0],
  ["3×3 stride 2 32→64", 32, 32, 64, 16, 3, 2, 1],
  ["5×5 32→64", 32, 32, 64, 16, 5, 1, 2],
  ["3×3 64→128", 32, 64, 128, 8, 3, 1, 1],
];

const blas = blasLibrary();
const env =
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ??
    {};
const runs = Number(env.RUNS ?? 5);
console.log(
  `# Conv2d passes: WebAssembly kernels vs im2col + sgemm, ms per batch (best of ${runs}), single thread\n`,
);
console.log(`${runtimeName()} — \`${commandLine()}\`\n`);
if (blas === null || wasmGemmFlavor() === null) {
  console.log(
    `nothing to compare: ${blas === null ? blasUnavailableReason() : "no WebAssembly SIMD"}`,
  );
} else {
  console.log(`sgemm: ${describeBlasLibrary(blas)}; WebAssembly: ${wasmGemmFlavor()}\n`);
  console.log("| shape | pass | wasm | im2col + sgemm | sgemm ÷ wasm time | table picks |");
  console.log("| --- | --- | ---: | ---: | ---: | --- |");
  const rng = new Rng(0);
  const random = (length: number) => Float32Array.from({ length }, () => rng.uniform(-1, 1));
  for (const [label, n, cIn, cOut, size, k, stride, pad] of shapes) {
    if (!label.includes(env.ONLY ?? "")) continue;
    const g = conv2dGeometry({
      n,
      cIn,
      cOut,
      h: size,
      w: size,
      kh: k,
      kw: k,
      strideH: stride,
      strideW: stride,
      padH: pad,
      padW: pad,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    });
    const x = random(n * cIn * size * size),
      weight = random(cOut * cIn * k * k),
      bias = random(cOut);
    const gy = random(n * cOut * g.hOut * g.wOut), y = new Float32Array(gy.length);
    const gx = new Float32Array(x.length),
      gw = new Float32Array(weight.length),
      gb = new Float32Array(cOut);
    const ws = new Float32Array(conv2dWorkspaceSize(g));
    const passes: Array<[ConvPass, () => void, () => void, string?]> = [
      [
        "forward",
        () => conv2dForwardWasm(g, x, weight, bias, y, ws),
        () => conv2dForwardIm2colBlas(g, x, weight, bias, y, ws),
      ],
      [
        "backwardInput",
        () => conv2dBackwardInputWasm(g, gy, weight, gx, ws),
        () => conv2dBackwardInputIm2colBlas(g, gy, weight, gx, ws),
      ],
      [
        "backwardWeight",
        () => conv2dBackwardWeightWasm(g, x, gy, gw, gb, ws),
        () => conv2dBackwardWeightIm2colBlas(g, x, gy, gw, gb, ws),
      ],
    ];
    for (const [pass, wasm, sgemm] of passes) {
      // Interleaved: a burst of load from elsewhere hits both alike.
      let a = bestMs(wasm, 1), b = bestMs(sgemm, 1); // with 150 ms of warm-up each
      for (let r = 1; r < runs; r++) {
        a = Math.min(a, bestMs(wasm, 1, 0));
        b = Math.min(b, bestMs(sgemm, 1, 0));
      }
      const shape = `${label}: N=${n}, ${cIn}→${cOut}, k${k}${stride > 1 ? ` s${stride}` : ""}${
        pad ? ` p${pad}` : ""
      }, ${size}×${size}`;
      console.log(
        `| ${shape} | ${pass} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)} | ${
          blasConvPays(g, pass) ? "sgemm" : "wasm"
        } |`,
      );
    }
  }
}
