/**
 * The one place that reads environment variables for the kernels: SHARDGRAD_KERNELS (the kernel
 * switch in tensor/kernels/mod.ts asks it) and, through {@linkcode envVariable}, SHARDGRAD_BLAS
 * (blas/_ffi.ts). It touches runtime globals defensively: under Deno it reads a variable only
 * when env access is already granted (no permission prompt, no throw), and it never throws.
 */

/** Which kernels SHARDGRAD_KERNELS asks for: "ts" (plain TypeScript), "wasm" (SIMD) or "blas" (FFI). */
export type KernelChoice = "ts" | "wasm" | "blas";

/** The values SHARDGRAD_KERNELS accepts, in the order of preference of the default choice. */
export const KERNEL_CHOICES: readonly KernelChoice[] = ["blas", "wasm", "ts"];

interface EnvGlobals {
  Deno?: {
    env: { get(name: string): string | undefined };
    permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
  };
  process?: { env?: Record<string, string | undefined> };
}

/**
 * The value of environment variable `name`, or undefined when it is unset or cannot be read
 * (Deno without env permission for it, a browser).
 */
export function envVariable(name: string): string | undefined {
  const g = globalThis as EnvGlobals;
  try {
    if (g.Deno) {
      const state = g.Deno.permissions?.querySync?.({ name: "env", variable: name }).state;
      return state === "granted" ? g.Deno.env.get(name) : undefined;
    }
    return g.process?.env?.[name];
  } catch {
    return undefined; // env access denied or unsupported: behave as if the variable were unset
  }
}

/**
 * The kernels SHARDGRAD_KERNELS selects: `SHARDGRAD_KERNELS=ts` forces the plain-TypeScript
 * kernels, `SHARDGRAD_KERNELS=wasm` asks for WebAssembly SIMD (used only where supported),
 * `SHARDGRAD_KERNELS=blas` the platform's BLAS through FFI (used only where found); unset,
 * unreadable or anything else gives null (the default: the best version available). The
 * switch in tensor/kernels/mod.ts reports a value that is none of these.
 *
 * @example
 * ```ts
 * import { kernelsFromEnv } from "./kernels_env.ts";
 * console.log(kernelsFromEnv()); // null unless SHARDGRAD_KERNELS is set (and readable)
 * ```
 */
export function kernelsFromEnv(): KernelChoice | null {
  const value = envVariable("SHARDGRAD_KERNELS")?.trim().toLowerCase();
  return KERNEL_CHOICES.find((choice) => choice === value) ?? null;
}
