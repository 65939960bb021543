/** Benchmark helpers: which runtime is running, the command line, a best-of-N timer and a full collection. */

interface RuntimeGlobals {
  Deno?: { version: { deno: string; v8: string }; args: string[]; mainModule: string };
  Bun?: { version: string; argv: string[] };
}

/** "Deno 2.9.6 (V8 15.0)" or "Bun 1.4.5", from whichever runtime global exists. */
export function runtimeName(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return `Bun ${g.Bun.version}`;
  if (g.Deno) return `Deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8})`;
  return "unknown runtime";
}

/** The command line that started this benchmark, as a user would type it. */
export function commandLine(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return ["bun", ...g.Bun.argv.slice(1).map(relative)].join(" ");
  if (g.Deno) return ["deno run -A", relative(g.Deno.mainModule), ...g.Deno.args].join(" ");
  return "?";
}

function relative(path: string): string {
  const cwd = (globalThis as { Deno?: { cwd(): string } }).Deno?.cwd() ??
    (globalThis as { process?: { cwd(): string } }).process?.cwd() ?? "";
  const plain = path.replace(/^file:\/\//, "");
  return cwd && plain.startsWith(cwd + "/") ? plain.slice(cwd.length + 1) : plain;
}

/**
 * Best (smallest) wall time in ms of `fn` over `runs` runs, after warming up for at least
 * `warmupMs` (and at least one call) so every runtime's optimizing JIT has kicked in.
 */
export function bestMs(fn: () => void, runs: number, warmupMs = 150): number {
  const warmupEnd = performance.now() + warmupMs;
  do fn(); while (performance.now() < warmupEnd);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** A full collection where the runtime offers one (Bun.gc, or gc() under --v8-flags=--expose-gc). */
export function collectGarbage(): void {
  const g = globalThis as { Bun?: { gc(sync: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}
