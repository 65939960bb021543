/**
 * DataParallel imported by http:// URL (Deno): the workers start from a served module
 * (node:worker_threads takes only file: URLs, so the pool starts them through an
 * evaluated dynamic import) and train. Bun does not import modules over HTTP.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_DENO, ROOT, runProcess } from "../train/_run_cli.ts";
import { serveStatic } from "../../scripts/serve.ts";

const SKIP = IS_DENO ? false : "Bun cannot import modules by http:// URL; this is a Deno feature";

test("DataParallel from mod.ts by http:// URL trains on 2 workers and closes", { skip: SKIP, timeout: 120_000 }, async () => {
  const { server, url: base } = await serveStatic(ROOT);
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-dp-url-"));
  try {
    await writeFile(
      join(dir, "import_map.json"),
      JSON.stringify({
        imports: {
          zod: `${base}node_modules/zod/index.js`,
          comlink: `${base}node_modules/comlink/dist/esm/comlink.mjs`,
        },
      }),
    );
    await writeFile(
      join(dir, "main.ts"),
      `import { DataParallel } from "${base}mod.ts";
const dp = await DataParallel.create({
  model: { layers: [{ type: "linear", inFeatures: 2, outFeatures: 2 }] },
  loss: { type: "cross_entropy" }, optimizer: { type: "sgd", lr: 0.1 }, seed: 0, workers: 2,
});
await dp.setData("train", { kind: "vectors", x: new Float32Array([0, 1, 1, 0]), shape: [2, 2], labels: new Int32Array([1, 0]) });
const { loss } = await dp.step(new Int32Array([0, 1]));
await dp.close();
console.log("loss " + loss);
`,
    );
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    const args = ["run", "--no-config", "--no-lock", "--allow-import=127.0.0.1", "--allow-net=127.0.0.1"];
    const run = await runProcess(deno, [...args, "--import-map=import_map.json", "main.ts"], {
      cwd: dir,
      timeoutMs: 120_000,
      env: { DENO_DIR: join(dir, "deno_dir") },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^loss 0\.\d+\n$/);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
