/**
 * Child process for the bounded-download tests: `measured_fetch_child.ts <json>`, where the JSON
 * is `{ name, options, settleMs }`, runs `fetchCached(name, options)` under {@link measure} and
 * prints one JSON line `{ error: { name, message } | null, ms, rssMiB, arrayBuffersMiB }`.
 * The memory is measured here, in a process that runs nothing but this one download: a test
 * runner's RSS is shared with every test module it runs in parallel.
 */

import process from "node:process";
import { fetchCached, type FetchCachedOptions } from "../../data/fetch_cached.ts";
import { measure } from "./data_fixtures.ts";

const { name, options, settleMs } = JSON.parse(process.argv[process.argv.length - 1]) as {
  name: string;
  options: FetchCachedOptions;
  settleMs: number;
};
const r = await measure(() => fetchCached(name, options), settleMs);
const line = JSON.stringify({
  error: r.error ? { name: r.error.name, message: r.error.message } : null,
  ms: r.ms,
  rssMiB: r.rssMiB,
  arrayBuffersMiB: r.arrayBuffersMiB,
});
// Exit once the line is written: a cancelled body a runtime still holds must not keep the child
// alive (the parent closes the server only after the child is done).
process.stdout.write(`${line}\n`, () => process.exit(0));
