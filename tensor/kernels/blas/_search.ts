/**
 * The library search of the blas kernels: SHARDGRAD_BLAS=/path/lib alone (a library the user
 * named and that fails is reported, not replaced by another), else the platform's usual names
 * (LIBRARY_CANDIDATES), each opened through _ffi.ts, identified by the thread call it exports
 * and limited to one thread. A library that does not say what it is (libblas.so.3 is the
 * reference BLAS on most systems, ~30× slower) is timed once on a 128³ sgemm and refused below
 * REFERENCE_GFLOPS unless SHARDGRAD_BLAS names it.
 */

import { envVariable } from "../wasm/kernels_env.ts";
import { errorLine, type FfiRuntime, ffiRuntime, type RawLevel1, type RawSgemm } from "./_ffi.ts";
import { describeVendor, LIBRARY_CANDIDATES, REFERENCE_GFLOPS, type Vendor } from "./_libraries.ts";

/** A CBLAS library that was opened and limited to one thread. */
export interface OpenedBlas {
  /** The path or name it was opened by. */
  path: string;
  vendor: Vendor;
  /** What the library says of itself (OpenBLAS's config string) or how fast it measured. */
  detail: string;
  /** How its threads were limited to one, or why they could not be. */
  threads: string;
  /** The runtime's FFI that opened it. */
  ffi: FfiRuntime["name"];
  sgemm: RawSgemm;
  /** cblas_saxpy and cblas_sscal, or null where the library lacks them. */
  level1: RawLevel1 | null;
}

/** What the search found: the library, or null, with a reason for every candidate not used. */
export interface BlasProbe {
  library: OpenedBlas | null;
  /** One short reason per candidate that was tried and not used, `name: why`. */
  skipped: string[];
  /** Why no FFI was tried at all (no runtime FFI, no permission), or null. */
  unavailable: string | null;
  /** SHARDGRAD_BLAS as read, or undefined. */
  requested: string | undefined;
}

/**
 * Searches and opens the CBLAS library (once per thread: each Worker runs this at import).
 * `requested` stands for SHARDGRAD_BLAS and `candidates` for the platform's list (tests).
 */
export function probeBlas(
  requested: string | undefined = envVariable("SHARDGRAD_BLAS")?.trim() || undefined,
  candidates?: readonly string[],
): BlasProbe {
  const skipped: string[] = [];
  const runtime = ffiRuntime();
  if (typeof runtime === "string") {
    return { library: null, skipped, unavailable: runtime, requested };
  }
  candidates = requested !== undefined ? [requested] : candidates ?? LIBRARY_CANDIDATES[runtime.os];
  for (const path of candidates) {
    try {
      const library = openBlas(runtime, path, requested !== undefined);
      if (typeof library === "string") skipped.push(`${path}: ${library}`);
      else return { library, skipped, unavailable: null, requested };
    } catch (error) {
      skipped.push(`${path}: ${errorLine(error)}`);
    }
  }
  return { library: null, skipped, unavailable: null, requested };
}

/** Opens one candidate: the library, or why it is not used. Throws where dlopen does. */
function openBlas(runtime: FfiRuntime, path: string, named: boolean): OpenedBlas | string {
  const sgemm = runtime.openSgemm(path);
  const known = limitThreads(runtime, path);
  let detail = known.detail;
  if (known.vendor === "unknown") {
    const gflops = measureGflops(sgemm);
    detail = `${gflops.toFixed(1)} GFLOP/s on a 128³ sgemm`;
    // A library the user named is used as asked; one found by name alone must prove it is not
    // the reference BLAS.
    if (!named && gflops < REFERENCE_GFLOPS) {
      return `looks like the reference BLAS (${detail}, below ${REFERENCE_GFLOPS}); name it in SHARDGRAD_BLAS to use it anyway`;
    }
  }
  let level1: RawLevel1 | null = null;
  try {
    level1 = runtime.openLevel1(path);
  } catch { /* no level-1 routines: SGD keeps its other loops */ }
  return {
    path,
    vendor: known.vendor,
    detail,
    threads: known.threads,
    ffi: runtime.name,
    sgemm,
    level1,
  };
}

/** Identifies the library by its own calls and limits it to one thread. */
function limitThreads(
  runtime: FfiRuntime,
  path: string,
): { vendor: Vendor; detail: string; threads: string } {
  if (runtime.callIfPresent(path, "openblas_set_num_threads", "i32")) {
    const config = runtime.cString(path, "openblas_get_config") ?? "OpenBLAS";
    return { vendor: "openblas", detail: config, threads: "openblas_set_num_threads(1)" };
  }
  if (runtime.callIfPresent(path, "MKL_Set_Num_Threads", "i32")) {
    return { vendor: "mkl", detail: describeVendor("mkl"), threads: "MKL_Set_Num_Threads(1)" };
  }
  if (runtime.callIfPresent(path, "bli_thread_set_num_threads", "i64")) {
    return {
      vendor: "blis",
      detail: describeVendor("blis"),
      threads: "bli_thread_set_num_threads(1)",
    };
  }
  if (path.includes("Accelerate.framework")) {
    return {
      vendor: "accelerate",
      detail: describeVendor("accelerate"),
      threads: "Accelerate's own (set VECLIB_MAXIMUM_THREADS=1 to limit)",
    };
  }
  return {
    vendor: "unknown",
    detail: "",
    threads: "not controlled (the library has no known thread call)",
  };
}

/** Best of three timings of a 128³ sgemm, in GFLOP/s. */
function measureGflops(sgemm: RawSgemm): number {
  const n = 128;
  const a = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    sgemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, c, 0, n);
    best = Math.min(best, performance.now() - start);
  }
  return (2 * n ** 3) / (Math.max(best, 1e-3) * 1e6);
}
