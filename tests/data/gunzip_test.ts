import { test } from "node:test";
import assert from "node:assert/strict";
import { gunzip, isGzip } from "../../data/gunzip.ts";
import { gzip } from "../_helpers/data_fixtures.ts";

const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 253);

test("gunzip() round-trips CompressionStream output", async () => {
  const gz = await gzip(data);
  assert.ok(isGzip(gz));
  assert.deepEqual(await gunzip(gz), data);
});

test("gunzip() rejects data without the gzip magic number (SyntaxError)", async () => {
  await assert.rejects(
    gunzip(data, { name: "plain.bin" }),
    (e: Error) => e instanceof SyntaxError && /plain\.bin/.test(e.message),
  );
});

test("gunzip() truncated stream is a SyntaxError naming the data", async () => {
  const gz = await gzip(data);
  await assert.rejects(
    gunzip(gz.subarray(0, gz.length - 50), { name: "cut.gz" }),
    (e: Error) => e instanceof SyntaxError && /cut\.gz/.test(e.message),
  );
});

test("gunzip() corrupt deflate data is a SyntaxError", async () => {
  const gz = await gzip(data);
  const bad = gz.slice();
  for (let i = 20; i < 40; i++) bad[i] ^= 0x5a;
  await assert.rejects(gunzip(bad), SyntaxError);
});

test("gunzip() refuses output beyond maxBytes (RangeError)", async () => {
  await assert.rejects(gunzip(await gzip(data), { maxBytes: 1000 }), RangeError);
});
