import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Md5, md5Hex } from "../../data/md5.ts";
import { Rng } from "../../tensor/rng.ts";

const enc = new TextEncoder();

/** RFC 1321 appendix A.5 test suite. */
const RFC_VECTORS: [string, string][] = [
  ["", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "d174ab98d277d9f5a5611c2c9f419d9f",
  ],
  [
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a",
  ],
];

for (const [text, want] of RFC_VECTORS) {
  test(`md5Hex() matches RFC 1321 for ${JSON.stringify(text.slice(0, 20))} (${text.length} bytes)`, () => {
    assert.equal(md5Hex(enc.encode(text)), want);
  });
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.randint(256));
}

const nodeMd5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

test("md5Hex() matches node:crypto at every padding boundary (lengths 0–130, 1000, 4099)", () => {
  for (const n of [...Array.from({ length: 131 }, (_, i) => i), 1000, 4099]) {
    const bytes = randomBytes(n, n);
    assert.equal(md5Hex(bytes), nodeMd5(bytes), `length ${n}`);
  }
});

test("Md5.update() gives the same digest for any chunking, including empty and unaligned chunks", () => {
  const bytes = randomBytes(1000, 3);
  const whole = md5Hex(bytes);
  for (const cuts of [[0, 1, 63, 64, 65, 500], [7, 7, 130, 999], [64, 128, 192]]) {
    const h = new Md5();
    let at = 0;
    for (const cut of [...cuts, bytes.length]) h.update(bytes.subarray(at, cut)), at = cut;
    assert.equal(h.hexDigest(), whole, `cuts ${cuts}`);
  }
});

test("Md5 counts lengths past 2^32 bits (513 MiB in 1 MiB chunks) exactly as node:crypto", () => {
  const chunk = randomBytes(1 << 20, 9);
  const ours = new Md5();
  const theirs = createHash("md5");
  for (let i = 0; i < 513; i++) ours.update(chunk), theirs.update(chunk);
  assert.equal(ours.hexDigest(), theirs.digest("hex"));
});

test("Md5.update() after digest() is an error, and digest() can be read twice", () => {
  const h = new Md5().update(enc.encode("abc"));
  assert.equal(h.hexDigest(), "900150983cd24fb0d6963f7d28e17f72");
  assert.equal(h.hexDigest(), "900150983cd24fb0d6963f7d28e17f72");
  assert.throws(() => h.update(enc.encode("d")), /digest\(\) was already called/);
  assert.throws(
    () => new Md5().update("abc" as never),
    /Cannot update Md5: expected a Uint8Array, got/,
  );
});
