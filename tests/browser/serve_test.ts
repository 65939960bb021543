/**
 * scripts/serve.ts, the pages' static server: COOP/COEP on every response unless
 * `isolation: false`, the mirror folder under /data/, nothing outside either folder, and
 * loud errors for a mirror that is not a folder or an unknown option.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { serveStatic } from "../../scripts/serve.ts";

function folders(): { root: string; mirror: string; cleanup(): void } {
  const top = mkdtempSync(join(tmpdir(), "serve-"));
  const root = join(top, "root"), mirror = join(top, "mirror");
  mkdirSync(root);
  mkdirSync(mirror);
  writeFileSync(join(root, "page.html"), "<p>page</p>");
  writeFileSync(join(root, "secret.txt"), "root file");
  writeFileSync(join(mirror, "train.gz"), new Uint8Array([31, 139, 8]));
  writeFileSync(join(top, "outside.txt"), "outside");
  return { root, mirror, cleanup: () => rmSync(top, { recursive: true, force: true }) };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections(); // keep-alive connections would hold close() open
  await new Promise((done) => server.close(done));
}

test("serveStatic sends COOP/COEP and serves the mirror under /data/", async () => {
  const dirs = folders();
  const { server, url } = await serveStatic(dirs.root, 0, { mirror: dirs.mirror });
  try {
    const page = await fetch(`${url}page.html`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(await page.text(), "<p>page</p>");
    const data = await fetch(`${url}data/train.gz`);
    assert.equal(data.status, 200);
    assert.deepEqual(new Uint8Array(await data.arrayBuffer()), new Uint8Array([31, 139, 8]));
    assert.equal(data.headers.get("cross-origin-embedder-policy"), "require-corp");
    // /data/ is the mirror, not the root's files; escapes from either folder are refused.
    assert.equal((await fetch(`${url}data/secret.txt`)).status, 404);
    // "%2f" is no separator to fetch's URL parser, so the server sees "/data/../outside.txt".
    assert.equal((await fetch(`${url}data/..%2foutside.txt`)).status, 403);
    assert.equal((await fetch(`${url}..%2foutside.txt`)).status, 403);
  } finally {
    await close(server);
    dirs.cleanup();
  }
});

test("serveStatic with isolation: false sends no COOP/COEP, and without a mirror /data/ is the root's", async () => {
  const dirs = folders();
  const { server, url } = await serveStatic(dirs.root, 0, { isolation: false });
  try {
    const page = await fetch(`${url}page.html`);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    assert.equal(page.headers.get("cross-origin-opener-policy"), null);
    assert.equal(page.headers.get("cross-origin-embedder-policy"), null);
    assert.equal((await fetch(`${url}data/train.gz`)).status, 404);
  } finally {
    await close(server);
    dirs.cleanup();
  }
});

test("serveStatic rejects a mirror that is not a folder and unknown options, naming them", async () => {
  const dirs = folders();
  try {
    await assert.rejects(
      serveStatic(dirs.root, 0, { mirror: join(dirs.mirror, "train.gz") }),
      /Cannot run serveStatic: the mirror .*train\.gz is not a folder/,
    );
    await assert.rejects(
      serveStatic(dirs.root, 0, { mirorr: dirs.mirror } as never),
      /mirorr.*mirror/,
    );
  } finally {
    dirs.cleanup();
  }
});
