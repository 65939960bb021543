/**
 * The browser benchmark's page (web/bench.html), driven by bench/browser.ts through
 * `globalThis.shardgradBench`: the contenders of bench/compare.ts (bench/_contenders.ts) on
 * its workloads (bench/_workloads.ts) in this page — shardgrad's DataParallel on module Web
 * Workers (the page must be cross-origin isolated) and TensorFlow.js on its cpu, wasm,
 * webgl and webgpu backends — each created by name, timed round by round, and closed, so that the
 * driver interleaves them. It also reports what the browser offers (isolation, WebAssembly
 * SIMD and threads, WebGL's renderer, WebGPU's adapter).
 */

/// <reference lib="dom" />

import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { type Contender, shardgrad, tensorflow } from "../bench/_contenders.ts";
import { COMPARE_WORKLOADS } from "../bench/_workloads.ts";
import { describeKernels } from "../tensor/kernels/mod.ts";
import type { BenchEnvironment } from "./bench_api.ts";

// The wasm backend fetches its .wasm files from here (the project's root is served; this
// bundle is web/dist/bench_page.js).
setWasmPaths(
  new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href,
);

/** The contender kinds the driver may ask for. */
export const KINDS = [
  "shardgrad-1",
  "shardgrad-2",
  "tfjs-cpu",
  "tfjs-wasm",
  "tfjs-webgl",
  "tfjs-webgpu",
] as const;

const live = new Map<string, Contender>();

async function environment(): Promise<BenchEnvironment> {
  let wasmThreads = false;
  try {
    wasmThreads = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true })
      .buffer instanceof SharedArrayBuffer;
  } catch {
    wasmThreads = false; // no SharedArrayBuffer without cross-origin isolation
  }
  const gl = document.createElement("canvas").getContext("webgl2");
  const debug = gl?.getExtension("WEBGL_debug_renderer_info");
  const webgl2 = gl === null || gl === undefined
    ? "no WebGL2 context"
    : String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  let webgpu = "no navigator.gpu";
  if (gpu !== undefined) {
    const adapter = await gpu.requestAdapter().catch(() => null) as
      | { info?: { vendor?: string; architecture?: string; description?: string } }
      | null;
    webgpu = adapter === null
      ? "navigator.gpu without an adapter"
      : `adapter ${adapter.info?.vendor || "?"}/${adapter.info?.architecture || "?"} ${
        adapter.info?.description ?? ""
      }`.trim();
  }
  return {
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    kernels: describeKernels(),
    wasmThreads,
    webgl2,
    webgpu,
    tfjs: tf.version.tfjs,
    tfjsWasm: `SIMD ${await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")}, threads ${await tf.env()
      .getAsync("WASM_HAS_MULTITHREAD_SUPPORT")}`,
  };
}

/**
 * Creates contender `kind` on workload `key` (a bench/_workloads.ts key) and returns its name
 * ("shardgrad 2 workers", "TF.js wasm", ...), under which `round` and `close` find it.
 */
async function create(key: string, kind: string): Promise<string> {
  const workload = COMPARE_WORKLOADS.find((w) => w.key === key);
  if (workload === undefined) {
    throw new RangeError(
      `bench page: unknown workload "${key}" (expected ${COMPARE_WORKLOADS.map((w) => w.key)})`,
    );
  }
  let contender: Contender;
  if (kind === "shardgrad-1" || kind === "shardgrad-2") {
    if (!crossOriginIsolated) {
      throw new Error("bench page: not cross-origin isolated (no COOP/COEP): no DataParallel");
    }
    contender = await shardgrad(workload, kind === "shardgrad-1" ? 1 : 2);
  } else if (KINDS.includes(kind as typeof KINDS[number])) { // the TF.js backends
    const backend = kind.slice("tfjs-".length);
    // tensorflow() types its backend as Node's two; in the page webgl and webgpu are
    // registered too, and setBackend answers false for one that cannot initialize.
    contender = await tensorflow(workload, backend as "cpu" | "wasm");
    if (tf.getBackend() !== backend) {
      contender.close();
      throw new Error(`TF.js: backend ${backend} did not initialize (got ${tf.getBackend()})`);
    }
  } else {
    throw new RangeError(`bench page: unknown contender "${kind}" (expected ${KINDS.join(", ")})`);
  }
  if (live.has(contender.name)) {
    await contender.close();
    throw new Error(`bench page: ${contender.name} already exists; close it first`);
  }
  live.set(contender.name, contender);
  return contender.name;
}

/** One timed round of `name` (at least `seconds`, one step when 0): samples/s. */
function round(name: string, seconds: number): Promise<number> {
  return found(name).round(seconds);
}

async function close(name: string): Promise<void> {
  await found(name).close();
  live.delete(name);
}

function found(name: string): Contender {
  const contender = live.get(name);
  if (contender === undefined) {
    throw new Error(`bench page: no contender "${name}" (live: ${[...live.keys()].join(", ")})`);
  }
  return contender;
}

const api = { environment, create, round, close };
(globalThis as { shardgradBench?: typeof api }).shardgradBench = api;
document.getElementById("log")!.textContent = `ready; crossOriginIsolated ${crossOriginIsolated}`;
