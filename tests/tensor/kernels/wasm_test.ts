/** WebAssembly SIMD GEMM (tensor/kernels/wasm): every flavor against the gemmNaive oracle. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../_helpers/assert_close.ts";
import { Rng } from "../../../tensor/rng.ts";
import { gemmNaive } from "../../../tensor/kernels/gemm_naive.ts";
import { gemmSuite, type GemmVersion } from "./_gemm_suite.ts";
import {
  createWasmGemm,
  gemmWasm,
  type WasmGemmFlavor,
  wasmGemmFlavor,
  wasmSimdSupported,
} from "../../../tensor/kernels/wasm/gemm_wasm.ts";

/** Each flavor in its own instance, plus one whose small memory cap forces split products. */
const versions: GemmVersion[] = [
  ...(["relaxed-simd", "simd"] as WasmGemmFlavor[]).map((flavor): GemmVersion => ({
    name: `gemmWasm[${flavor}]`,
    fn: createWasmGemm(flavor),
    skip: `this runtime cannot compile the ${flavor} module`,
  })),
  {
    name: "gemmWasm[simd, maxBytes 1 MiB]",
    fn: createWasmGemm("simd", { maxBytes: 2 ** 20 }),
    skip: "this runtime has no WebAssembly SIMD",
  },
];

gemmSuite(versions);

for (const { name, fn, skip: why } of versions) {
  const skip = fn === null ? why : false;
  test(`${name}() computes Aᵀ·Bᵀ of hand-checked matrices with alpha and beta`, { skip }, () => {
    const a = new Float32Array([1, 4, 2, 5, 3, 6]); // [3, 2] = [[1, 2, 3], [4, 5, 6]]ᵀ
    const b = new Float32Array([7, 9, 11, 8, 10, 12]); // [2, 3] = [[7, 8], [9, 10], [11, 12]]ᵀ
    const c = new Float32Array([1, 1, 1, 1]);
    fn!(true, true, 2, 2, 3, 2, a, 0, 2, b, 0, 3, 10, c, 0, 2);
    assert.deepEqual(Array.from(c), [126, 138, 288, 318]); // 2·[[58, 64], [139, 154]] + 10
  });
}

test("wasmSimdSupported() is true under Deno and Bun, and gemmWasm runs the flavor it reports", () => {
  assert.equal(wasmSimdSupported(), true);
  assert.ok(["relaxed-simd", "simd"].includes(wasmGemmFlavor()!), `flavor ${wasmGemmFlavor()}`);
  const a = new Float32Array([1, 2, 3, 4]);
  const c = new Float32Array(4).fill(NaN);
  gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
  assert.deepEqual(Array.from(c), [7, 10, 15, 22]);
});

test("gemmWasm() reads and writes views into a SharedArrayBuffer (as parallel/ shares tensors)", {
  skip: !wasmSimdSupported() && "no WebAssembly SIMD",
}, () => {
  const shared = new Float32Array(new SharedArrayBuffer(4 * 64));
  const a = shared.subarray(0, 12), b = shared.subarray(16, 28), c = shared.subarray(32, 41);
  const rng = new Rng(9);
  for (let i = 0; i < 12; i++) [a[i], b[i]] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
  const expected = new Float32Array(9);
  gemmNaive(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, expected, 0, 3);
  gemmWasm(false, false, 3, 3, 4, 1, a, 0, 4, b, 0, 3, 0, c, 0, 3);
  assertClose(c, expected, { rtol: 1e-6, atol: 1e-6 });
});

test("gemmWasm() runs in a module Worker, which compiles its own instance", {
  skip: !wasmSimdSupported() && "no WebAssembly SIMD",
}, async () => {
  const url = new URL("../../../tensor/kernels/wasm/gemm_wasm.ts", import.meta.url).href;
  const source = `import { gemmWasm, wasmGemmFlavor } from ${JSON.stringify(url)};
    const a = new Float32Array([1, 2, 3, 4]), c = new Float32Array(4);
    gemmWasm(false, true, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
    postMessage({ flavor: wasmGemmFlavor(), c: Array.from(c) });`;
  const blobUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(blobUrl, { type: "module" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const reply = await new Promise<{ flavor: string; c: number[] }>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) =>
        reject(new Error(`worker failed: ${(event as ErrorEvent).message}`));
      timer = setTimeout(() => reject(new Error("worker timed out after 20 s")), 20_000);
    });
    assert.deepEqual(reply, { flavor: wasmGemmFlavor(), c: [5, 11, 11, 25] }); // A·Aᵀ
  } finally {
    clearTimeout(timer);
    worker.terminate();
    URL.revokeObjectURL(blobUrl);
  }
});
