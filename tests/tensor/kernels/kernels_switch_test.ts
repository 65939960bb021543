/**
 * The kernel switch (tensor/kernels/mod.ts) in child processes: SHARDGRAD_KERNELS and
 * SHARDGRAD_BLAS choose a version, a request that cannot run falls back with exactly one line on
 * stderr (never a crash, the product still right), and Workers pick what their process picked.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { IS_DENO, runProcess, runtimeCommand } from "../../train/_run_cli.ts";
import { blasLibrary, kernelSelection, wasmSimdSupported } from "../../../tensor/kernels/mod.ts";

const CHILD = fileURLToPath(new URL("./_kernels_child.ts", import.meta.url));
const found = blasLibrary() !== null;
const noLibrary = found ? false : "no CBLAS library here; CI installs libopenblas0-pthread";
const noSimd = wasmSimdSupported()
  ? false
  : "no WebAssembly SIMD: the fallback is the plain TypeScript kernels";

interface Child {
  version: string;
  detail: string;
  product: number[];
  skipped: Record<string, string>;
  worker: { version: string; detail: string; product: number[] } | null;
}

/** Runs the child under this runtime with `env`; returns its report and stderr lines. */
async function child(env: Record<string, string>, args: string[] = [], denoFlags?: string[]) {
  let [command, argv] = runtimeCommand(CHILD, args);
  if (denoFlags) argv = ["run", ...denoFlags, CHILD, ...args];
  // An inherited SHARDGRAD_* from the developer's shell must not decide the outcome.
  const run = await runProcess(command, argv, {
    env: { SHARDGRAD_KERNELS: "", SHARDGRAD_BLAS: "", ...env },
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, `child exited ${run.code}: ${run.stderr}`);
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
  return { report: JSON.parse(run.stdout.trim()) as Child, stderr: lines };
}

const PRODUCT = [7, 10, 15, 22];
const tmp = mkdtempSync(join(tmpdir(), "shardgrad-blas-"));
const notALibrary = join(tmp, "libopenblas.so");
writeFileSync(notALibrary, "this is a text file, not a shared library\n");
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const LIBM = [
  "/lib/x86_64-linux-gnu/libm.so.6",
  "/usr/lib/x86_64-linux-gnu/libm.so.6",
  "/lib64/libm.so.6",
].find(existsSync);

test(
  "kernels: with no request, a found CBLAS library runs the GEMM, silently",
  { skip: noLibrary },
  async () => {
    const { report, stderr } = await child({});
    assert.deepEqual(stderr, []);
    assert.equal(report.version, "blas");
    assert.match(report.detail, /^GEMM on .* via (Deno\.dlopen|bun:ffi)/);
    assert.deepEqual(report.product, PRODUCT);
    assert.equal(report.skipped.wasm, "blas runs first");
  },
);

const fallbacks: Array<[string, Record<string, string>, RegExp]> = [
  [
    "SHARDGRAD_BLAS naming a missing file",
    { SHARDGRAD_BLAS: "/nonexistent/libopenblas.so.0" },
    /^shardgrad kernels: SHARDGRAD_BLAS=\/nonexistent\/libopenblas\.so\.0 cannot be used \(.*No such file.*\); using wasm$/,
  ],
  [
    "SHARDGRAD_BLAS naming a file that is no library",
    { SHARDGRAD_BLAS: notALibrary },
    /^shardgrad kernels: SHARDGRAD_BLAS=.*libopenblas\.so cannot be used \(.*\); using wasm$/,
  ],
  [
    "SHARDGRAD_KERNELS=blas with a missing SHARDGRAD_BLAS",
    { SHARDGRAD_KERNELS: "blas", SHARDGRAD_BLAS: "/nonexistent/libblas.so" },
    /^shardgrad kernels: SHARDGRAD_KERNELS=blas, but SHARDGRAD_BLAS=\/nonexistent\/libblas\.so cannot be used \(.*\); using wasm$/,
  ],
  ...(LIBM
    ? [[
      "SHARDGRAD_BLAS naming a library without cblas_sgemm",
      { SHARDGRAD_BLAS: LIBM },
      /^shardgrad kernels: SHARDGRAD_BLAS=.*libm\.so\.6 cannot be used \(.*cblas_sgemm.*\); using wasm$/,
    ]] as Array<[string, Record<string, string>, RegExp]>
    : []),
];
for (const [name, env, line] of fallbacks) {
  test(`kernels: ${name} falls back to WebAssembly with one line on stderr, also with a Worker`, {
    skip: noSimd,
  }, async () => {
    const { report, stderr } = await child(env, ["--worker"]);
    assert.equal(stderr.length, 1, `expected one line, got:\n${stderr.join("\n")}`);
    assert.match(stderr[0], line);
    assert.equal(report.version, "wasm");
    assert.deepEqual(report.product, PRODUCT);
    assert.deepEqual(report.worker, { version: "wasm", detail: report.detail, product: PRODUCT });
  });
}

test("kernels: an unknown SHARDGRAD_KERNELS value is named in one line and the best version runs", async () => {
  const { report, stderr } = await child({ SHARDGRAD_KERNELS: "fast" });
  assert.deepEqual(stderr, [
    `shardgrad kernels: SHARDGRAD_KERNELS=fast is not one of blas, wasm, ts; using ${report.version}`,
  ]);
  assert.equal(report.version, found ? "blas" : wasmSimdSupported() ? "wasm" : "ts");
});

for (const version of ["wasm", "ts"] as const) {
  test(
    `kernels: SHARDGRAD_KERNELS=${version} runs ${version} in the process and its Workers, silently`,
    { skip: version === "wasm" && noSimd },
    async () => {
      const { report, stderr } = await child({ SHARDGRAD_KERNELS: version }, ["--worker"]);
      assert.deepEqual(stderr, []);
      assert.equal(report.version, version);
      assert.equal(report.skipped.blas, `SHARDGRAD_KERNELS=${version}`);
      assert.deepEqual(report.worker, { version, detail: report.detail, product: PRODUCT });
    },
  );
}

test("kernels: a Worker picks the same version and library as its process", async () => {
  const { report, stderr } = await child({}, ["--worker"]);
  assert.deepEqual(stderr, []);
  assert.equal(report.version, kernelSelection.version);
  assert.deepEqual(report.worker, {
    version: report.version,
    detail: report.detail,
    product: PRODUCT,
  });
});

test(
  "kernels: Deno without --allow-ffi runs WebAssembly silently, and names the permission when blas is asked for",
  { skip: IS_DENO ? noSimd : "Deno-only: Bun has no FFI permission" },
  async () => {
    const quiet = await child({}, [], ["--allow-env", "--allow-read"]);
    assert.deepEqual(quiet.stderr, []);
    assert.equal(quiet.report.version, "wasm");
    assert.equal(quiet.report.skipped.blas, "Deno was not granted --allow-ffi (-A grants it)");
    const asked = await child({ SHARDGRAD_KERNELS: "blas" }, [], ["--allow-env", "--allow-read"]);
    assert.deepEqual(asked.stderr, [
      "shardgrad kernels: SHARDGRAD_KERNELS=blas, but Deno was not granted --allow-ffi (-A grants it); using wasm",
    ]);
    assert.deepEqual(asked.report.product, PRODUCT);
  },
);
