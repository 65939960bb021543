/**
 * shardgrad against PyTorch CPU, TensorFlow.js (cpu and wasm backends) and ConvNetJS on
 * three image workloads (the `mlp` preset and the `lenet` MNIST CNN, batch 64; the CIFAR
 * CNN, batch 128; SGD with momentum 0.9, lr 0.01, softmax cross-entropy) and two character
 * language models (train.ts's `char-lstm`, batch 32, and `char-gpt`, nanoGPT's CPU config,
 * batch 12, both 64 characters per window, 65-character vocabulary, the preset's AdamW):
 * training samples/s side by side (and tokens/s for the language models), shardgrad-with-
 * all-workers ÷ each library, and shardgrad ÷ PyTorch for 1 worker vs 1 thread and N
 * workers vs N threads against the issues' targets, as markdown tables. TF.js and ConvNetJS
 * run the image workloads only (see TEXT_NOT_RUN).
 *
 *   deno run -A bench/compare.ts [--rounds 3] [--seconds 1] [--only shardgrad,torch,lenet]
 *                                [--python /usr/bin/python3]
 *   bun bench/compare.ts ...
 *
 * `--only` takes library names (shardgrad, torch, tfjs, convnetjs) and workload names
 * (mlp, lenet, cifar, char-lstm, char-gpt); each kind left out means all of that kind. PyTorch runs in one
 * python3 subprocess (bench/_torch_bench.py, the first of `--python` or /usr/bin/python3,
 * python3 that imports torch), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in its
 * environment alone; without one the PyTorch columns are skipped with a line saying why.
 *
 * A step is forward + loss + backward + optimizer step on random inputs of the real
 * shapes; shardgrad trains as train.ts does, through DataParallel.trainSteps() in chunks
 * of 16 batches (4 for the CIFAR CNN). Each contender is warmed up, then timed in `rounds` rounds of at least
 * `seconds`, interleaved so a burst of load from other processes hits all of them alike;
 * the best round counts; a full collection runs before each round (always under Bun, under
 * Deno with --v8-flags=--expose-gc). Measure on an idle machine (see the load averages printed).
 */

import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
import { describeKernels } from "../tensor/kernels/mod.ts";
import { collectGarbage, commandLine, runtimeName } from "./_runtime.ts";
import {
  type Contender,
  convnet,
  LR,
  MOMENTUM,
  shardgrad,
  SLOW_STEP_S,
  tensorflow,
  torch,
} from "./_contenders.ts";
import { findTorchPython, TorchBench, torchEnv, UNSET_FOR_TORCH } from "./_torch.ts";
import { COMPARE_WORKLOADS, type CompareWorkload } from "./_workloads.ts";

const LIBRARIES = ["shardgrad", "torch", "tfjs", "convnetjs"] as const;
type Library = (typeof LIBRARIES)[number];

/** Why TF.js and ConvNetJS have no language-model rows, by workload key. */
const TEXT_NOT_RUN: Record<string, { tfjs: string; convnetjs: string }> = {
  "char-lstm": {
    tfjs: "not run: tf.layers has an LSTM, but a model equal to char-lstm (embedding, two stacked " +
      "LSTMs returning sequences, a dense layer on every step, AdamW) was not written for it",
    convnetjs: "not run: ConvNetJS has no embedding or recurrent layers",
  },
  "char-gpt": {
    tfjs: "not run: tf.layers exports no attention layer (tfjs 4.22; its MultiHeadAttention is internal)",
    convnetjs: "not run: ConvNetJS has no embedding or attention layers",
  },
};

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

/** Share of all cores' time spent busy over the next `ms` (from /proc/stat), e.g. "3%". */
async function cpuBusy(ms: number): Promise<string> {
  const sample = () => {
    const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1)
      .map(Number);
    return { total: ticks.reduce((a, b) => a + b, 0), idle: ticks[3] + ticks[4] };
  };
  try {
    const a = sample();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const b = sample();
    return `${(100 * (1 - (b.idle - a.idle) / (b.total - a.total))).toFixed(0)}%`;
  } catch {
    return "n/a";
  }
}

/** `--only` split into libraries and workloads; all of a kind when none of it is named. */
function parseOnly(
  only: string | undefined,
): { libraries: Set<Library>; workloads: CompareWorkload[] } {
  const names = (only ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s);
  const keys = COMPARE_WORKLOADS.map((w) => w.key as string);
  for (const name of names) {
    if (!(LIBRARIES as readonly string[]).includes(name) && !keys.includes(name)) {
      throw new RangeError(
        `--only: unknown name "${name}" (libraries: ${LIBRARIES.join(", ")}; workloads: ${
          keys.join(", ")
        })`,
      );
    }
  }
  const libraries = LIBRARIES.filter((l) => names.includes(l));
  const workloads = COMPARE_WORKLOADS.filter((w) => names.includes(w.key));
  return {
    libraries: new Set(libraries.length > 0 ? libraries : LIBRARIES),
    workloads: workloads.length > 0 ? workloads : COMPARE_WORKLOADS,
  };
}

/** Starts PyTorch's subprocess and prints what it runs on; null (and why) when unavailable. */
async function startTorch(python: string | undefined): Promise<TorchBench | null> {
  const found = findTorchPython(python ? [python] : ["/usr/bin/python3", "python3"]);
  if ("skipped" in found) {
    console.log(`PyTorch: skipped, no python3 with torch (${found.skipped})`);
    return null;
  }
  const bench = new TorchBench(found.python);
  const info = await bench.info();
  const env = torchEnv();
  const unset = UNSET_FOR_TORCH.map((k) => `${k}=${process.env[k] ?? "(unset)"}`);
  console.log(`PyTorch: ${info.torch} on Python ${info.python} (${info.executable})`);
  console.log(`PyTorch BLAS: ${info.blas}; matmul max |error| ${info.blasCheck.toExponential(1)}`);
  console.log(`PyTorch conv2d backend: ${info.conv}`);
  console.log(
    `PyTorch env: ${unset.join(", ")} here, unset for the PyTorch subprocess only; ` +
      `OPENBLAS_NUM_THREADS=${env.OPENBLAS_NUM_THREADS ?? "(unset)"}, OMP_NUM_THREADS=${
        env.OMP_NUM_THREADS ?? "(unset)"
      }; threads set per round by torch.set_num_threads and openblas_set_num_threads (below)`,
  );
  return bench;
}

/** Warms every contender up, then times `rounds` interleaved rounds; best samples/s by name. */
async function measure(
  workload: CompareWorkload,
  contenders: Contender[],
  rounds: number,
  seconds: number,
  notes: string[],
): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for (const contender of contenders) {
    try {
      // One step first: a contender this slow is timed on that step alone (TF.js cpu needs
      // seconds to minutes per batch; more rounds would not change the picture).
      const sps = await contender.round(0);
      if (workload.batch / sps > SLOW_STEP_S) {
        best.set(contender.name, sps);
        contender.unavailable = "";
        notes.push(`${contender.name} on the ${workload.name}: timed on one step`);
      } else {
        await contender.round(Math.min(seconds, 0.3)); // JIT, allocations
      }
    } catch (error) {
      // e.g. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: it cannot train a CNN.
      contender.unavailable = (error as Error).message.split("\n")[0];
      notes.push(`${contender.name} on the ${workload.name}: ${contender.unavailable}`);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const contender of contenders) {
      if (contender.unavailable !== undefined) continue;
      // The garbage of the previous contender (TF.js makes plenty) is collected now, not by a
      // collector thread that would compete for the 2 cores during this contender's round.
      collectGarbage();
      const sps = await contender.round(seconds);
      best.set(contender.name, Math.max(best.get(contender.name) ?? 0, sps));
    }
  }
  return best;
}

const times = (x: number) => `${x.toFixed(2)}×`;
const rate = (x: number) => x.toFixed(x < 10 ? 1 : 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "1" },
      only: { type: "string" },
      python: { type: "string" },
    },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const { libraries, workloads } = parseOnly(values.only);
  const all = navigator.hardwareConcurrency;
  const counts = all > 1 ? [1, all] : [1];
  const started = performance.now();
  console.log(
    `# shardgrad vs PyTorch, TensorFlow.js and ConvNetJS — ${runtimeName()}, ${all} cores, ` +
      `TF.js ${tf.version.tfjs}`,
  );
  console.log(
    `\`${commandLine()}\`; load average before: ${loadAverage()}; ` +
      `CPU busy over 1 s before: ${await cpuBusy(1000)}\n`,
  );
  console.log(
    `shardgrad kernels: ${describeKernels()} (main thread; each worker selects the same way)`,
  );
  const torchBench = libraries.has("torch") ? await startTorch(values.python) : null;
  console.log();

  const names: string[] = [];
  const rows: string[] = [];
  const pairs: string[] = [];
  const notes: string[] = [];
  const blasNotes: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n > 1 ? "s" : ""}`;
  try {
    for (const workload of workloads) {
      if (torchBench) await torchBench.setup(workload.key, workload, LR, MOMENTUM);
      const text = workload.text !== undefined;
      const contenders: Contender[] = [];
      if (libraries.has("shardgrad")) {
        for (const n of counts) contenders.push(await shardgrad(workload, n));
      }
      const blas: string[] = [];
      if (torchBench) {
        for (const n of counts) {
          contenders.push(torch(torchBench, workload.key, n, (b) => {
            blas[n] = `${n} → OpenBLAS ${b ?? "n/a"}`;
          }));
        }
      }
      if (libraries.has("tfjs") && !text) {
        contenders.push(await tensorflow(workload, "cpu"), await tensorflow(workload, "wasm"));
      } else if (libraries.has("tfjs")) {
        notes.push(`TF.js on the ${workload.name}: ${TEXT_NOT_RUN[workload.key].tfjs}`);
      }
      if (libraries.has("convnetjs") && !text) contenders.push(convnet(workload));
      else if (libraries.has("convnetjs")) {
        notes.push(`ConvNetJS on the ${workload.name}: ${TEXT_NOT_RUN[workload.key].convnetjs}`);
      }
      let best: Map<string, number>;
      try {
        best = await measure(workload, contenders, rounds, seconds, notes);
      } finally {
        for (const contender of contenders) await contender.close();
      }
      for (const contender of contenders) {
        if (!names.includes(contender.name)) names.push(contender.name);
      }
      if (blas.length > 0) blasNotes.push(`${workload.name}: ${blas.filter((b) => b).join(", ")}`);
      const sps = names.map((name) => best.get(name));
      const label = text
        ? `${workload.name}, batch ${workload.batch} × ${workload.shape[0]} tokens`
        : `${workload.name}, batch ${workload.batch}`;
      const cells = (format: (v: number) => string) =>
        sps.map((v) => (v === undefined ? "n/a" : format(v))).join(" | ");
      rows.push(`| ${label} | ${cells(rate)} |`);
      if (text) rows.push(`| (tokens/s) | ${cells((v) => rate(v * workload.shape[0]))} |`);
      const ours = best.get(`shardgrad ${plural(all, "worker")}`);
      if (ours !== undefined) {
        rows.push(`| shardgrad ${plural(all, "worker")} ÷ | ${cells((x) => times(ours / x))} |`);
      }
      const pairCells = counts.map((n, i) => {
        const s = best.get(`shardgrad ${plural(n, "worker")}`);
        const t = best.get(`PyTorch ${plural(n, "thread")}`);
        const target = workload.target ? [workload.target.one, workload.target.many][i] : null;
        if (s === undefined || t === undefined) return "n/a | —";
        const verdict = target === null
          ? "—"
          : `≥ ${times(target)}: ${s / t >= target ? "met" : "missed"}`;
        return `${times(s / t)} | ${verdict}`;
      });
      pairs.push(`| ${label} | ${pairCells.join(" | ")} |`);
    }
  } finally {
    await torchBench?.close();
  }
  if (names.length === 0) console.log("(nothing to run: no contender left)");
  else console.log(`| samples/s | ${names.join(" | ")} |`);
  if (names.length > 0) console.log(`|---|${names.map(() => "---:").join("|")}|`);
  if (names.length > 0) { for (const row of rows) console.log(row); }
  if (libraries.has("shardgrad") && torchBench) {
    const heads = counts.map((n) =>
      `shardgrad ${plural(n, "worker")} ÷ PyTorch ${plural(n, "thread")} | target`
    );
    console.log(`\n| workload | ${heads.join(" | ")} |`);
    console.log(`|---|${counts.map(() => "---:|---").join("|")}|`);
    for (const row of pairs) console.log(row);
  }
  if (blasNotes.length > 0) {
    console.log(
      `\nPyTorch threads → OpenBLAS threads (for N > 1 the faster of N and 1, chosen in warm-up): ` +
        blasNotes.join("; "),
    );
  }
  if (notes.length > 0) console.log(`\nn/a or one step: ${notes.join("; ")}`);
  console.log(
    `\nload average after (this run included): ${loadAverage()}; ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s`,
  );
}

if (import.meta.main) await main();
