// The Worker entry of DataParallel. It loads worker.ts through a computed dynamic import
// because `deno test` (and `deno run --check`) type-checks the static module graph of
// every Worker it starts, about a second of tsc per worker, but never a dynamic import.
// worker.ts posts "shardgrad:ready" once it listens, and the pool waits for that.
const url = new URL("./worker.ts", import.meta.url);
await import(url.href);
