/**
 * A small static file server for importing shardgrad by URL (and, later, for pages that
 * train in a browser). Deno imports a module by http:// only when the response's
 * Content-Type says JavaScript or TypeScript; `python3 -m http.server` sends `.ts` as
 * `video/mp2t`, and Deno then caches that failure. This server sends `.ts` as
 * `application/typescript`, refuses paths that leave its folder, listens on 127.0.0.1 only,
 * and adds the cross-origin-isolation headers (COOP/COEP) a page needs for SharedArrayBuffer.
 *
 * ```sh
 * npx deno run -A scripts/serve.ts [--port 8000] [--root .]
 * serving /path/to/shardgrad at http://127.0.0.1:8000/
 * ```
 */

import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** Content types by file extension; anything else is `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/**
 * Serves the files under `root` read-only on 127.0.0.1:`port` (0 picks a free port).
 * Resolves once listening, with the server and its base URL (ending in `/`).
 */
export async function serveStatic(
  root: string,
  port = 0,
): Promise<{ server: Server; url: string }> {
  const top = resolve(root);
  const inside = top.endsWith(sep) ? top : top + sep;
  const server = createServer(async (req, res) => {
    const headers = {
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
      "cross-origin-resource-policy": "same-origin",
      "cache-control": "no-cache",
    };
    let path: string;
    try {
      path = normalize(join(top, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    } catch {
      res.writeHead(400, headers).end("bad request path\n");
      return;
    }
    if (path !== top && !path.startsWith(inside)) {
      res.writeHead(403, headers).end("outside the served folder\n");
      return;
    }
    try {
      if ((await stat(path)).isDirectory()) path = join(path, "index.html");
      const body = await readFile(path);
      const type = CONTENT_TYPES[extname(path)] ?? "application/octet-stream";
      res.writeHead(200, { ...headers, "content-type": type }).end(body);
    } catch {
      res.writeHead(404, headers).end("not found\n");
    }
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", done);
  });
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "8000" }, root: { type: "string" } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.ts: --port must be an integer in [0, 65535], got ${values.port}`);
    process.exit(2);
  }
  const root = values.root ?? fileURLToPath(new URL("..", import.meta.url));
  try {
    const { url } = await serveStatic(root, port);
    console.log(`serving ${resolve(root)} at ${url}`);
  } catch (error) {
    console.error(`serve.ts: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
    process.exit(2);
  }
}
