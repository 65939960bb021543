/** Checkpoint run folders: generations behind `latest`, the links at the top, old-layout folders, clean-up, and the output-folder check. */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "../../tensor/tensor.ts";
import {
  checkOutputFolder,
  type Checkpoint,
  CHECKPOINT_FILES,
  checkpointDir,
  checkpointFiles,
  LATEST_LINK,
  loadCheckpoint,
  loadStateDict,
  saveCheckpoint,
} from "../../train/checkpoint.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "shardgrad-layout-"));
}

/** A checkpoint whose every number is `v`, so a loaded one tells which save it came from. */
function generation(v: number): Checkpoint {
  return {
    model: { "0.weight": new Tensor(new Float32Array(6).fill(v), [2, 3]) },
    spec: { layers: [{ type: "linear", inFeatures: 3, outFeatures: 2 }] },
    optimizer: {
      state: { 0: { step: v, exp_avg: new Tensor(new Float32Array(6).fill(v), [2, 3]) } },
    },
    state: { epoch: v },
  };
}

async function savedValue(path: string): Promise<number> {
  const c = await loadCheckpoint(path);
  const v = c.state.epoch as number;
  assert.deepEqual(
    Array.from(c.model["0.weight"].data),
    new Array(6).fill(v),
    `weights of ${path}`,
  );
  return v;
}

test("saveCheckpoint() a second time switches latest to checkpoint-000002 and removes the first", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, generation(1));
    await saveCheckpoint(dir, generation(2));
    assert.equal(await readlink(join(dir, LATEST_LINK)), "checkpoint-000002");
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith("checkpoint-") || n.startsWith(".")),
      ["checkpoint-000002"],
    );
    for (const name of Object.values(CHECKPOINT_FILES)) {
      assert.equal(await readlink(join(dir, name)), `${LATEST_LINK}/${name}`);
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("loadCheckpoint() reads the run folder, latest, a generation folder and files in each", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, generation(1));
    await saveCheckpoint(dir, generation(2));
    for (
      const path of [
        dir,
        join(dir, LATEST_LINK),
        join(dir, "checkpoint-000002"),
        join(dir, CHECKPOINT_FILES.model),
        join(dir, LATEST_LINK, CHECKPOINT_FILES.state),
      ]
    ) {
      assert.equal(await savedValue(path), 2, path);
    }
    // The paths a PyTorch user opens: through latest, or through the link at the top.
    for (const path of [join(dir, "latest", "model.safetensors"), join(dir, "model.safetensors")]) {
      const { tensors } = await loadStateDict(path);
      assert.deepEqual(Array.from(tensors["0.weight"].data), new Array(6).fill(2), path);
    }
    assert.equal((await checkpointFiles(dir)).dir, join(dir, "checkpoint-000002"));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("loadCheckpoint() reads an old-layout folder, and its next save turns it into a run folder", async () => {
  const dir = await tempDir();
  const old = await tempDir();
  try {
    await saveCheckpoint(dir, generation(7));
    for (const name of Object.values(CHECKPOINT_FILES)) {
      await copyFile(join(dir, "checkpoint-000001", name), join(old, name));
    }
    assert.equal(await savedValue(old), 7);
    await saveCheckpoint(old, generation(8));
    assert.equal(await savedValue(old), 8);
    assert.equal(await readlink(join(old, LATEST_LINK)), "checkpoint-000001");
    assert.ok((await lstat(join(old, CHECKPOINT_FILES.model))).isSymbolicLink());
  } finally {
    await rm(dir, { recursive: true });
    await rm(old, { recursive: true });
  }
});

test("saveCheckpoint() removes temp files, temp generations and generations latest does not name", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, generation(1));
    // What killed saves leave: a temp file (old or new layout), a half-written generation,
    // and a complete generation that latest never pointed to.
    await writeFile(join(dir, ".model.safetensors.1a2b3c4d.tmp"), "partial");
    await mkdir(join(dir, ".checkpoint-000002.deadbeef.tmp"));
    await writeFile(join(dir, ".checkpoint-000002.deadbeef.tmp", "model.safetensors"), "x");
    await mkdir(join(dir, "checkpoint-000002"));
    await symlink("checkpoint-000002", join(dir, ".latest.0badc0de.tmp"));
    assert.equal(await savedValue(dir), 1, "the leftovers do not disturb loading");
    await saveCheckpoint(dir, generation(2));
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ["checkpoint-000002", LATEST_LINK, ...Object.values(CHECKPOINT_FILES)].sort(),
    );
    assert.equal(await savedValue(dir), 2);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("checkpointDir() maps a generation, latest and files inside them to the run folder", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, generation(1));
    for (
      const path of [
        dir,
        join(dir, CHECKPOINT_FILES.model),
        join(dir, LATEST_LINK),
        join(dir, LATEST_LINK, CHECKPOINT_FILES.model),
        join(dir, "checkpoint-000001"),
      ]
    ) {
      assert.equal(await checkpointDir(path), dir, path);
    }
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("saveCheckpoint() into a generation folder is refused, naming the run folder", async () => {
  const dir = await tempDir();
  try {
    await saveCheckpoint(dir, generation(1));
    await assert.rejects(
      saveCheckpoint(join(dir, "checkpoint-000001"), generation(2)),
      new RegExp(`generation of the run folder ${dir}`),
    );
    assert.equal(await savedValue(dir), 1);
  } finally {
    await rm(dir, { recursive: true });
  }
});

/** Broken folders and the fragment of the one error each must produce. */
const BROKEN: { name: string; spoil: (dir: string) => Promise<void>; message: RegExp }[] = [
  {
    name: "a model.json that is not JSON (naming the file)",
    spoil: (dir) => writeFile(join(dir, "checkpoint-000001", "model.json"), "{ layers: ["),
    message: /checkpoint-000001\/model\.json: not valid JSON/,
  },
  {
    name: "a model.json that is an endless device, without reading it",
    spoil: async (dir) => {
      await rm(join(dir, "checkpoint-000001", "model.json"));
      await symlink("/dev/zero", join(dir, "checkpoint-000001", "model.json"));
    },
    message: /checkpoint-000001\/model\.json: not a regular file/,
  },
  {
    name: "a model.safetensors that is an endless device, without reading it",
    spoil: async (dir) => {
      await rm(join(dir, "checkpoint-000001", "model.safetensors"));
      await symlink("/dev/zero", join(dir, "checkpoint-000001", "model.safetensors"));
    },
    message: /checkpoint-000001\/model\.safetensors: not a regular file/,
  },
  {
    name: "a state.json that is not an object",
    spoil: (dir) => writeFile(join(dir, "checkpoint-000001", "state.json"), "[1, 2]"),
    message: /checkpoint-000001\/state\.json: expected a JSON object/,
  },
  {
    name: "a latest that points outside the folder",
    spoil: async (dir) => {
      await rm(join(dir, LATEST_LINK));
      await symlink("../../etc", join(dir, LATEST_LINK));
    },
    message: /latest points to "\.\.\/\.\.\/etc", not to a checkpoint-NNNNNN folder/,
  },
  {
    name: "a latest that is not a link",
    spoil: async (dir) => {
      await rm(join(dir, LATEST_LINK));
      await mkdir(join(dir, LATEST_LINK));
    },
    message: /latest is not a symlink to a generation/,
  },
  {
    name: "a folder with no checkpoint in it",
    spoil: async (dir) => {
      for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true });
    },
    message: /has neither a "latest" link nor a model\.safetensors \(not a checkpoint folder\)/,
  },
];

for (const row of BROKEN) {
  test(`loadCheckpoint() refuses ${row.name}`, async () => {
    const dir = await tempDir();
    try {
      await saveCheckpoint(dir, generation(1));
      await row.spoil(dir);
      await assert.rejects(loadCheckpoint(dir), row.message);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}

/** Output folders checkOutputFolder must refuse (tests run as root, so: files, not permissions). */
const BAD_OUT: { name: string; path: (dir: string) => Promise<string>; message: RegExp }[] = [
  {
    name: "a regular file",
    path: async (dir) => {
      await writeFile(join(dir, "file"), "");
      return join(dir, "file");
    },
    message: /file: it is a file, not a folder; choose another --out/,
  },
  {
    name: "a path under a regular file",
    path: async (dir) => {
      await writeFile(join(dir, "file"), "");
      return join(dir, "file", "run", "deeper");
    },
    message: /deeper: .*\/file is a file, not a folder/,
  },
  {
    name: "a generation of another run",
    path: async (dir) => {
      await saveCheckpoint(join(dir, "run"), generation(1));
      return join(dir, "run", "checkpoint-000001");
    },
    message: /it is one generation of the run folder .*\/run; save to/,
  },
  {
    name: "a run folder whose latest is not a link",
    path: async (dir) => {
      await mkdir(join(dir, "run", LATEST_LINK), { recursive: true });
      return join(dir, "run");
    },
    message: /run\/latest is not a symlink to a generation/,
  },
];

for (const row of BAD_OUT) {
  test(`checkOutputFolder() refuses ${row.name} with one line naming it`, async () => {
    const dir = await tempDir();
    try {
      const path = await row.path(dir);
      await assert.rejects(checkOutputFolder(path), (error: Error) => {
        assert.ok(error.message.startsWith(`Cannot write checkpoints to ${path}: `), error.message);
        assert.match(error.message, row.message);
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
}

test("checkOutputFolder() accepts a new or existing folder and leaves no trace", async () => {
  const dir = await tempDir();
  try {
    await checkOutputFolder(join(dir, "runs", "new"));
    assert.deepEqual(await readdir(dir), [], "folders made for the probe are removed");
    await saveCheckpoint(join(dir, "run"), generation(1));
    const before = (await readdir(join(dir, "run"))).sort();
    await checkOutputFolder(join(dir, "run"));
    assert.deepEqual((await readdir(join(dir, "run"))).sort(), before);
  } finally {
    await rm(dir, { recursive: true });
  }
});
