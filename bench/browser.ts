/**
 * The browser benchmark: bench/compare.ts's image workloads (the `mlp` preset, the `lenet`
 * CNN, the CIFAR CNN; same contenders, bench/_contenders.ts) trained in headless Chromium
 * (web/bench.html, served cross-origin isolated by scripts/serve.ts): shardgrad's
 * DataParallel on 1 and 2 module Web Workers next to TensorFlow.js on the cpu, wasm, webgl
 * and webgpu backends in the same page, and shardgrad with 2 workers under Deno in a child
 * process (bench/_browser_deno.ts, the same contender code): samples/s as one markdown
 * table, with the targets for lenet: the page with 2 workers ≥ 0.8× Deno with 2
 * workers, and ≥ 50× the fastest TF.js backend that trains it.
 *
 *   deno run -A bench/browser.ts [--rounds 3] [--seconds 1] [--only lenet,mlp]
 *                                [--chromium /usr/bin/chromium]
 *
 * It builds the bundles first (npm run build:web). Every contender (the Deno child's
 * included) is warmed up, then timed in `rounds` interleaved rounds of at least `seconds`
 * with a full collection before each, so a burst of load from other processes hits all
 * alike; cells are the best round and the range of all rounds. A contender whose warm-up
 * step takes longer than SLOW_STEP_S is timed on one more step (or on that one, when it took
 * over a minute). Headless Chromium has no GPU here: WebGL2 is ANGLE on SwiftShader and
 * WebGPU (--enable-unsafe-webgpu) SwiftShader's adapter, both on the CPU; the header line
 * names the renderer and adapter that ran.
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import puppeteer, { type Page } from "puppeteer-core";
import { serveStatic } from "../scripts/serve.ts";
import { SLOW_STEP_S } from "./_contenders.ts";
import { COMPARE_WORKLOADS, type CompareWorkload } from "./_workloads.ts";
import { commandLine, runtimeName } from "./_runtime.ts";
import { DenoChild } from "./_browser_deno.ts";
import type { BenchEnvironment } from "../web/bench_api.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KEYS = ["mlp", "lenet", "cifar"];
/** The page's contenders (web/bench_page.ts KINDS), in table order. */
const PAGE_KINDS = [
  "shardgrad-1",
  "shardgrad-2",
  "tfjs-cpu",
  "tfjs-wasm",
  "tfjs-webgl",
  "tfjs-webgpu",
];
const DENO_NAME = "Deno: shardgrad 2 workers";
/** A slow contender's first step longer than this is its timing: no second step. */
const LONGEST_SECOND_STEP_S = 60;

/** One contender as the driver sees it: in the page, or in the Deno child. */
interface Timed {
  name: string;
  round(seconds: number): Promise<number>;
  close(): Promise<void>;
  rounds: number[];
  /** Timed on one step (slower than SLOW_STEP_S per step). */
  oneStep?: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "1" },
      only: { type: "string" },
      chromium: { type: "string", default: "/usr/bin/chromium" },
    },
  });
  const rounds = positive("--rounds", values.rounds, true);
  const seconds = positive("--seconds", values.seconds, false);
  const only = (values.only ?? KEYS.join(",")).split(",").map((s) => s.trim()).filter((s) => s);
  for (const key of only) {
    if (!KEYS.includes(key)) {
      throw new RangeError(
        `--only: unknown workload "${key}" (expected some of ${KEYS.join(", ")})`,
      );
    }
  }
  const workloads = COMPARE_WORKLOADS.filter((w) => only.includes(w.key));

  const build = spawnSync("npm", ["run", "--silent", "build:web"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error(`npm run build:web failed (exit ${build.status})`);
  const served = await serveStatic(ROOT, 0);
  const browser = await puppeteer.launch({
    executablePath: values.chromium,
    headless: true,
    protocolTimeout: 900_000, // TF.js cpu takes minutes for one CIFAR step on a loaded machine
    args: [
      "--no-sandbox",
      "--disable-dev-shm-usage",
      "--enable-unsafe-webgpu",
      "--js-flags=--expose-gc",
    ],
  });
  const child = new DenoChild();
  const started = performance.now();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`));
    await page.goto(`${served.url}web/bench.html`, { waitUntil: "load" });
    await page.waitForFunction(() => "shardgradBench" in globalThis, { timeout: 60_000 })
      .catch((error) => {
        throw new Error(`web/bench.html did not start: ${errors.join("; ") || error.message}`);
      });
    const env = await call<BenchEnvironment>(page, "environment");
    if (!env.crossOriginIsolated) {
      throw new Error(`web/bench.html is not cross-origin isolated (served at ${served.url})`);
    }
    console.log(`# shardgrad in headless Chromium vs TensorFlow.js, and vs shardgrad under Deno\n`);
    console.log(
      `\`${commandLine()}\` (driver on ${runtimeName()}); ${await browser.version()}, ` +
        `${env.hardwareConcurrency} cores, crossOriginIsolated ${env.crossOriginIsolated}; ` +
        `load average before: ${loadAverage()}`,
    );
    console.log(
      `page: shardgrad ${env.kernels}; WebAssembly threads ${env.wasmThreads}; ` +
        `TF.js ${env.tfjs} (wasm backend: ${env.tfjsWasm}); WebGL2 renderer: ${env.webgl2}; ` +
        `WebGPU: ${env.webgpu}\n`,
    );
    const names: string[] = [];
    const results = new Map<string, Map<string, Timed>>();
    const notes: string[] = [];
    for (const workload of workloads) {
      const contenders: Timed[] = [];
      for (const kind of PAGE_KINDS) {
        try {
          const name = await call<string>(page, "create", workload.key, kind);
          contenders.push({
            name,
            rounds: [],
            round: (s) => call<number>(page, "round", name, s),
            close: () => call<void>(page, "close", name),
          });
        } catch (error) {
          notes.push(`${kind} on the ${workload.name}: ${firstLine(error)}`);
        }
      }
      await child.send({ op: "create", key: workload.key });
      contenders.push({
        name: DENO_NAME,
        rounds: [],
        round: async (s) => (await child.send({ op: "round", seconds: s })).sps as number,
        close: async () => void await child.send({ op: "close" }),
      });
      const timed = await measure(workload, contenders, rounds, seconds, notes);
      results.set(workload.key, new Map(timed.map((c) => [c.name, c])));
      for (const c of timed) if (!names.includes(c.name)) names.push(c.name);
      console.error(
        `(${workload.name} done, ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
    if (errors.length > 0) notes.push(`page errors: ${errors.join("; ")}`);
    printTable(workloads, names, results);
    printTargets(results.get("lenet"));
    if (notes.length > 0) console.log(`\nn/a or one step: ${notes.join("; ")}`);
    console.log(
      `\nload average after (this run included): ${loadAverage()}; ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    child.end();
    await browser.close();
    served.server.closeAllConnections();
    await new Promise((done) => served.server.close(done));
  }
}

/** Warm-up (one step; then a short round unless that step was slow), then interleaved rounds. */
async function measure(
  workload: CompareWorkload,
  contenders: Timed[],
  rounds: number,
  seconds: number,
  notes: string[],
): Promise<Timed[]> {
  const going: Timed[] = [];
  try {
    for (const c of contenders) {
      try {
        const sps = await c.round(0);
        const stepSeconds = workload.batch / sps;
        if (stepSeconds > SLOW_STEP_S) {
          // The first step of TF.js webgl/webgpu compiles its shaders: a second step is what
          // training costs, unless the first took so long that a second would not change
          // the picture.
          const again = stepSeconds > LONGEST_SECOND_STEP_S ? null : await c.round(0);
          c.rounds.push(again ?? sps);
          c.oneStep = true;
          notes.push(
            `${c.name} on the ${workload.name}: ` +
              (again === null
                ? `timed on its first step (${stepSeconds.toFixed(0)} s)`
                : `timed on its second step (first ${stepSeconds.toFixed(0)} s)`),
          );
        } else {
          await c.round(Math.min(seconds, 0.3));
          going.push(c);
        }
      } catch (error) {
        // e.g. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: it cannot train a CNN.
        notes.push(`${c.name} on the ${workload.name}: ${firstLine(error)}`);
      }
    }
    // Each round starts one contender further on, so that none always follows the same one
    // (TF.js webgl's GPU process, say, may still be busy when its step has returned).
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < going.length; i++) {
        const c = going[(r + i) % going.length];
        c.rounds.push(await c.round(seconds));
      }
    }
  } finally {
    for (const c of contenders) await c.close();
  }
  return contenders.filter((c) => c.rounds.length > 0);
}

function printTable(
  workloads: CompareWorkload[],
  names: string[],
  results: Map<string, Map<string, Timed>>,
): void {
  console.log(`| samples/s: best (range) | ${names.join(" | ")} |`);
  console.log(`|---|${names.map(() => "---:").join("|")}|`);
  for (const w of workloads) {
    const row = names.map((name) => {
      const c = results.get(w.key)?.get(name);
      if (c === undefined) return "n/a";
      const [lo, hi] = [Math.min(...c.rounds), Math.max(...c.rounds)];
      return c.oneStep ? `${rate(hi)} (1 step)` : `${rate(hi)} (${rate(lo)}–${rate(hi)})`;
    });
    console.log(`| ${w.name}, batch ${w.batch} | ${row.join(" | ")} |`);
  }
}

/** The two lenet targets, on the best rounds (and on the medians, as a check). */
function printTargets(lenet: Map<string, Timed> | undefined): void {
  if (lenet === undefined) return;
  const ours = lenet.get("shardgrad 2 workers")?.rounds;
  const deno = lenet.get(DENO_NAME)?.rounds;
  const tfjs = [...lenet.values()].filter((c) => c.name.startsWith("TF.js"));
  if (ours === undefined) return void console.log("\nlenet targets: n/a (no page 2-worker result)");
  const line = (what: string, a: number[], b: number[], target: number) => {
    const best = Math.max(...a) / Math.max(...b);
    const med = median(a) / median(b);
    return `| ${what} | ${best.toFixed(2)}× | ${med.toFixed(2)}× | ≥ ${target}× | ${
      best >= target ? "met" : "missed"
    } |`;
  };
  console.log(`\n| lenet target | best ÷ best | median ÷ median | target | verdict |`);
  console.log(`|---|---:|---:|---:|---|`);
  if (deno !== undefined) console.log(line("page 2 workers ÷ Deno 2 workers", ours, deno, 0.8));
  if (tfjs.length > 0) {
    const fastest = tfjs.reduce((a, b) => (Math.max(...a.rounds) >= Math.max(...b.rounds) ? a : b));
    console.log(line(`page 2 workers ÷ ${fastest.name} (fastest TF.js)`, ours, fastest.rounds, 50));
  }
}

function call<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    (m, a) => {
      const g = globalThis as unknown as {
        gc?: () => void;
        shardgradBench: Record<string, (...x: unknown[]) => unknown>;
      };
      if (m === "round") g.gc?.(); // a full collection before each round, as compare.ts does
      return g.shardgradBench[m](...a);
    },
    method,
    args,
  ) as Promise<T>;
}

function positive(flag: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new RangeError(
      `${flag}: expected a positive ${integer ? "integer" : "number"}, got "${text}"`,
    );
  }
  return n;
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (x: number) => x.toFixed(x < 10 ? 1 : 0);
const firstLine = (error: unknown) => String((error as Error).message ?? error).split("\n")[0];

if (import.meta.main) await main();
