/**
 * PyTorch CPU for bench/compare.ts: finds a python3 that imports torch and drives
 * bench/_torch_bench.py as one long-lived subprocess (node:child_process), one JSON
 * object a line each way, so its rounds interleave with the other contenders' rounds.
 *
 * The subprocess gets this process's environment minus OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE: some machines set them to work around old OpenBLAS builds, and they
 * pin a current OpenBLAS to slower kernels. Nothing else is changed.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ModelSpec } from "../layers/spec.ts";
import type { TextWorkload } from "./_workloads.ts";

/** The variables removed from the PyTorch subprocess's environment (and only there). */
export const UNSET_FOR_TORCH = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] as const;

/** What _torch_bench.py says about itself (`{"op": "info"}`). */
export interface TorchInfo {
  torch: string;
  python: string;
  executable: string;
  /** Which BLAS library torch's matmuls run on, e.g. "OpenBLAS (OpenBLAS 0.3.21 ...; core Zen)". */
  blas: string;
  /** Max |error| of a float32 matmul against a float64 sum computed without the BLAS. */
  blasCheck: number;
  /** Which backend runs a batch-64 float32 conv (e.g. "_ConvBackend.Mkldnn"). */
  conv: string;
  env: Record<string, string | null>;
}

/** The interpreter to use, or why there is none. */
export type TorchPython = { python: string } | { skipped: string };

/** The subprocess's environment: ours without {@linkcode UNSET_FOR_TORCH}. */
export function torchEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !(UNSET_FOR_TORCH as readonly string[]).includes(key)) {
      env[key] = value;
    }
  }
  return env;
}

/** The first of `candidates` that runs `import torch`; else why none did. */
export function findTorchPython(candidates: string[]): TorchPython {
  const reasons: string[] = [];
  for (const python of candidates) {
    const result = spawnSync(python, ["-c", "import torch"], { env: torchEnv(), encoding: "utf8" });
    if (result.error) {
      reasons.push(`${python}: ${(result.error as NodeJS.ErrnoException).code ?? result.error}`);
    } else if (result.status === 0) {
      return { python };
    } else {
      const lines = String(result.stderr).trim().split("\n");
      reasons.push(`${python}: ${lines[lines.length - 1]}`);
    }
  }
  return { skipped: reasons.join("; ") };
}

/** A running _torch_bench.py. */
export class TorchBench {
  #child: ChildProcess;
  #buffer = "";
  #stderr = "";
  #pending: { resolve(reply: Record<string, unknown>): void; reject(error: Error): void }[] = [];

  constructor(python: string) {
    const script = fileURLToPath(new URL("./_torch_bench.py", import.meta.url));
    this.#child = spawn(python, [script], { env: torchEnv(), stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stdout!.setEncoding("utf8");
    this.#child.stdout!.on("data", (chunk: string) => {
      this.#buffer += chunk;
      let newline;
      while ((newline = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        const reply = JSON.parse(line) as Record<string, unknown>;
        const waiter = this.#pending.shift();
        if (typeof reply.error === "string") waiter?.reject(new Error(reply.error));
        else waiter?.resolve(reply);
      }
    });
    this.#child.stderr!.setEncoding("utf8");
    this.#child.stderr!.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-2000);
    });
    const fail = (why: string) => {
      for (const waiter of this.#pending.splice(0)) {
        waiter.reject(new Error(`${python} ${script}: ${why}\n${this.#stderr.trim()}`));
      }
    };
    this.#child.on("error", (error) => fail(error.message));
    this.#child.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
  }

  #request(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#child.stdin!.write(JSON.stringify(request) + "\n");
    });
  }

  /** Versions, BLAS, conv backend and the relevant environment of the subprocess. */
  async info(): Promise<TorchInfo> {
    return (await this.#request({ op: "info" })) as unknown as TorchInfo;
  }

  /**
   * Builds model `id` (`spec` as nn.Sequential), SGD(lr, momentum) and random inputs
   * [batch, ...shape]; with `text`, random token windows and its optimizer instead.
   */
  async setup(
    id: string,
    workload: { spec: ModelSpec; shape: number[]; batch: number; text?: TextWorkload },
    lr: number,
    momentum: number,
  ): Promise<void> {
    const { spec, shape, batch, text } = workload;
    const textRequest = text === undefined ? {} : {
      text: { vocabSize: text.vocabSize, blockSize: text.blockSize, optimizer: text.optimizer },
    };
    await this.#request({ op: "setup", id, spec, shape, batch, lr, momentum, ...textRequest });
  }

  /**
   * Samples/s of training steps on `threads` threads over at least `seconds` (one step when
   * 0), and the OpenBLAS thread count used (null when the BLAS is not OpenBLAS).
   */
  async round(
    id: string,
    threads: number,
    seconds: number,
  ): Promise<{ samplesPerSecond: number; blasThreads: number | null }> {
    const reply = await this.#request({ op: "round", id, threads, seconds });
    return reply as unknown as { samplesPerSecond: number; blasThreads: number | null };
  }

  /** Ends the subprocess (end of its input). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return resolve();
      this.#child.once("exit", () => resolve());
      this.#child.stdin!.end();
    });
  }
}
