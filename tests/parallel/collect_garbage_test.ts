import { test } from "node:test";
import assert from "node:assert/strict";
import { collectGarbage } from "../../parallel/_platform.ts";

type Scope = { Bun?: unknown; gc?: unknown };
const scope = globalThis as Scope;

/** Runs `body` with `globalThis.gc` set to `value`, restoring what was there. */
function withGc(value: unknown, body: () => void): void {
  const had = Object.prototype.hasOwnProperty.call(globalThis, "gc");
  const before = scope.gc;
  scope.gc = value;
  try {
    body();
  } finally {
    if (had) scope.gc = before;
    else delete scope.gc;
  }
}

test("collectGarbage() calls V8's gc() once when it is exposed (deno --v8-flags=--expose-gc), and Bun.gc instead under Bun", () => {
  let calls = 0;
  withGc(() => calls++, () => collectGarbage());
  // Bun's own collector runs under Bun; the V8 function is only for V8 runtimes.
  assert.equal(calls, scope.Bun === undefined ? 1 : 0);
});

test("collectGarbage() ignores a global gc that is not a function, and runs with none", () => {
  withGc(42, () => collectGarbage());
  withGc(undefined, () => collectGarbage());
});
