import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Tensor } from "../../tensor/tensor.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensorsHeader,
  readSafetensorsHeader,
  safetensorsHeaderLength,
} from "../../train/safetensors.ts";
import { loadStateDict } from "../../train/checkpoint.ts";
import { buildSafetensors } from "./_safetensors_fixture.ts";

function headerOf(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

test("encodeSafetensors() writes the spec's layout: u64 LE header length, JSON header, contiguous LE data", () => {
  const w = new Tensor(new Float32Array([1.5, -2, 3.25, 0, 1e-8, -7]), [2, 3]);
  const b = new Tensor(new Float32Array([0.5, 0.25]), [2]);
  const n = new Tensor(new Float32Array([42]), []);
  const bytes = encodeSafetensors({ "0.weight": w, "0.bias": b, "1.num_batches_tracked": n }, {
    dtypes: { "1.num_batches_tracked": "I64" },
    metadata: { format: "pt" },
  });
  const { length, json } = headerOf(bytes);
  assert.equal((8 + length) % 8, 0, "data section starts 8-aligned");
  assert.deepEqual(json.__metadata__, { format: "pt" });
  assert.deepEqual(json["0.weight"], { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(json["0.bias"], { dtype: "F32", shape: [2], data_offsets: [24, 32] });
  assert.deepEqual(json["1.num_batches_tracked"], {
    dtype: "I64",
    shape: [],
    data_offsets: [32, 40],
  });
  assert.equal(bytes.length, 8 + length + 40, "file = 8 + header + data bytes exactly");
  const data = new DataView(bytes.buffer, bytes.byteOffset + 8 + length);
  for (let i = 0; i < 6; i++) assert.equal(data.getFloat32(4 * i, true), w.data[i]);
  assert.equal(data.getFloat32(24, true), 0.5);
  assert.equal(data.getBigInt64(32, true), 42n);
});

test("decodeSafetensors() round-trips encodeSafetensors() bit for bit", () => {
  const t = new Tensor(new Float32Array([Math.PI, -0, Infinity, 3e-39, -1e30]), [5]);
  const { tensors, dtypes } = decodeSafetensors(
    encodeSafetensors({ t, empty: Tensor.zeros([0, 4]) }),
  );
  assert.deepEqual(Array.from(tensors.t.data), Array.from(t.data));
  assert.ok(Object.is(tensors.t.data[1], -0));
  assert.deepEqual(tensors.empty.shape, [0, 4]);
  assert.equal(dtypes.t, "F32");
});

test("decodeSafetensors() loads a hand-built file in PyTorch's layout (F32 + I64 num_batches_tracked)", () => {
  const bytes = buildSafetensors([
    { name: "0.weight", dtype: "F32", shape: [2, 2], values: [1, 2, 3, 4] },
    { name: "1.running_mean", dtype: "F32", shape: [2], values: [0.1, 0.2] },
    { name: "1.num_batches_tracked", dtype: "I64", shape: [], values: [937] },
  ], { format: "pt" });
  const { tensors, dtypes, metadata } = decodeSafetensors(bytes, "torch.safetensors");
  assert.deepEqual(Array.from(tensors["0.weight"].data), [1, 2, 3, 4]);
  assert.deepEqual(tensors["1.num_batches_tracked"].shape, []);
  assert.equal(tensors["1.num_batches_tracked"].data[0], 937);
  assert.equal(dtypes["1.num_batches_tracked"], "I64");
  assert.deepEqual(metadata, { format: "pt" });
});

const CONVERSIONS: { dtype: string; values: number[]; expected: number[] }[] = [
  { dtype: "F64", values: [0.1, -2.5], expected: [Math.fround(0.1), -2.5] },
  { dtype: "F16", values: [0x3c00, 0xc000, 0x0001, 0x7c00], expected: [1, -2, 2 ** -24, Infinity] },
  { dtype: "BF16", values: [0x3f80, 0xc040], expected: [1, -3] },
  { dtype: "I32", values: [-5, 70000], expected: [-5, 70000] },
  { dtype: "I64", values: [-3, 16777216], expected: [-3, 16777216] },
  { dtype: "U8", values: [0, 255], expected: [0, 255] },
];
for (const row of CONVERSIONS) {
  test(`decodeSafetensors() converts ${row.dtype} to float32`, () => {
    const bytes = buildSafetensors([{
      name: "x",
      dtype: row.dtype,
      shape: [row.values.length],
      values: row.values,
    }]);
    assert.deepEqual(Array.from(decodeSafetensors(bytes).tensors.x.data), row.expected);
  });
}

/** Corruptions of a valid header, each with the fragment its single error must contain. */
const CORRUPT: { name: string; make: () => Uint8Array; message: RegExp }[] = [
  {
    name: "a file shorter than 8 bytes",
    make: () => new Uint8Array(5),
    message: /shorter than the 8-byte header length/,
  },
  {
    name: "a header length larger than the file",
    make: () => {
      const b = buildSafetensors([{ name: "x", dtype: "F32", shape: [1], values: [1] }]);
      new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
      return b;
    },
    message: /header length field says 1099511627776 bytes but only \d+ follow/,
  },
  {
    name: "a header that is not JSON",
    make: () => buildSafetensors([], undefined, "{not json"),
    message: /not valid UTF-8 JSON/,
  },
  {
    name: "an unknown dtype",
    make: () =>
      buildSafetensors(
        [{ name: "x", dtype: "F32", shape: [1], values: [1] }],
        undefined,
        undefined,
        (h) => {
          (h.x as Record<string, unknown>).dtype = "Q7";
        },
      ),
    message: /tensor "x" has unsupported dtype "Q7"/,
  },
  {
    name: "shape × dtype size different from the offsets",
    make: () =>
      buildSafetensors(
        [{ name: "x", dtype: "F32", shape: [2], values: [1, 2] }],
        undefined,
        undefined,
        (h) => {
          (h.x as Record<string, unknown>).dtype = "F64";
        },
      ),
    message: /tensor "x": shape \[2\] of F64 needs 16 bytes but data_offsets \[0,8\] span 8/,
  },
  {
    name: "offsets beyond the data section",
    make: () =>
      buildSafetensors(
        [{ name: "x", dtype: "F32", shape: [2], values: [1, 2] }],
        undefined,
        undefined,
        (h) => {
          (h.x as Record<string, unknown>).data_offsets = [8, 16];
        },
      ),
    message: /tensor "x" has data_offsets \[8,16\] beyond the data section of 8 bytes/,
  },
  {
    name: "overlapping tensors",
    make: () =>
      buildSafetensors(
        [
          { name: "a", dtype: "F32", shape: [2], values: [1, 2] },
          { name: "b", dtype: "F32", shape: [2], values: [3, 4] },
        ],
        undefined,
        undefined,
        (h) => {
          (h.b as Record<string, unknown>).data_offsets = [4, 12];
          (h.a as Record<string, unknown>).data_offsets = [0, 8];
        },
      ),
    message: /tensor "b" at data_offsets \[4, 12\] overlaps tensor "a"/,
  },
  {
    name: "trailing bytes after the last tensor",
    make: () => {
      const b = buildSafetensors([{ name: "x", dtype: "F32", shape: [1], values: [1] }]);
      const longer = new Uint8Array(b.length + 4);
      longer.set(b);
      return longer;
    },
    message: /cover 4 bytes but the data section holds 8/,
  },
  {
    name: "non-string metadata",
    make: () => buildSafetensors([], undefined, JSON.stringify({ __metadata__: { epoch: 3 } })),
    message: /"__metadata__.epoch" must be a string/,
  },
];
for (const row of CORRUPT) {
  test(`readSafetensorsHeader() rejects ${row.name} with one error naming the file`, () => {
    assert.throws(() => readSafetensorsHeader(row.make(), "bad.safetensors"), (error: Error) => {
      assert.match(error.message, /^Cannot read safetensors file bad\.safetensors: /);
      assert.match(error.message, row.message);
      return true;
    });
  });
}

test("encodeSafetensors() refuses a non-integer value for an I64 tensor", () => {
  assert.throws(
    () =>
      encodeSafetensors({ n: new Tensor(new Float32Array([1.5]), [1]) }, { dtypes: { n: "I64" } }),
    /"n" is written as I64 but element 0 is 1.5/,
  );
});

test("safetensorsHeaderLength() + parseSafetensorsHeader() validate a header from its first bytes and the file size alone", () => {
  const bytes = encodeSafetensors({ x: Tensor.ones([4]) });
  const length = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, "f");
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + length), bytes.length, "f");
  assert.deepEqual(header, readSafetensorsHeader(bytes, "f"));
  // The same header in front of a file one byte short: refused from the header alone.
  assert.throws(
    () => parseSafetensorsHeader(bytes.subarray(8, 8 + length), bytes.length - 1, "f"),
    /tensor "x" has data_offsets \[0,16\] beyond the data section of 15 bytes/,
  );
});

const GiB = 2 ** 30;

/** Large files whose first bytes give them away, each with its error; the rest is a sparse hole. */
const HUGE: { name: string; head: () => Uint8Array; message: RegExp }[] = [
  {
    name: "a 3 GiB sparse file that is not safetensors (a zip)",
    head: () => new TextEncoder().encode("PK\x03\x04 not a tensor file"),
    message: /header length field says \d+ bytes but only 3221225464 follow/,
  },
  {
    name: "a 3 GiB sparse file of zeros",
    head: () => new Uint8Array(8),
    message: /the header is not valid UTF-8 JSON/,
  },
  {
    name: "a 3 GiB file whose header claims 16 GiB of tensors",
    head: () =>
      buildSafetensors(
        [],
        undefined,
        JSON.stringify({
          w: { dtype: "F32", shape: [4 * GiB], data_offsets: [0, 16 * GiB] },
        }),
      ),
    message: /tensor "w" has data_offsets \[0,17179869184\] beyond the data section of \d+ bytes/,
  },
];

for (const row of HUGE) {
  test(`loadStateDict() refuses ${row.name} after reading its header only`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardgrad-huge-"));
    try {
      const path = join(dir, "model.safetensors");
      await writeFile(path, row.head());
      await truncate(path, 3 * GiB);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      await assert.rejects(loadStateDict(path), (error: Error) => {
        assert.ok(error.message.includes(path), error.message);
        assert.match(error.message, row.message);
        return true;
      });
      const seconds = (performance.now() - started) / 1000;
      const grew = process.memoryUsage().rss - rssBefore;
      assert.ok(grew < 256 * 2 ** 20, `memory grew by ${grew} bytes: the file was read`);
      assert.ok(seconds < 5, `took ${seconds} s: the file was read`);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}
