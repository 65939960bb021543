/** The types of the test page's `globalThis.shardgradTest` calls (web/test_page.ts), shared with tests/browser/. */

export type { KernelReport } from "./kernel_check.ts";

/** What the browser offers. */
export interface Environment {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  /** "relaxed-simd", "simd" or null, from the kernels' own probe. */
  wasmSimd: string | null;
  /** A shared WebAssembly.Memory can be created (WebAssembly threads). */
  wasmThreads: boolean;
  /** "adapter <vendor/architecture>", "navigator.gpu without an adapter" or "no navigator.gpu". */
  webgpu: string;
}

/** One training run's outcome. */
export interface TrainReport {
  mode: "DataParallel" | "LocalTrainer in one Worker";
  /** The one line the page shows about how many threads train, and why. */
  status: string;
  workers: number;
  epochs: number;
  samples: number;
  trainSeconds: number;
  samplesPerSecond: number;
  lastLoss: number;
  testAccuracy: number;
  /** Longest gap between animation frames of the page while training (ms). */
  longestFrameGapMs: number;
  /** When that gap began, in ms after training started. */
  longestGapAtMs: number;
  frames: number;
}

/** Training options (the preset's defaults otherwise: lenet's SGD, lr 0.05, momentum 0.9). */
export interface TrainRequest {
  preset?: string;
  workers?: number;
  epochs?: number;
  batchSize?: number;
  /** Folder URL holding MNIST's four .gz files. @default "/data/" */
  data?: string;
  seed?: number;
}
