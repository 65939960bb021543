/**
 * Child process for the concurrency test: `fetch_cached_child.ts <mirror> <name> <sha256> <cacheDir>`
 * calls fetchCached once and prints "ok <bytes>" (or the error) to stdout.
 */

import process from "node:process";
import { fetchCached } from "../../data/fetch_cached.ts";

const [mirror, name, sha256, cacheDir] = process.argv.slice(-4);
try {
  const bytes = await fetchCached(name, {
    mirrors: [mirror],
    sha256,
    cacheDir,
    retries: 0,
    timeoutMs: 10_000,
  });
  console.log(`ok ${bytes.length}`);
} catch (error) {
  console.log(`error ${(error as Error).message}`);
  process.exitCode = 1;
}
