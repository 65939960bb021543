import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "../../tensor/tensor.ts";
import {
  type Checkpoint,
  CHECKPOINT_FILES,
  LATEST_LINK,
  loadCheckpoint,
  loadStateDict,
  saveCheckpoint,
  saveStateDict,
  writeFileAtomic,
} from "../../train/checkpoint.ts";
import { readSafetensorsHeader } from "../../train/safetensors.ts";
import { buildSafetensors } from "./_safetensors_fixture.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "shardgrad-ckpt-"));
}

function model(): Record<string, Tensor> {
  return {
    "0.weight": new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
    "0.bias": new Tensor(new Float32Array([0.5, -0.5]), [2]),
    "1.running_mean": new Tensor(new Float32Array([0.1, 0.2]), [2]),
    "1.num_batches_tracked": new Tensor(new Float32Array([12]), []),
  };
}

function checkpoint(): Checkpoint {
  return {
    model: model(),
    spec: { layers: [{ type: "linear", inFeatures: 3, outFeatures: 2 }] },
    optimizer: {
      state: {
        0: { step: 3, momentum_buffer: new Tensor(new Float32Array([9, 8, 7, 6, 5, 4]), [2, 3]) },
      },
      param_groups: [{
        lr: 0.1,
        momentum: 0.9,
        nesterov: false,
        betas: [0.9, 0.999],
        params: [0, 1],
      }],
    },
    state: { epoch: 2, rng: [1, 2, 3, 4], scheduler: { lastEpoch: 7 } },
  };
}

test("saveCheckpoint() + loadCheckpoint() round-trip weights, spec, optimizer state and loop state", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, checkpoint());
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ["checkpoint-000001", LATEST_LINK, ...Object.values(CHECKPOINT_FILES)].sort(),
      "one generation, the pointer, the four links, no temp files",
    );
    assert.deepEqual(
      (await readdir(join(dir, "checkpoint-000001"))).sort(),
      Object.values(CHECKPOINT_FILES).sort(),
    );
    const loaded = await loadCheckpoint(dir, model());
    for (const [key, t] of Object.entries(model())) {
      assert.deepEqual(Array.from(loaded.model[key].data), Array.from(t.data), key);
    }
    assert.deepEqual(loaded.spec, checkpoint().spec);
    const opt = loaded.optimizer as {
      state: Record<string, { step: number; momentum_buffer: Tensor }>;
      param_groups: unknown[];
    };
    assert.equal(opt.state[0].step, 3);
    assert.deepEqual(opt.state[0].momentum_buffer.shape, [2, 3]);
    assert.deepEqual(Array.from(opt.state[0].momentum_buffer.data), [9, 8, 7, 6, 5, 4]);
    assert.deepEqual(
      opt.param_groups,
      (checkpoint().optimizer as { param_groups: unknown }).param_groups,
    );
    assert.equal((loaded.state as { epoch: number }).epoch, 2);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("saveStateDict() writes num_batches_tracked as I64 and float tensors as F32 with format=pt", async () => {
  const dir = await tempDir();
  try {
    await saveStateDict(join(dir, "m.safetensors"), model());
    const { entries, metadata } = readSafetensorsHeader(
      new Uint8Array(await readFile(join(dir, "m.safetensors"))),
    );
    assert.equal(entries["1.num_batches_tracked"].dtype, "I64");
    assert.deepEqual(entries["1.num_batches_tracked"].shape, []);
    assert.equal(entries["0.weight"].dtype, "F32");
    assert.equal(metadata.format, "pt");
  } finally {
    await rm(dir, { recursive: true });
  }
});

/** Each bad checkpoint file and the fragment of the one error it must produce. */
const BAD_FILES: {
  name: string;
  bytes: () => Uint8Array | Promise<Uint8Array>;
  message: RegExp;
}[] = [
  {
    name: "a missing key",
    bytes: () => withoutKey("0.bias"),
    message: /does not match the model: missing key\(s\) "0\.bias"/,
  },
  {
    name: "a shape mismatch",
    bytes: () =>
      buildSafetensors([
        { name: "0.weight", dtype: "F32", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
        { name: "0.bias", dtype: "F32", shape: [2], values: [0, 0] },
        { name: "1.running_mean", dtype: "F32", shape: [2], values: [0, 0] },
        { name: "1.num_batches_tracked", dtype: "I64", shape: [], values: [0] },
      ]),
    message: /"0\.weight" has shape \[3, 2\] in the file but \[2, 3\] in the model/,
  },
  {
    name: "a truncated file",
    bytes: async () => (await savedBytes()).subarray(0, (await savedBytes()).length - 10),
    message: /beyond the data section|cover \d+ bytes/,
  },
  {
    name: "a header larger than the file",
    bytes: async () => {
      const b = (await savedBytes()).slice();
      new DataView(b.buffer).setBigUint64(0, BigInt(b.length * 2), true);
      return b;
    },
    message: /header length field says \d+ bytes but only \d+ follow/,
  },
  {
    name: "a wrong dtype",
    bytes: () =>
      buildSafetensors(
        [
          { name: "0.weight", dtype: "F32", shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
          { name: "0.bias", dtype: "F32", shape: [2], values: [0, 0] },
          { name: "1.running_mean", dtype: "F32", shape: [2], values: [0, 0] },
          { name: "1.num_batches_tracked", dtype: "I64", shape: [], values: [0] },
        ],
        undefined,
        undefined,
        (h) => {
          (h["0.bias"] as Record<string, unknown>).dtype = "C64";
        },
      ),
    message: /tensor "0\.bias" has unsupported dtype "C64"/,
  },
];

async function savedBytes(): Promise<Uint8Array> {
  const dir = await tempDir();
  await saveStateDict(join(dir, "m.safetensors"), model());
  const bytes = new Uint8Array(await readFile(join(dir, "m.safetensors")));
  await rm(dir, { recursive: true });
  return bytes;
}

function withoutKey(key: string): Uint8Array {
  const m = model();
  return buildSafetensors(
    Object.entries(m).filter(([k]) => k !== key).map(([name, t]) => ({
      name,
      dtype: name.endsWith("num_batches_tracked") ? "I64" : "F32",
      shape: [...t.shape],
      values: Array.from(t.data),
    })),
  );
}

for (const row of BAD_FILES) {
  test(`loadStateDict() rejects ${row.name} with one error naming the file`, async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "model.safetensors");
      await writeFile(path, await row.bytes());
      await assert.rejects(loadStateDict(path, model()), (error: Error) => {
        assert.ok(error.message.includes(path), `message names the file: ${error.message}`);
        assert.match(error.message, row.message);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}

function* failing(): Generator<Uint8Array> {
  yield new Uint8Array(1000).fill(1);
  throw new Error("disk full (simulated)");
}

test("writeFileAtomic() keeps the previous file when a write fails midway and leaves no temp file", async () => {
  const dir = await tempDir();
  try {
    const path = join(dir, "model.safetensors");
    await writeFileAtomic(path, "previous");
    await assert.rejects(writeFileAtomic(path, failing()), /disk full/);
    assert.equal(await readFile(path, "utf8"), "previous");
    assert.deepEqual(await readdir(dir), ["model.safetensors"]);
  } finally {
    await rm(dir, { recursive: true });
  }
});

/** Non-finite tensors saveCheckpoint must refuse: where they sit and the key the error names. */
const NON_FINITE: { name: string; spoil: (c: Checkpoint) => void; key: RegExp }[] = [
  {
    name: "NaN in a model weight",
    spoil: (c) => (c.model["0.weight"].data[4] = NaN),
    key: /model tensor "0\.weight" holds NaN at element 4/,
  },
  {
    name: "Infinity in a BatchNorm buffer",
    spoil: (c) => (c.model["1.running_mean"].data[1] = Infinity),
    key: /model tensor "1\.running_mean" holds Infinity at element 1/,
  },
  {
    name: "-Infinity in an optimizer buffer",
    spoil: (
      c,
    ) => ((c.optimizer as { state: { 0: { momentum_buffer: Tensor } } }).state[0].momentum_buffer
      .data[0] = -Infinity),
    key: /optimizer tensor "state\.0\.momentum_buffer" holds -Infinity at element 0/,
  },
];

for (const row of NON_FINITE) {
  test(`saveCheckpoint() refuses ${row.name}, names the key and writes nothing`, async () => {
    const dir = await tempDir();
    try {
      await saveCheckpoint(dir, checkpoint());
      const before = (await readdir(dir)).sort();
      const broken = checkpoint();
      row.spoil(broken);
      await assert.rejects(saveCheckpoint(dir, broken), (error: Error) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, row.key);
        assert.match(error.message, /nothing was written/);
        return true;
      });
      assert.deepEqual((await readdir(dir)).sort(), before);
      const loaded = await loadCheckpoint(dir, model());
      assert.deepEqual(Array.from(loaded.model["0.weight"].data), [1, 2, 3, 4, 5, 6]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}

test("saveStateDict() refuses a NaN tensor naming the key and the file", async () => {
  const dir = await tempDir();
  try {
    const state = model();
    state["0.bias"].data[0] = NaN;
    const path = join(dir, "m.safetensors");
    await assert.rejects(saveStateDict(path, state), (error: Error) => {
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /tensor "0\.bias" holds NaN at element 0/);
      return true;
    });
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("saveCheckpoint() that fails while encoding leaves the previous checkpoint loadable", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, checkpoint());
    const broken = checkpoint();
    broken.model["1.num_batches_tracked"] = new Tensor(new Float32Array([2.5]), []);
    await assert.rejects(saveCheckpoint(dir, broken), /num_batches_tracked/);
    const loaded = await loadCheckpoint(dir, model());
    assert.equal(loaded.model["1.num_batches_tracked"].data[0], 12);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("loadCheckpoint() refuses a generation assembled from two saves, naming both files", async () => {
  const dir = await tempDir();
  const other = await tempDir();
  try {
    await saveCheckpoint(dir, checkpoint());
    await saveCheckpoint(other, checkpoint());
    const target = join(dir, "checkpoint-000001", CHECKPOINT_FILES.model);
    await writeFile(target, await readFile(join(other, CHECKPOINT_FILES.model)));
    await assert.rejects(loadCheckpoint(dir), (error: Error) => {
      assert.match(error.message, /come from different saves/);
      assert.ok(error.message.includes(target), error.message);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true });
    await rm(other, { recursive: true });
  }
});

test("loadCheckpoint() of a missing folder is one error naming the path", async () => {
  await assert.rejects(
    loadCheckpoint("/nonexistent/shardgrad-run"),
    /Cannot open checkpoint \/nonexistent\/shardgrad-run/,
  );
});
