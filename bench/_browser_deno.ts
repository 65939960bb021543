/**
 * shardgrad with 2 workers under Deno for bench/browser.ts, in a child process: run as a
 * script it creates bench/_contenders.ts's shardgrad contender on a bench/_workloads.ts
 * workload, times rounds and closes it on JSON-line requests from stdin (`{"op": "create",
 * "key": "lenet"}`, `{"op": "round", "seconds": 1}`, `{"op": "close"}`), answering each on
 * stdout (`{"ok": true}`, `{"sps": 6424.1}`, or `{"error": "..."}`); `DenoChild` starts it and
 * sends the requests, so the driver interleaves its rounds with the page's.
 */

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Contender, shardgrad } from "./_contenders.ts";
import { COMPARE_WORKLOADS } from "./_workloads.ts";
import { collectGarbage } from "./_runtime.ts";

// The driver runs under Deno; under another runtime the project's own Deno binary.
const DENO = "Deno" in globalThis
  ? process.execPath
  : fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));

/** This script in a Deno child process, one request at a time. */
export class DenoChild {
  #child = spawn(DENO, ["run", "-A", "--v8-flags=--expose-gc", fileURLToPath(import.meta.url)], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: ["pipe", "pipe", "inherit"],
  });
  #lines = createInterface({ input: this.#child.stdout! })[Symbol.asyncIterator]();

  async send(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.#child.stdin!.write(JSON.stringify(request) + "\n");
    for (;;) {
      const next = await this.#lines.next();
      if (next.done) {
        throw new Error(
          `the Deno child exited (code ${this.#child.exitCode}) during ${JSON.stringify(request)}`,
        );
      }
      if (!next.value.startsWith("{")) continue; // anything else it prints is not an answer
      const answer = JSON.parse(next.value) as Record<string, unknown>;
      if ("error" in answer) throw new Error(`the Deno child: ${answer.error}`);
      return answer;
    }
  }

  end(): void {
    this.#child.stdin!.end();
  }
}

/** The Deno side: shardgrad contenders driven by JSON lines on stdin, answered on stdout. */
async function serve(): Promise<void> {
  let current: Contender | null = null;
  for await (const line of createInterface({ input: process.stdin })) {
    let answer: Record<string, unknown>;
    try {
      const request = JSON.parse(line) as { op: string; key?: string; seconds?: number };
      if (request.op === "create") {
        const workload = COMPARE_WORKLOADS.find((w) => w.key === request.key);
        if (workload === undefined) throw new RangeError(`unknown workload "${request.key}"`);
        current = await shardgrad(workload, 2);
        answer = { ok: true };
      } else if (request.op === "round" && current !== null) {
        collectGarbage();
        answer = { sps: await current.round(Number(request.seconds)) };
      } else if (request.op === "close" && current !== null) {
        await current.close();
        current = null;
        answer = { ok: true };
      } else throw new Error(`unexpected request ${line} (contender created: ${current !== null})`);
    } catch (error) {
      answer = { error: String((error as Error).stack ?? error) };
    }
    console.log(JSON.stringify(answer));
  }
  await current?.close();
}

if (import.meta.main) await serve();
