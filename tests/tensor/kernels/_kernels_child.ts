/**
 * Child of kernels_switch_test.ts: prints, as one JSON line, the kernel version this process
 * picked and the product [[1, 2], [3, 4]]² computed by the active gemm; with `--worker` also the
 * version a node:worker_threads Worker picked. As a Worker it posts the same fields.
 */

import process from "node:process";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { gemm, kernelSelection } from "../../../tensor/kernels/mod.ts";

function report(): { version: string; detail: string; product: number[] } {
  const a = new Float32Array([1, 2, 3, 4]), c = new Float32Array(4);
  gemm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
  return {
    version: kernelSelection.version,
    detail: kernelSelection.detail,
    product: Array.from(c),
  };
}

if (!isMainThread) {
  parentPort!.postMessage(report());
} else {
  let worker: unknown = null;
  if (process.argv.includes("--worker")) {
    const thread = new Worker(new URL(import.meta.url));
    worker = await new Promise((resolve, reject) => {
      thread.once("message", resolve);
      thread.once("error", reject);
    });
    await thread.terminate();
  }
  console.log(JSON.stringify({ ...report(), skipped: kernelSelection.skipped, worker }));
}
