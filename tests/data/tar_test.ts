import { test } from "node:test";
import assert from "node:assert/strict";
import { readTar } from "../../data/tar.ts";
import { makeTar } from "../_helpers/data_fixtures.ts";

const enc = new TextEncoder();

test("readTar() lists files and directories with views of their bytes", () => {
  const tar = makeTar([
    { path: "./folder/", type: "5" },
    { path: "./folder/a.bin", data: Uint8Array.from([1, 2, 3]) },
    { path: "folder/b.txt", data: enc.encode("x".repeat(700)) },
  ]);
  const entries = readTar(tar, "t.tar");
  assert.deepEqual(entries.map((e) => [e.path, e.type, e.size]), [
    ["folder", "directory", 0],
    ["folder/a.bin", "file", 3],
    ["folder/b.txt", "file", 700],
  ]);
  assert.deepEqual(Array.from(entries[1].data), [1, 2, 3]);
  assert.equal(entries[2].data.buffer, tar.buffer);
});

for (const evil of ["../evil", "a/../../evil", "/etc/passwd", "C:/x", "a\\..\\b", ".."]) {
  test(`readTar() rejects the entry "${evil}" (RangeError naming it)`, () => {
    const tar = makeTar([{ path: "ok.txt", data: enc.encode("ok") }, {
      path: evil,
      data: enc.encode("bad"),
    }]);
    assert.throws(
      () => readTar(tar, "evil.tar"),
      (e: Error) => e instanceof RangeError && e.message.includes(evil),
    );
  });
}

test("readTar() bad header checksum is a SyntaxError", () => {
  const tar = makeTar([{ path: "a", data: enc.encode("abc") }]);
  tar[10] ^= 1;
  assert.throws(() => readTar(tar, "bad.tar"), SyntaxError);
});

test("readTar() entry size beyond the archive end is a RangeError with claim and size", () => {
  const tar = makeTar([{ path: "a", data: new Uint8Array(2000) }]).subarray(0, 1024);
  assert.throws(() => readTar(tar, "cut.tar"), /cut\.tar.*claims 2000 bytes but only 512 remain/);
});

test("readTar() follows GNU long names and pax path records", () => {
  const long = "d/" + "n".repeat(150);
  const pax = enc.encode(`${`path=p/${"q".repeat(120)}`.length + 5} path=p/${"q".repeat(120)}\n`);
  const tar = makeTar([
    { path: "././@LongLink", type: "L", data: enc.encode(long + "\0") },
    { path: "truncated", data: enc.encode("1") },
    { path: "PaxHeader", type: "x", data: pax },
    { path: "short", data: enc.encode("2") },
  ]);
  assert.deepEqual(readTar(tar).map((e) => e.path), [long, `p/${"q".repeat(120)}`]);
});

test("readTar() rejects a GNU long name escaping the folder", () => {
  const tar = makeTar([{ path: "././@LongLink", type: "L", data: enc.encode("../../evil\0") }, {
    path: "x",
  }]);
  assert.throws(() => readTar(tar), RangeError);
});
