/**
 * Import by URL: the repository is served over loopback HTTP by scripts/serve.ts and a separate Deno
 * process imports it from http://127.0.0.1:PORT/ — the core with no import map at
 * all, and mod.ts with a two-line import map (zod, comlink). Deno only: Bun does not
 * import modules over HTTP.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_DENO, ROOT, runProcess } from "./_run_cli.ts";
import { serveStatic } from "../../scripts/serve.ts";

const SKIP = IS_DENO ? false : "Bun cannot import modules by http:// URL; this is a Deno feature";

/** Serves the repository with scripts/serve.ts, the server the README tells users to run. */
function serveRepo(): Promise<{ server: Server; base: string }> {
  return serveStatic(ROOT).then(({ server, url }) => ({ server, base: url }));
}

/** Runs `source` as a Deno script in a fresh folder with its own DENO_DIR (no config, nothing cached). */
async function runDenoScript(
  source: string,
  importMap?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-url-"));
  try {
    await writeFile(join(dir, "main.ts"), source);
    const args = [
      "run",
      "--no-config",
      "--no-lock",
      "--allow-import=127.0.0.1",
      "--allow-net=127.0.0.1",
    ];
    if (importMap !== undefined) {
      await writeFile(
        join(dir, "import_map.json"),
        JSON.stringify({ imports: importMap }, null, 2),
      );
      args.push("--import-map=import_map.json");
    }
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    return await runProcess(deno, [...args, "main.ts"], {
      cwd: dir,
      timeoutMs: 120_000,
      env: { DENO_DIR: join(dir, "deno_dir") },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tiny MLP on two moons with the explicit forward/backward API; prints "accuracy <x>". */
function trainingScript(imports: string): string {
  return `${imports}
manualSeed(0);
const { x, y } = makeMoons(200, { noise: 0.1, rng: new Rng(0) });
const model = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 2));
const loss = new CrossEntropyLoss();
const optimizer = new Adam(model.parameters(), { lr: 0.05 });
for (let i = 0; i < 150; i++) {
  optimizer.zeroGrad();
  loss.forward(model.forward(x), y);
  model.backward(loss.backward());
  optimizer.step();
}
const logits = model.eval().forward(x).data;
let correct = 0;
for (let i = 0; i < y.length; i++) if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === y[i]) correct++;
console.log("accuracy " + correct / y.length);
`;
}

test(
  "the core imports by http:// URL with no import map and trains a tiny MLP",
  { skip: SKIP },
  async () => {
    const { server, base } = await serveRepo();
    try {
      const run = await runDenoScript(trainingScript([
        `import { manualSeed, Rng } from "${base}tensor/rng.ts";`,
        `import { Sequential } from "${base}layers/sequential.ts";`,
        `import { Linear } from "${base}layers/linear.ts";`,
        `import { ReLU } from "${base}layers/activation.ts";`,
        `import { CrossEntropyLoss } from "${base}losses/cross_entropy.ts";`,
        `import { Adam } from "${base}optim/adam.ts";`,
        `import { makeMoons } from "${base}data/synthetic.ts";`,
      ].join("\n")));
      assert.equal(run.code, 0, run.stderr);
      const accuracy = Number(/accuracy ([\d.]+)/.exec(run.stdout)?.[1]);
      assert.ok(accuracy > 0.95, `accuracy ${accuracy}\n${run.stdout}`);
    } finally {
      server.close();
    }
  },
);

const MOD_SKIP = SKIP ||
  (existsSync(join(ROOT, "mod.ts")) ? false : "the top-level mod.ts does not exist yet");

test("mod.ts imports by http:// URL with a two-line import map (zod, comlink) and trains", {
  skip: MOD_SKIP,
}, async () => {
  const { server, base } = await serveRepo();
  try {
    // The README's map points at npm: ("zod": "npm:zod@^4", "comlink": "npm:comlink@^4"); the test points at
    // the same packages served from node_modules so it needs no registry.
    const run = await runDenoScript(
      trainingScript(
        `import { Adam, CrossEntropyLoss, Linear, makeMoons, manualSeed, ReLU, Rng, Sequential } from "${base}mod.ts";`,
      ),
      {
        zod: `${base}node_modules/zod/index.js`,
        comlink: `${base}node_modules/comlink/dist/esm/comlink.mjs`,
      },
    );
    assert.equal(run.code, 0, run.stderr);
    const accuracy = Number(/accuracy ([\d.]+)/.exec(run.stdout)?.[1]);
    assert.ok(accuracy > 0.95, `accuracy ${accuracy}\n${run.stdout}`);
  } finally {
    server.close();
  }
});

test("scripts/serve.ts sends TypeScript as application/typescript, COOP/COEP, and nothing outside its folder", async () => {
  const { server, base } = await serveRepo();
  try {
    const ts = await fetch(`${base}layers/linear.ts`);
    assert.equal(ts.status, 200);
    assert.match(ts.headers.get("content-type") ?? "", /^application\/typescript/);
    assert.equal(ts.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(ts.headers.get("cross-origin-embedder-policy"), "require-corp");
    await ts.body?.cancel();
    const escape = await fetch(`${base}..%2F..%2Fetc%2Fpasswd`);
    assert.ok(escape.status === 403 || escape.status === 404, `status ${escape.status}`);
    await escape.body?.cancel();
    const missing = await fetch(`${base}no_such_file.ts`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    server.close();
  }
});
