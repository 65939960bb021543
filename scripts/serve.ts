/**
 * A small static file server for importing shardgrad by URL and for the pages that train
 * in a browser (web/). Deno imports a module by http:// only when the response's
 * Content-Type says JavaScript or TypeScript; `python3 -m http.server` sends `.ts` as
 * `video/mp2t`, and Deno then caches that failure. This server sends `.ts` as
 * `application/typescript`, refuses paths that leave its folder, listens on 127.0.0.1 only,
 * and adds the cross-origin-isolation headers (COOP/COEP) a page needs for SharedArrayBuffer.
 *
 * `--mirror DIR` also serves the files of DIR (a dataset folder, as train.ts's `--mirror`)
 * under `/data/`; `--no-isolation` leaves out COOP/COEP (to try a page's fallback without
 * SharedArrayBuffer).
 *
 * ```sh
 * npx deno run -A scripts/serve.ts [--port 8000] [--root .] [--mirror ../shared/data/mnist] [--no-isolation]
 * serving /path/to/shardgrad at http://127.0.0.1:8000/
 * ```
 */

import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { checkArgumentCount, checkOptions } from "../tensor/options.ts";

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

/** Options of {@linkcode serveStatic}. */
export interface ServeOptions {
  /** A folder served under `/data/` (dataset files for the pages). */
  mirror?: string;
  /** Send COOP/COEP, which make a page cross-origin isolated. @default true */
  isolation?: boolean;
}

/**
 * Serves the files under `root` read-only on 127.0.0.1:`port` (0 picks a free port), and
 * those of `options.mirror` under `/data/`. Resolves once listening, with the server and its
 * base URL (ending in `/`).
 */
export async function serveStatic(
  root: string,
  port = 0,
  options: ServeOptions = {},
): Promise<{ server: Server; url: string }> {
  checkArgumentCount("Cannot run serveStatic", arguments.length, 3);
  checkOptions("Cannot run serveStatic", options, ["mirror", "isolation"]);
  const { mirror, isolation = true } = options;
  if (mirror !== undefined && !(await stat(mirror).catch(() => null))?.isDirectory()) {
    throw new Error(`Cannot run serveStatic: the mirror ${mirror} is not a folder`);
  }
  const rootTop = resolve(root);
  const dataTop = mirror === undefined ? null : resolve(mirror);
  const server = createServer(async (req, res) => {
    const headers: Record<string, string> = isolation
      ? {
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-resource-policy": "same-origin",
        "cache-control": "no-cache",
      }
      : { "cache-control": "no-cache" };
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400, headers).end("bad request path\n");
      return;
    }
    const data = dataTop !== null && pathname.startsWith("/data/");
    const top = data ? dataTop : rootTop;
    const inside = top.endsWith(sep) ? top : top + sep;
    let path = normalize(join(top, data ? pathname.slice("/data/".length) : pathname));
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
    options: {
      port: { type: "string", default: "8000" },
      root: { type: "string" },
      mirror: { type: "string" },
      "no-isolation": { type: "boolean", default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.ts: --port must be an integer in [0, 65535], got ${values.port}`);
    process.exit(2);
  }
  const root = values.root ?? fileURLToPath(new URL("..", import.meta.url));
  try {
    const { url } = await serveStatic(root, port, {
      mirror: values.mirror,
      isolation: !values["no-isolation"],
    });
    const extras = [
      values.mirror === undefined ? "" : `, ${resolve(values.mirror)} under ${url}data/`,
      values["no-isolation"] ? ", without COOP/COEP (not cross-origin isolated)" : "",
    ].join("");
    console.log(`serving ${resolve(root)} at ${url}${extras}`);
  } catch (error) {
    console.error(`serve.ts: cannot serve on 127.0.0.1:${port}: ${(error as Error).message}`);
    process.exit(2);
  }
}
