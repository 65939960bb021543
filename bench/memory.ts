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
 * Per-epoch samples/s and RSS are printed too (long-run stability: many short epochs), with
 * measures that tell a slow epoch of the machine from slow code: the CPU time the hypervisor
 * stole in it (/proc/stat); two canaries, run by this process every 250 ms: a fixed loop over
 * 4 kB in cache (core) and a read of 32 MB (memory), each as the median over the epoch of the
 * CPU time it took (this process's user + system time: a core shared with another machine's
 * thread or a busier memory bus raise it, waiting for a core does not); and the CPU seconds
 * of the child's threads by name (Deno's workers are worker-1, worker-2; V8's helper
 * threads, which run its concurrent garbage collection, V8 DefaultWorke).
 */

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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
/** The canary's 4 kB (see {@linkcode canary}). */
const canaryData = Float64Array.from({ length: 512 }, (_, i) => Math.sin(i));
/** The memory canary's 32 MB, written so that its pages are real (not the shared zero page). */
const memoryCanaryData = new Float64Array(4 << 20).fill(1);

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
  const epochs: {
    epoch: number;
    sps: number;
    rss: number;
    seconds: number;
    cpu: number;
    steal: number;
    canary: number;
    memoryCanary: number;
    threads: Map<string, number>;
  }[] = [];
  let cpuBefore = 0;
  let stealBefore = stolenSeconds();
  let [coreTimes, memoryTimes]: number[][] = [[], []];
  let threadsBefore = new Map<string, number>();
  const canaryTimer = setInterval(() => {
    coreTimes.push(cpuMs(canary));
    memoryTimes.push(cpuMs(memoryCanary));
  }, 250);
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
        const cpu = cpuSeconds(target), steal = stolenSeconds(), threads = threadSeconds(target);
        epochs.push({
          epoch: +event.epoch,
          sps: +event.samplesPerSecond,
          rss,
          seconds: +event.seconds,
          cpu: cpu - cpuBefore,
          steal: steal - stealBefore,
          canary: median(coreTimes),
          memoryCanary: median(memoryTimes),
          threads: new Map(
            [...threads].map(([name, seconds]) => [name, seconds - (threadsBefore.get(name) ?? 0)]),
          ),
        });
        [cpuBefore, stealBefore, coreTimes, memoryTimes] = [cpu, steal, [], []];
        threadsBefore = threads;
        phase = +event.epoch + 1 >= Number(values.epochs) + 1 ? "eval" : "steady";
      }
    }
  });
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  clearInterval(timer);
  clearInterval(canaryTimer);
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
    `\n| epoch | samples/s | seconds | CPU s (all threads, with its test pass) | RSS at its end (MB) | stolen CPU s | canaries: core, memory (CPU ms, median) | CPU s by thread |`,
  );
  console.log(`|---:|---:|---:|---:|---:|---:|---:|---|`);
  for (const e of epochs) {
    console.log(
      `| ${e.epoch} | ${e.sps.toFixed(1)} | ${e.seconds.toFixed(1)} | ${e.cpu.toFixed(1)} | ${
        (e.rss * MB).toFixed(0)
      } | ${e.steal.toFixed(1)} | ${e.canary.toFixed(3)}, ${e.memoryCanary.toFixed(3)} | ${
        [...e.threads].filter(([, s]) => s >= 0.1).map(([n, s]) => `${n} ${s.toFixed(1)}`)
          .join(", ")
      } |`,
    );
  }
  if (epochs.length > 2) {
    const spread = (values: number[]) =>
      `${(100 * Math.min(...values) / median(values)).toFixed(1)}%`;
    // Epoch 1 is left out of the CPU figure: it holds JIT warm-up and the first allocations.
    console.log(
      `slowest epoch: ${spread(epochs.map((e) => e.sps))} of the median samples/s; by CPU time ` +
        `per epoch (epochs 2+, what other processes barely move): ${
          spread(epochs.slice(1).map((e) => 1 / e.cpu))
        }; correlation of epoch seconds with the core canary ${
          correlation(epochs.map((e) => e.seconds), epochs.map((e) => e.canary)).toFixed(2)
        }, with the memory canary ${
          correlation(epochs.map((e) => e.seconds), epochs.map((e) => e.memoryCanary)).toFixed(2)
        }`,
    );
    // The criterion's "quiet machine": the epochs whose core canary ran within 5% of the run's
    // fastest, i.e. while no other machine's work slowed this one's cores.
    const fastest = Math.min(...epochs.map((e) => e.canary));
    const quiet = epochs.filter((e) => e.canary <= 1.05 * fastest);
    console.log(
      `epochs on a quiet machine (core canary within 5% of its fastest): ${quiet.length} of ${epochs.length} (${
        quiet.map((e) => e.epoch).join(", ")
      }), slowest ${spread(quiet.map((e) => e.sps))} of their median samples/s`,
    );
  }
}

/** `--v8-flags=…` for Deno when `--deno-v8-flags` is given. */
function denoFlags(): string[] {
  return values["deno-v8-flags"] ? [`--v8-flags=${values["deno-v8-flags"]}`] : [];
}

/** Seconds the hypervisor ran something else while this machine's CPUs wanted to run (all CPUs). */
function stolenSeconds(): number {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    return Number(cpu[8]) / 100; // "cpu user nice system idle iowait irq softirq steal …", 100 Hz ticks
  } catch {
    return NaN;
  }
}

/** Milliseconds of this process's CPU time (user + system) that `run` took. */
function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

/** Pearson's correlation coefficient of two equally long series. */
function correlation(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((sum, x) => sum + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/** A fixed loop over 4 kB (about 2 ms on the project's machine). */
function canary(): void {
  // Four independent sums, so the loop is bound by the core's throughput as the kernels are.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let round = 0; round < 8000; round++) {
    for (let i = 0; i < canaryData.length; i += 4) {
      s0 += canaryData[i] * canaryData[(i * 7) & 511];
      s1 += canaryData[i + 1] * canaryData[(i * 7 + 7) & 511];
      s2 += canaryData[i + 2] * canaryData[(i * 7 + 14) & 511];
      s3 += canaryData[i + 3] * canaryData[(i * 7 + 21) & 511];
    }
  }
  if (s0 + s1 + s2 + s3 === 12345.678) console.log(s0); // keeps the loop from being optimized away
}

/** Reads 32 MB, more than this CPU's last-level cache share. */
function memoryCanary(): void {
  let s0 = 0, s1 = 0;
  const data = memoryCanaryData;
  for (let i = 0; i < data.length; i += 16) {
    s0 += data[i];
    s1 += data[i + 8];
  }
  if (s0 + s1 === 12345.678) console.log(s0);
}

/** CPU seconds of each thread name of process `pid` so far (threads of one name summed). */
function threadSeconds(pid: number): Map<string, number> {
  const seconds = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
      seconds.set(name, (seconds.get(name) ?? 0) + cpu);
    }
  } catch {
    // the process (or one thread) ended between the listing and the read
  }
  return seconds;
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
