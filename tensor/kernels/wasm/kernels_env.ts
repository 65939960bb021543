/**
 * The one place that reads the SHARDGRAD_KERNELS environment variable (the kernel switch in
 * tensor/kernels/mod.ts asks it). This is the only core file that touches a runtime global
 * other than web APIs, and it does so defensively: under Deno it reads the variable only when
 * env access is already granted (no permission prompt, no throw), and it never throws anywhere.
 */

/** Which kernels SHARDGRAD_KERNELS asks for: "ts" (plain TypeScript) or "wasm" (SIMD). */
export type KernelChoice = "ts" | "wasm";

interface EnvGlobals {
  Deno?: {
    env: { get(name: string): string | undefined };
    permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
  };
  process?: { env?: Record<string, string | undefined> };
}

function readEnv(name: string): string | undefined {
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
 * kernels, `SHARDGRAD_KERNELS=wasm` asks for WebAssembly SIMD (used only where supported);
 * unset, unreadable or anything else gives null (the default: WebAssembly SIMD when supported).
 *
 * @example
 * ```ts
 * import { kernelsFromEnv } from "./kernels_env.ts";
 * console.log(kernelsFromEnv()); // null unless SHARDGRAD_KERNELS is set (and readable)
 * ```
 */
export function kernelsFromEnv(): KernelChoice | null {
  const value = readEnv("SHARDGRAD_KERNELS")?.trim().toLowerCase();
  return value === "ts" || value === "wasm" ? value : null;
}
