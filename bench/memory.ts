/**
 * Peak memory of train.ts per phase, under Deno and Bun (issue 16). Each run is
 * `/usr/bin/time -v <runtime> train.ts --json …` with a fresh private cache (so the load
 * phase includes gunzip, untar, verify and the cache writes); this script samples the
 * child's VmRSS/VmHWM (/proc) every 50 ms and splits the samples by train.ts's JSON
 * events: load (until "start"), epoch 1 (training + its test pass), steady (later epochs),
 * eval (after the last epoch). Worker threads share the process, so their memory is in it.
 * `--load-only` runs the dataset loader in this process instead and prints its
 * process.memoryUsage() (heap, external, array buffers) and VmHWM; `--workers-only` starts
 * `--workers` bare workers (the pool's entry, importing parallel/worker.ts, no model) in this
 * process and prints its RSS before and after: the runtime's own cost per worker.
 * `--deno-v8-flags F` runs Deno as `deno run --v8-flags=F` (e.g. `--expose-gc`, which lets the
 * workers' evaluation collect as Bun's does, parallel/_platform.ts collectGarbage).
 *
 *   deno run -A bench/memory.ts --dataset cifar10 --mirror /tmp/cifar_synth --limit-train 5000
 *   bun bench/memory.ts --dataset mnist --runtimes bun --epochs 3
 *   deno run -A bench/memory.ts --load-only --dataset cifar10 --mirror /tmp/cifar_synth
 *   bun bench/memory.ts --workers-only --workers 2
 *
 * Per-epoch samples/s and RSS are printed too (long-run stability: many short epochs).
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { runtimeName } from "./_runtime.ts";

const { values } = parseArgs({
  options: {
    dataset: { type: "string", default: "cifar10" },
    mirror: { type: "string" },
    model: { type: "string" },
    runtimes: { type: "string", default: "deno,bun" },
    epochs: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    "limit-train": { type: "string" },
    "limit-test": { type: "string" },
    "batch-size": { type: "string" },
    "load-only": { type: "boolean", default: false },
    "workers-only": { type: "boolean", default: false },
    "deno-v8-flags": { type: "string" },
  },
});
const MB = 1 / (1024 * 1024);

if (values["load-only"]) {
  await loadOnly();
} else if (values["workers-only"]) {
  await workersOnly(Number(values.workers));
} else {
  for (const runtime of values.runtimes.split(",")) await measure(runtime);
}

/** One train.ts run under `runtime`, sampled; prints the phase table and the per-epoch rows. */
async function measure(runtime: string): Promise<void> {
  const cache = await mkdtemp(join(tmpdir(), "shardgrad-mem-"));
  const timeFile = join(cache, "time.txt");
  const args = [
    "--dataset",
    values.dataset,
    "--epochs",
    values.epochs,
    "--workers",
    values.workers,
  ];
  if (values.mirror) args.push("--mirror", values.mirror);
  if (values.mirror && /^(cifar10|svhn)/.test(values.dataset)) args.push("--allow-unverified-data");
  if (values.model) args.push("--model", values.model);
  if (values["limit-train"]) args.push("--limit-train", values["limit-train"]);
  if (values["limit-test"]) args.push("--limit-test", values["limit-test"]);
  if (values["batch-size"]) args.push("--batch-size", values["batch-size"]);
  args.push("--json", "--out", join(cache, "run"));
  const bin = runtime === "bun" ? "node_modules/.bin/bun" : "node_modules/.bin/deno";
  const command = runtime === "bun"
    ? [bin, "train.ts", ...args]
    : [bin, "run", "-A", ...denoFlags(), "train.ts", ...args];
  console.log(`\n${runtime}: SHARDGRAD_CACHE=<fresh> ${command.join(" ")}`);
  const child = spawn("/usr/bin/time", ["-v", "-o", timeFile, ...command], {
    env: { ...process.env, SHARDGRAD_CACHE: join(cache, "cache") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const phases = new Map<string, { rss: number; hwm: number; from: number }>();
  const epochs: { epoch: number; sps: number; rss: number; seconds: number; cpu: number }[] = [];
  let cpuBefore = 0;
  let phase = "load";
  let target = 0; // pid of the runtime (time's child)
  let rss = 0;
  const t0 = performance.now();
  const note = (r: number, h: number) => {
    const p = phases.get(phase) ?? { rss: 0, hwm: 0, from: (performance.now() - t0) / 1000 };
    p.rss = Math.max(p.rss, r);
    p.hwm = Math.max(p.hwm, h);
    phases.set(phase, p);
  };
  const sample = async () => {
    if (!target) {
      const kids = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").catch(
        () => "",
      );
      target = Number(kids.trim().split(/\s+/)[0]) || 0;
      if (!target) return;
    }
    const status = await readFile(`/proc/${target}/status`, "utf8").catch(() => "");
    const kb = (key: string) =>
      Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    if (status) note(rss = kb("VmRSS"), kb("VmHWM"));
  };
  const timer = setInterval(sample, 50);
  let pending = "";
  child.stdout!.on("data", (chunk: Uint8Array) => {
    pending += new TextDecoder().decode(chunk);
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let event: Record<string, number | string>;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.event === "start") phase = "epoch 1";
      if (event.event === "epoch") {
        // CPU seconds of the whole process (all threads) since the last epoch: unlike wall
        // time, barely moved by other work on a shared machine.
        const cpu = cpuSeconds(target);
        epochs.push({
          epoch: +event.epoch,
          sps: +event.samplesPerSecond,
          rss,
          seconds: +event.seconds,
          cpu: cpu - cpuBefore,
        });
        cpuBefore = cpu;
        phase = +event.epoch + 1 >= Number(values.epochs) + 1 ? "eval" : "steady";
      }
    }
  });
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  clearInterval(timer);
  const time = await readFile(timeFile, "utf8").catch(() => "");
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(time)?.[1] ?? 0) * 1024;
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(time)?.[1] ?? "?";
  await rm(cache, { recursive: true, force: true });
  if (code !== 0) throw new Error(`train.ts under ${runtime} exited with ${code}`);
  console.log(`| phase | from (s) | max sampled RSS (MB) | peak RSS so far, VmHWM (MB) |`);
  console.log(`|---|---:|---:|---:|`);
  for (const [name, p] of phases) {
    console.log(
      `| ${name} | ${p.from.toFixed(1)} | ${(p.rss * MB).toFixed(0)} | ${
        (p.hwm * MB).toFixed(0)
      } |`,
    );
  }
  console.log(
    `| whole process (/usr/bin/time -v) | | | ${(peak * MB).toFixed(0)} (wall ${wall}) |`,
  );
  console.log(
    `\n| epoch | samples/s | seconds | CPU s (all threads, with its test pass) | RSS at its end (MB) |`,
  );
  console.log(`|---:|---:|---:|---:|---:|`);
  for (const e of epochs) {
    console.log(
      `| ${e.epoch} | ${e.sps.toFixed(1)} | ${e.seconds.toFixed(1)} | ${e.cpu.toFixed(1)} | ${
        (e.rss * MB).toFixed(0)
      } |`,
    );
  }
  if (epochs.length > 2) {
    const spread = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return `${(100 * sorted[0] / sorted[Math.floor(sorted.length / 2)]).toFixed(1)}%`;
    };
    // Epoch 1 is left out of the CPU figure: it holds JIT warm-up and the first allocations.
    console.log(
      `slowest epoch: ${spread(epochs.map((e) => e.sps))} of the median samples/s; by CPU time ` +
        `per epoch (epochs 2+, what other processes barely move): ${
          spread(epochs.slice(1).map((e) => 1 / e.cpu))
        }`,
    );
  }
}

/** `--v8-flags=…` for Deno when `--deno-v8-flags` is given. */
function denoFlags(): string[] {
  return values["deno-v8-flags"] ? [`--v8-flags=${values["deno-v8-flags"]}`] : [];
}

/** User + system CPU seconds of process `pid` so far (all its threads), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

/** Loads the dataset (train and test) in this process and prints its memory around it. */
async function loadOnly(): Promise<void> {
  const cache = await mkdtemp(join(tmpdir(), "shardgrad-mem-"));
  const show = async (label: string) => {
    const m = process.memoryUsage();
    const status = await readFile("/proc/self/status", "utf8").catch(() => "");
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    console.log(
      `| ${runtimeName()} | ${label} | ${(m.rss * MB).toFixed(0)} | ${hwm.toFixed(0)} | ` +
        `${(m.heapUsed * MB).toFixed(0)} | ${(m.external * MB).toFixed(0)} | ${
          ((m.arrayBuffers ?? 0) * MB).toFixed(0)
        } |`,
    );
  };
  const mirrors = values.mirror ? [values.mirror] : undefined;
  console.log(
    `| runtime | after | RSS (MB) | peak RSS (MB) | heap used (MB) | external (MB) | array buffers (MB) |`,
  );
  console.log(`|---|---|---:|---:|---:|---:|---:|`);
  await show("start");
  let keep: unknown[] = [];
  if (values.dataset === "cifar10") {
    const { cifar10 } = await import("../data/cifar10.ts");
    for (const [i, train] of [true, false, true].entries()) {
      keep.push(await cifar10({ train, mirrors, cacheDir: cache, allowUnverified: true }));
      await show(
        `${train ? "train" : "test"} ${i === 0 ? "(download, unpack, cache)" : "(cached)"}`,
      );
    }
  } else {
    const { mnist } = await import("../data/mnist.ts");
    for (const train of [true, false]) {
      keep.push(
        await mnist({ train, mirrors: mirrors ?? ["../shared/data/mnist"], cacheDir: cache }),
      );
      await show(train ? "train" : "test");
    }
  }
  keep = [];
  await rm(cache, { recursive: true, force: true });
  await show(`done (${keep.length})`);
}

/** Starts `count` bare pool workers in this process and prints the RSS they add. */
async function workersOnly(count: number): Promise<void> {
  const { Worker } = await import("node:worker_threads");
  const rss = async () =>
    Number(/VmRSS:\s+(\d+)/.exec(await readFile("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
  const before = await rss();
  const entry = new URL("../parallel/_worker_entry.js", import.meta.url);
  const workers = Array.from({ length: count }, () => new Worker(entry));
  // Each posts READY_MESSAGE once parallel/worker.ts is imported and listening.
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await rss();
  console.log(
    `| runtime | workers | RSS before (MB) | RSS with the workers (MB) | per worker (MB) |`,
  );
  console.log(`|---|---:|---:|---:|---:|`);
  console.log(
    `| ${runtimeName()} | ${count} | ${before.toFixed(0)} | ${after.toFixed(0)} | ${
      ((after - before) / Math.max(1, count)).toFixed(0)
    } |`,
  );
  await Promise.all(workers.map((w) => w.terminate()));
}
