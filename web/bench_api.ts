/** The types of the benchmark page's `globalThis.shardgradBench` calls (web/bench_page.ts), shared with bench/browser.ts. */

/** What the browser offers the benchmark. */
export interface BenchEnvironment {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  /** shardgrad's kernel selection in the page (describeKernels()). */
  kernels: string;
  /** A shared WebAssembly.Memory can be created (WebAssembly threads). */
  wasmThreads: boolean;
  /** WebGL2's (unmasked) renderer, or "no WebGL2 context". */
  webgl2: string;
  /** "adapter <vendor/architecture description>", "navigator.gpu without an adapter" or "no navigator.gpu". */
  webgpu: string;
  /** TF.js version bundled into the page. */
  tfjs: string;
  /** What TF.js's wasm backend detected: "SIMD true, threads true". */
  tfjsWasm: string;
}
