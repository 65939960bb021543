/**
 * The one table of the blas version's convolutions: which shapes and passes run on im2col + the
 * library's sgemm rather than on the WebAssembly kernels (Winograd, taps, im2col + wasm GEMM).
 *
 * Set by bench/conv2d_blas_bench.ts: two runs under each of Deno and Bun on a 2-core machine,
 * in bench/conv2d_blas_bench.md (ratios below are sgemm ÷ WebAssembly time over those runs).
 * Since im2col and col2im run in kernels.wat (2.2–2.8× faster than the TypeScript loops they
 * replaced), sgemm wins almost everywhere; the exceptions:
 * - grouped convolutions with fewer than 16 outputs per group (depthwise): one tiny GEMM per
 *   sample and group, which the per-call cost of the library swamps: WebAssembly;
 * - under V8 (Deno), 3×3 stride-1 shapes with 16 or more inputs per group, which Winograd
 *   F(2×2, 3×3) serves: WebAssembly, every pass (forward, dL/dx, dL/dweight: resnet-small
 *   16→16 on 28×28 1.10×, 1.03×, 0.96×; 32→32 on 14×14 1.22×, 1.06×, 1.36×; 64→64 on 7×7
 *   1.24×, 1.05×, 1.30×; CIFAR conv2 32→64 on 16×16 1.10–1.13×, 1.01–1.03×, 1.10–1.28×;
 *   3×3 64→128 on 8×8 0.93–0.94×, 0.81–0.89×, 0.74–1.06×). JavaScriptCore (Bun) runs Winograd
 *   25–40% slower: sgemm there (CIFAR conv2 0.75–0.76×, 0.70–0.74×, 0.83–0.85×; resnet-small
 *   32→32 0.83×, 0.80×, 0.98×; 16→16 1.04×, 0.82×, and dL/dweight 1.17×, the passes lost to
 *   the simpler rule);
 * - dL/dweight with fewer than 16 outputs per group (lenet conv1 1→8: 0.91–1.17×).
 * Taken elsewhere, sgemm ÷ WebAssembly: lenet conv2 8→16 0.70–0.74×, 0.71–0.74×, 0.83×
 * (Deno), 0.49–0.56×, 0.52–0.60×, 0.83–0.98× (Bun); mnist-cnn conv2 16→32 5×5 0.37–0.56×,
 * 0.38–0.53×, 0.59–0.71×; mnist-cnn conv1 1→16 0.55–0.68× forward, 0.34–0.47× dL/dx, 0.88–0.97×
 * dL/dweight; CIFAR conv1 3→32 0.43–1.16× forward (one Deno run above 1), 0.36–0.50× dL/dx,
 * 0.94–0.99× dL/dweight; stride 2, 1×1 and 5×5 32→64: 0.25–0.75×.
 */

import type { Conv2dGeometry } from "../conv2d.ts";

/** The three passes of a convolution. */
export type ConvPass = "forward" | "backwardInput" | "backwardWeight";

/** True when im2col + sgemm measured faster than the WebAssembly kernels for `g` and `pass`. */
export function blasConvPays(g: Conv2dGeometry, pass: ConvPass): boolean {
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  if (g.groups > 1 && cOutG < 16) return false;
  const winograd = g.kh === 3 && g.kw === 3 && g.strideH === 1 && g.strideW === 1 &&
    g.dilationH === 1 && g.dilationW === 1 && cInG >= 16;
  if (winograd && !underJavaScriptCore) return false;
  return pass !== "backwardWeight" || cOutG >= 16;
}

/** Bun (JavaScriptCore) rather than V8: the engines' WebAssembly code differs in speed. */
const underJavaScriptCore = String(globalThis.navigator?.userAgent).startsWith("Bun/");
