/**
 * The one table of the blas version's convolutions: which shapes and passes run on im2col + the
 * library's sgemm rather than on the WebAssembly kernels (Winograd, taps, im2col + wasm GEMM).
 *
 * Set by bench/conv2d_blas_bench.ts: two runs under each of Deno and Bun on a loaded 2-core
 * machine, in bench/conv2d_blas_bench.md (ratios below are sgemm ÷ WebAssembly time, over the
 * four runs). A rule is taken where the runs agree that sgemm is faster; where the runtimes
 * disagree (im2col is JavaScript, and the two engines run it and the WebAssembly at different
 * speeds) the WebAssembly kernel stays:
 * - nothing with C_out/groups < 16: those GEMMs are too small for the library to make up for
 *   im2col (lenet conv1's 8 outputs: 1.26–2.93×, but dL/dx under Bun at 0.74–0.76×; depthwise);
 * - a pointwise convolution (1×1, stride 1, no padding) is one GEMM with no im2col: sgemm,
 *   every pass (0.22–0.62×);
 * - stride > 1: the WebAssembly kernels run im2col + their own GEMM there too, so the faster
 *   GEMM wins: sgemm, every pass (0.45–0.77×, one Bun forward run at 1.69×);
 * - dL/dx is weightᵀ·gy then col2im, a GEMM of depth C_out/groups: sgemm, except
 *   the 3×3 stride-1 shapes with C_in/groups ≥ 8 that Winograd and the taps serve (0.30–1.02×
 *   where taken; CIFAR conv2 and 3×3 64→128 0.82–1.52×; lenet conv2 8→16 1.17× under Deno,
 *   0.67–0.69× under Bun);
 * - forward and dL/dweight use one im2col matrix C_out/groups times: sgemm only for large
 *   kernels with many channels (kh·kw > 9 and C_in·C_out/groups² ≥ 512: 5×5 32→64 0.58–0.94×,
 *   one Bun dL/dweight run at 1.40×). The two go together: an sgemm forward keeps its im2col for
 *   dL/dweight (conv2d_blas.ts), which is then one sgemm per sample. mnist-cnn's 16→32, once
 *   im2col skipped its zero-fill calls for windows inside the image: forward 0.97–1.13× under
 *   Deno and 0.62–0.63× under Bun, dL/dweight after it 0.65× and 0.62× (both passes together
 *   0.87× and 0.63×; before: forward 1.51× / 0.83–0.87×, dL/dweight 1.20–1.52×).
 * - under Bun only, 3×3 stride-1 shapes on outputs of ≥ 16×16: with C_in/groups ≥ 32, sgemm
 *   every pass (CIFAR conv2 32→64 on 16×16: forward 0.86–0.91×, dL/dx 0.77–0.83×, dL/dweight
 *   after the forward's kept im2col 0.74×; under Deno 1.25–1.58×, so Winograd stays there);
 *   with C_in/groups ≤ 4, sgemm forward (CIFAR conv1 3→32: 0.71–0.73×; dL/dweight after it
 *   0.94–0.98×, left on WebAssembly); only where the batch's im2col is small enough to be kept
 *   (cifar-cnn's 32→32 on 32×32 is not: its dL/dweight unfolding again made that layer 1.35×
 *   slower). CIFAR CNN step under Bun: 116–119 → 107–111 ms. Widening this to every keepable
 *   stride-1 shape under Bun sped up lenet (4.7–6.6 → 3.5–3.8 ms) but doubled resnet-small's
 *   step (173 → 326–361 ms): its 16→16 layers on 28×28 lost to Winograd, and its stride-2
 *   layers' dL/dx (sgemm + col2im, itself unchanged) went from 10 to 74 ms, for a reason not
 *   found (alternating stride-1 and stride-2 im2col/col2im in a loop does not reproduce it);
 *   so the row stays this narrow.
 */

import type { Conv2dGeometry } from "../conv2d.ts";

/** The three passes of a convolution. */
export type ConvPass = "forward" | "backwardInput" | "backwardWeight";

/** True when im2col + sgemm measured faster than the WebAssembly kernels for `g` and `pass`. */
export function blasConvPays(g: Conv2dGeometry, pass: ConvPass): boolean {
  const cInG = g.cIn / g.groups, cOutG = g.cOut / g.groups;
  const stride1 = g.strideH === 1 && g.strideW === 1;
  const pointwise = g.kh === 1 && g.kw === 1 && stride1 && g.padH === 0 && g.padW === 0;
  const winogradShape = g.kh === 3 && g.kw === 3 && stride1 && g.dilationH === 1 &&
    g.dilationW === 1 && cInG >= 8;
  const bigKernel = g.kh * g.kw > 9 && cInG * cOutG >= 512;
  if (cOutG < 16) return false;
  if (pointwise || !stride1) return true;
  // Under JavaScriptCore the Winograd and tap kernels run 25–40% slower than under V8 (CIFAR
  // conv2: 24 vs 17.5 ms forward), and on outputs of 16×16 or more the library wins there with
  // many input channels (every pass) or very few (an RGB input layer: its forward).
  const bunWins = underJavaScriptCore && g.kh === 3 && g.kw === 3 && g.hOut * g.wOut >= 256 &&
    (cInG >= 32 || cInG <= 4) && batchIm2colFloats(g) <= MAX_KEPT_FLOATS;
  if (bunWins && (winogradShape || pass !== "backwardWeight")) return true;
  return pass === "backwardInput" ? !winogradShape : bigKernel;
}

/**
 * Largest batch of im2col matrices an sgemm forward keeps per layer for dL/dweight (64 MiB;
 * conv2d_blas.ts): beyond it dL/dweight unfolds x again, and Bun's sgemm rows do not pay.
 */
export const MAX_KEPT_FLOATS = 1 << 24;

/** Floats of the im2col matrices of a whole batch: N · C_in·kh·kw · hOut·wOut. */
export function batchIm2colFloats(g: Conv2dGeometry): number {
  return g.n * g.cIn * g.kh * g.kw * g.hOut * g.wOut;
}

/** Bun (JavaScriptCore) rather than V8: the engines' WebAssembly code differs in speed. */
const underJavaScriptCore = String(globalThis.navigator?.userAgent).startsWith("Bun/");
