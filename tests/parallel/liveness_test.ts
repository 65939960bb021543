/**
 * Liveness of DataParallel: a worker that exits or loops in a call without a barrier
 * (evaluate, setData) fails the call promptly, naming it; a process paused longer than
 * the timeout (SIGSTOP/SIGCONT) goes on; close() ends a looping worker and the process
 * exits; a script that forgets close() exits; `await using` closes. The process-level
 * checks run fixtures/child_run.ts as a child process under the test's own runtime.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DataParallel, WorkerError } from "../../parallel/data_parallel.ts";
import type { TrainerConfig, VectorData } from "../../train/trainer.ts";
import { runProcess, runtimeCommand } from "../train/_run_cli.ts";

const CHILD = fileURLToPath(new URL("./fixtures/child_run.ts", import.meta.url));

function config(fixture: string, workers = 2): TrainerConfig {
  return {
    model: { moduleUrl: new URL(`./fixtures/${fixture}.ts`, import.meta.url).href },
    loss: { type: "cross_entropy" },
    optimizer: { type: "sgd", lr: 0.1 },
    seed: 0,
    workers,
  };
}

const DATA: VectorData = {
  kind: "vectors",
  x: new Float32Array(40).fill(0.5),
  shape: [10, 4],
  labels: new Int32Array(10),
};

/** Awaits `promise`, asserting a WorkerError naming `index` and matching `message` within `withinMs`; returns the time taken. */
async function timeToWorkerError(
  promise: Promise<unknown>,
  index: number,
  message: RegExp,
  withinMs: number,
): Promise<number> {
  const start = performance.now();
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WorkerError, `expected a WorkerError, got ${error}`);
    assert.equal(error.workerIndex, index);
    assert.match(error.message, new RegExp(`worker ${index} failed`));
    assert.match(error.message, message);
    return true;
  });
  const elapsed = performance.now() - start;
  assert.ok(elapsed < withinMs, `rejected after ${elapsed.toFixed(0)} ms, expected < ${withinMs}`);
  return elapsed;
}

test("DataParallel.evaluate() rejects at once with a WorkerError naming worker 1 when it exits mid-call", async () => {
  // timeoutMs 60 s: only the exit itself can make this prompt.
  const dp = await DataParallel.create(config("exit_eval_model"), { timeoutMs: 60_000 });
  try {
    await dp.setData("train", DATA);
    const ms = await timeToWorkerError(dp.evaluate("train"), 1, /the worker exited \(exit code 1\)/, 3000);
    console.log(`evaluate, worker exits: WorkerError after ${ms.toFixed(0)} ms`);
    assert.equal(dp.closed, true);
  } finally {
    await dp.close();
  }
});

test("DataParallel.setData() rejects at once with a WorkerError naming worker 1 after it exited between calls", async () => {
  const dp = await DataParallel.create(config("exit_idle_model"), { timeoutMs: 60_000 });
  try {
    const beat = dp.model.parameters()[2].data.data; // "1.beat", shared with the workers
    beat[1] = 1; // worker 1 exits from a timer once it sees this, and marks it 2
    const start = performance.now();
    while (beat[1] !== 2 && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 5));
    const ms = await timeToWorkerError(dp.setData("train", DATA), 1, /the worker exited/, 3000);
    console.log(`setData, worker exited: WorkerError after ${ms.toFixed(0)} ms`);
  } finally {
    await dp.close();
  }
});

test("DataParallel.evaluate() rejects within its 1 s deadline when worker 1 loops forever, and close() ends the loop", async () => {
  const dp = await DataParallel.create(config("loop_eval_model"), { timeoutMs: 1000 });
  try {
    await dp.setData("train", DATA);
    const ms = await timeToWorkerError(dp.evaluate("train"), 1, /made no progress for 1000 ms/, 4000);
    assert.ok(ms >= 1000, `rejected after ${ms.toFixed(0)} ms, before the deadline`);
    console.log(`evaluate, worker loops: WorkerError after ${ms.toFixed(0)} ms (timeoutMs 1000)`);
  } finally {
    await dp.close();
  }
});

test("a child process whose worker loops in evaluate, and then one in a step, gets the errors, closes, and exits", async () => {
  const start = performance.now();
  const [command, args] = runtimeCommand(CHILD, ["loop"]);
  const run = await runProcess(command, args, { timeoutMs: 20_000 });
  const seconds = (performance.now() - start) / 1000;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /loop_eval: rejected after \d+ ms: .*evaluate: worker 1 failed: the worker made no progress for 1000 ms/);
  // In a step the waiting worker's barrier or the main thread's watchdog names it, whichever looks first.
  assert.match(run.stdout, /loop_step: rejected after \d+ ms: .*step: worker 1 failed: .*(made no progress for|did not arrive and made no progress within) 1000 ms/);
  assert.match(run.stdout, /closed\n$/);
  console.log(`child with looping workers: exited ${seconds.toFixed(1)} s after its start\n${run.stdout}`);
});

test("a child process stopped with SIGSTOP for 5 s (timeoutMs 2 s) and continued finishes its training", { timeout: 90_000 }, async () => {
  // A shell is the stopped process's parent (Deno's child_process busy-polls a stopped child of its own).
  const [command, args] = runtimeCommand(CHILD, ["pause"]);
  const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `
    out=$(mktemp); ${quoted} > "$out" 2>&1 & pid=$!
    until grep -q started "$out" || ! kill -0 $pid 2>/dev/null; do sleep 0.1; done
    sleep 1.5; kill -STOP $pid; sleep 5; kill -CONT $pid
    wait $pid; code=$?; cat "$out"; rm -f "$out"; exit $code`;
  const run = await runProcess("sh", ["-c", script], { timeoutMs: 90_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /started\ndone \d+ true\n$/);
});

test("a child process that never calls close() exits when its work is done", async () => {
  const start = performance.now();
  const [command, args] = runtimeCommand(CHILD, ["forget"]);
  const run = await runProcess(command, args, { timeoutMs: 20_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "done true\n");
  console.log(`child without close(): exited ${((performance.now() - start) / 1000).toFixed(1)} s after its start`);
});

test("`await using` closes a DataParallel at the end of its block (child process)", async () => {
  const [command, args] = runtimeCommand(CHILD, ["dispose"]);
  const run = await runProcess(command, args, { timeoutMs: 20_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "open false\nclosed true\n");
});
