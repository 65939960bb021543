/**
 * The FFI boundary of the blas kernels: the runtime's dlopen (Deno.dlopen or bun:ffi) reduced
 * to the few calls the library search (_search.ts) needs, and cblas_sgemm, cblas_saxpy and
 * cblas_sscal bound to Float32Arrays.
 * This is the one file of tensor/kernels/blas that touches runtime globals (Deno, Bun, process),
 * each behind a feature test, so the folder stays importable by URL and in a browser (where
 * there is no FFI and the search finds nothing).
 */

import type { gemm } from "../gemm.ts";
import type { OsName } from "./_libraries.ts";

/** cblas_sgemm on Float32Arrays with element offsets (row-major): the GEMM contract of gemm.ts. */
export type RawSgemm = typeof gemm;

/**
 * cblas_saxpy (y ← alpha·x + y) and cblas_sscal (x ← alpha·x) on n floats from element offsets,
 * stride 1, alpha as float32. Unchecked: the caller checks every extent first.
 */
export interface RawLevel1 {
  saxpy(
    n: number,
    alpha: number,
    x: Float32Array,
    xOff: number,
    y: Float32Array,
    yOff: number,
  ): void;
  sscal(n: number, alpha: number, x: Float32Array, xOff: number): void;
}

/** True on the main thread, false inside a Worker (so a fallback notice prints once per process). */
export function isMainThread(): boolean {
  const g = globalThis as {
    Bun?: { isMainThread?: boolean };
    navigator?: { constructor?: { name?: string } };
  };
  if (g.Bun?.isMainThread !== undefined) return g.Bun.isMainThread;
  return g.navigator?.constructor?.name !== "WorkerNavigator";
}

/** The calls one runtime's FFI offers, reduced to what the search needs. */
export interface FfiRuntime {
  name: "Deno.dlopen" | "bun:ffi";
  os: OsName;
  /** Opens `path` with cblas_sgemm, or throws (not found, no such symbol). */
  openSgemm(path: string): RawSgemm;
  /** cblas_saxpy and cblas_sscal of `path`, or null where either is missing. */
  openLevel1(path: string): RawLevel1 | null;
  /** Calls `fn(1)` from `path` when the library (or a library it loads) exports it; false if absent. */
  callIfPresent(path: string, fn: string, arg: "i32" | "i64"): boolean;
  /** The C string that `fn()` returns, or null when `fn` is absent. */
  cString(path: string, fn: string): string | null;
}

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
const SAXPY_ARGS = ["i32", "f32", "buffer", "i32", "buffer", "i32"];
const SSCAL_ARGS = ["i32", "f32", "buffer", "i32"];
const SGEMM_ARGS = [
  "i32",
  "i32",
  "i32",
  "i32",
  "i32",
  "i32",
  "f32",
  "buffer",
  "i32",
  "buffer",
  "i32",
  "f32",
  "buffer",
  "i32",
];

interface DenoFfi {
  build: { os: string };
  permissions: { querySync(d: { name: "ffi" }): { state: string } };
  dlopen(
    path: string,
    symbols: Record<string, unknown>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  UnsafePointerView: new (pointer: unknown) => { getCString(): string };
}

interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, unknown>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  ptr(view: ArrayBufferView, byteOffset?: number): number;
  CString: new (pointer: unknown) => { toString(): string };
}

/** The runtime's FFI, or why there is none. */
export function ffiRuntime(): FfiRuntime | string {
  const g = globalThis as { Deno?: DenoFfi; Bun?: unknown; process?: { platform?: string } };
  if (g.Deno?.dlopen) {
    const deno = g.Deno;
    let state: string;
    try {
      state = deno.permissions.querySync({ name: "ffi" }).state;
    } catch (error) {
      return `Deno cannot query the ffi permission (${errorLine(error)})`;
    }
    if (state !== "granted") return "Deno was not granted --allow-ffi (-A grants it)";
    return denoRuntime(deno);
  }
  const require = (import.meta as { require?: (id: string) => unknown }).require;
  if (g.Bun !== undefined && typeof require === "function") {
    return bunRuntime(require("bun:ffi") as BunFfi, g.process?.platform ?? "");
  }
  return "this runtime has no FFI (neither Deno.dlopen nor bun:ffi)";
}

function osName(os: string): OsName {
  return os === "darwin" ? "darwin" : os === "windows" || os === "win32" ? "windows" : "linux";
}

function denoRuntime(deno: DenoFfi): FfiRuntime {
  const sym = (path: string, name: string, def: Record<string, unknown>) =>
    deno.dlopen(path, { [name]: { ...def, optional: true } }).symbols[name] ?? null;
  return {
    name: "Deno.dlopen",
    os: osName(deno.build.os),
    openSgemm(path) {
      const f =
        deno.dlopen(path, { cblas_sgemm: { parameters: SGEMM_ARGS, result: "void" } }).symbols
          .cblas_sgemm;
      // Deno's FFI takes a typed array (SharedArrayBuffer-backed too) as a pointer to its first
      // element, so an offset is a subarray view: no copy.
      const at = (x: Float32Array, offset: number) => offset === 0 ? x : x.subarray(offset);
      return (tA, tB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
        f(
          ROW_MAJOR,
          tA ? TRANS : NO_TRANS,
          tB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          at(a, aOff),
          lda,
          at(b, bOff),
          ldb,
          beta,
          at(c, cOff),
          ldc,
        );
      };
    },
    openLevel1(path) {
      const saxpy = sym(path, "cblas_saxpy", { parameters: SAXPY_ARGS, result: "void" });
      const sscal = sym(path, "cblas_sscal", { parameters: SSCAL_ARGS, result: "void" });
      if (saxpy === null || sscal === null) return null;
      const at = (x: Float32Array, offset: number) => offset === 0 ? x : x.subarray(offset);
      return {
        saxpy: (n, alpha, x, xOff, y, yOff) => saxpy(n, alpha, at(x, xOff), 1, at(y, yOff), 1),
        sscal: (n, alpha, x, xOff) => sscal(n, alpha, at(x, xOff), 1),
      };
    },
    callIfPresent(path, name, arg) {
      const f = sym(path, name, { parameters: [arg], result: "void" });
      f?.(arg === "i64" ? 1n : 1);
      return f !== null;
    },
    cString(path, name) {
      const f = sym(path, name, { parameters: [], result: "pointer" });
      const pointer = f?.();
      return pointer ? new deno.UnsafePointerView(pointer).getCString() : null;
    },
  };
}

function bunRuntime(ffi: BunFfi, platform: string): FfiRuntime {
  const bunArg = (arg: string) => arg === "buffer" ? "ptr" : arg;
  // bun:ffi's dlopen throws on a missing symbol: each optional symbol is looked up on its own.
  const sym = (path: string, name: string, args: string[], returns: string) => {
    try {
      return ffi.dlopen(path, { [name]: { args, returns } }).symbols[name];
    } catch {
      return null;
    }
  };
  return {
    name: "bun:ffi",
    os: osName(platform),
    openSgemm(path) {
      const f =
        ffi.dlopen(path, { cblas_sgemm: { args: SGEMM_ARGS.map(bunArg), returns: "void" } }).symbols
          .cblas_sgemm;
      // ptr() of a SharedArrayBuffer-backed view is its memory: no copy.
      const { ptr } = ffi;
      return (tA, tB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
        f(
          ROW_MAJOR,
          tA ? TRANS : NO_TRANS,
          tB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          ptr(a, aOff * 4),
          lda,
          ptr(b, bOff * 4),
          ldb,
          beta,
          ptr(c, cOff * 4),
          ldc,
        );
      };
    },
    openLevel1(path) {
      const saxpy = sym(path, "cblas_saxpy", SAXPY_ARGS.map(bunArg), "void");
      const sscal = sym(path, "cblas_sscal", SSCAL_ARGS.map(bunArg), "void");
      if (!saxpy || !sscal) return null;
      const { ptr } = ffi;
      return {
        saxpy: (n, alpha, x, xOff, y, yOff) =>
          saxpy(n, alpha, ptr(x, xOff * 4), 1, ptr(y, yOff * 4), 1),
        sscal: (n, alpha, x, xOff) => sscal(n, alpha, ptr(x, xOff * 4), 1),
      };
    },
    callIfPresent(path, name, arg) {
      const f = sym(path, name, [arg], "void");
      f?.(arg === "i64" ? 1n : 1);
      return f !== null;
    },
    cString(path, name) {
      const f = sym(path, name, [], "ptr");
      const pointer = f?.();
      return pointer ? new ffi.CString(pointer).toString() : null;
    },
  };
}

/** The first line of an error's message. */
export function errorLine(error: unknown): string {
  // Deno repeats its "Could not open library: " prefix; once is enough.
  const message = String(error instanceof Error ? error.message : error).split("\n")[0];
  return message.replace(/^(Could not open library: )+/, "");
}
