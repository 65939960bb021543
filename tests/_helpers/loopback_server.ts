/**
 * A loopback HTTP server for offline download tests (node:http on 127.0.0.1, an
 * ephemeral port; runs unchanged in Deno and Bun). Serves fixtures from memory,
 * counts requests per path and injects faults: error statuses, truncated bodies,
 * stalls, slow bodies, endless bodies, byte-at-a-time drips and extra headers such as
 * `Content-Encoding: gzip`. `close()` destroys every open connection (stalled ones too).
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** How to answer one request. */
export interface Reply {
  /** HTTP status. @default 200 */
  status?: number;
  /** Body bytes (404 replies default to a short text). */
  body?: Uint8Array;
  /** Announce the full Content-Length but close the connection after this many bytes. */
  truncateAt?: number;
  /** Send this many bytes, then send nothing more until the server closes. */
  stallAfter?: number;
  /** Wait this long (ms) before sending the headers. */
  delayMs?: number;
  /** Send the body in two halves with this pause (ms) between them. */
  pauseMidBodyMs?: number;
  /** Extra response headers, e.g. `{ "content-encoding": "gzip" }`. */
  headers?: Record<string, string>;
  /** Leave out Content-Length (the body is sent chunked). */
  noContentLength?: boolean;
  /** Send `body` again and again, forever (no Content-Length), until the client goes away. */
  endless?: boolean;
  /** Send the body one byte per this many ms (a server that is never silent but never done). */
  dripMs?: number;
}

/** A route: a fixed reply, or a function of the 1-based request number for that path. */
export type Route = Reply | ((nth: number) => Reply);

/** A running server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  /** Every request path, in arrival order. */
  requests: string[];
  /** Requests made to `path` so far. */
  count(path: string): number;
  /** Replaces or adds a route. */
  route(path: string, route: Route): void;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 answering `routes` (unknown paths get 404). */
export async function startLoopbackServer(
  routes: Record<string, Route> = {},
): Promise<LoopbackServer> {
  const table = new Map(Object.entries(routes));
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(path);
    const route = table.get(path);
    const nth = requests.filter((p) => p === path).length;
    const reply: Reply = route === undefined
      ? { status: 404 }
      : typeof route === "function"
      ? route(nth)
      : route;
    const status = reply.status ?? 200;
    const body = reply.body ?? new TextEncoder().encode(status === 200 ? "" : `status ${status}`);
    const send = () => {
      const unsized = reply.noContentLength || reply.endless;
      res.writeHead(status, {
        "content-type": "application/octet-stream",
        ...(unsized ? {} : { "content-length": String(body.length) }),
        ...reply.headers,
      });
      if (reply.endless) {
        // One chunk at a time, the next once the last was flushed: the server itself (in the
        // test's process) stays small, whatever the runtime's own write buffering does.
        const pump = () => {
          if (!res.destroyed) res.write(body, () => setTimeout(pump, 0));
        };
        res.on("error", () => {});
        pump();
      } else if (reply.dripMs !== undefined) {
        let at = 0;
        const drip = () => {
          if (res.destroyed) return;
          if (at >= body.length) return void res.end();
          res.write(body.subarray(at, ++at));
          later(reply.dripMs!, drip);
        };
        res.on("error", () => {});
        drip();
      } else if (reply.truncateAt !== undefined) {
        res.write(body.subarray(0, reply.truncateAt), () => later(20, () => req.socket.destroy()));
      } else if (reply.stallAfter !== undefined) {
        res.write(body.subarray(0, reply.stallAfter)); // and nothing more until close()
      } else if (reply.pauseMidBodyMs !== undefined) {
        const half = body.length >> 1;
        res.write(body.subarray(0, half));
        later(reply.pauseMidBodyMs, () => res.end(body.subarray(half)));
      } else {
        res.end(body);
      }
    };
    if (reply.delayMs) later(reply.delayMs, send);
    else send();
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("loopback server has no TCP address");
  }

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    count: (path) => requests.filter((p) => p === path).length,
    route: (path, route) => void table.set(path, route),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
