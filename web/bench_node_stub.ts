/**
 * What the benchmark page's bundle gets for `node:fs` and `node:util` (esbuild --alias in
 * package.json's build:web): bench/_workloads.ts and bench/_contenders.ts import
 * bench/data_parallel_bench.ts for its workloads and random images, whose command line
 * (parseArgs, /proc/loadavg) never runs in the page. Anything that does call these throws,
 * naming the call, instead of the page failing to load on a `node:` import.
 */

/** Throws: there is no file system in the page. */
export function readFileSync(path: unknown): never {
  throw new Error(`readFileSync(${String(path)}): no node:fs in the browser benchmark page`);
}

/** Throws: there is no command line in the page. */
export function parseArgs(): never {
  throw new Error("parseArgs(): no node:util (no command line) in the browser benchmark page");
}
