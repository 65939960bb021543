import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensorsHeader } from "../../train/safetensors.ts";
import { findAll, parseXml } from "./_xml.ts";
import { MNIST_MIRROR, spawnCli } from "./_run_cli.ts";
import { DATASETS } from "../../train/cli.ts";
import { kernelSelection } from "../../tensor/kernels/mod.ts";

async function tempDir(): Promise<string> {
  return await mkdtemp(join(tmpdir(), "shardgrad-cli-"));
}

const MOONS = ["--dataset", "moons", "--workers", "1", "--epochs", "3"];

test("train.ts --help prints the usage and exits 0", async () => {
  const run = await spawnCli(["--help"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Usage: deno run -A train\.ts \[flags\]/);
  assert.match(run.stdout, /--limit-train N/);
  assert.equal(run.stderr, "");
});

/** Bad command lines: exit code 2, one error line, then the usage text on stderr. */
const BAD: [string[], string][] = [
  [["--epoch", "3"], "error: unknown flag --epoch"],
  [["--epochs", "zero"], 'error: --epochs: expected a positive integer, got "zero"'],
  [
    ["--dataset", "imagenet"],
    `error: --dataset: expected one of ${DATASETS.join(", ")}, got "imagenet"`,
  ],
  [
    ["--dataset", "moons", "--model", "no-such-model"],
    'error: --model: "no-such-model" is neither a preset',
  ],
];
for (const [args, message] of BAD) {
  test(`train.ts ${args.join(" ")} exits 2 with one clear error and the usage`, async () => {
    const run = await spawnCli(args);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.startsWith(message), run.stderr);
    assert.match(run.stderr, /\n\nUsage: /);
    assert.equal(run.stdout, "");
  });
}

test("train.ts --json on moons prints only JSON lines and writes every output file", async () => {
  const out = await tempDir();
  try {
    const run = await spawnCli([...MOONS, "--json", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((l) => l.event), ["start", "epoch", "epoch", "epoch", "result"]);
    // The start line says which kernel version ran and why the others did not (issue 13).
    assert.equal(lines[0].kernels.version, kernelSelection.version);
    assert.equal(Object.keys(lines[0].kernels.skipped).length, 2);
    assert.deepEqual(Object.keys(lines[1]).sort(), [
      "epoch",
      "epochs",
      "event",
      "lr",
      "samplesPerSecond",
      "seconds",
      "testAccuracy",
      "testLoss",
      "trainAccuracy",
      "trainLoss",
    ]);
    const result = lines[4];
    assert.ok(result.testAccuracy > 0.9, `moons accuracy ${result.testAccuracy}`);
    assert.equal(result.confusion.length, 2);
    assert.equal(typeof result.macro.f1, "number");

    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
    assert.equal(metrics.epochs.length, 3);
    for (const e of metrics.epochs) {
      for (
        const key of ["trainLoss", "trainAccuracy", "testLoss", "testAccuracy", "lr", "seconds"]
      ) {
        assert.equal(typeof e[key], "number", key);
      }
    }
    const state = JSON.parse(await readFile(join(out, "state.json"), "utf8"));
    assert.equal(state.epoch, 3);
    assert.equal(state.config.dataset, "moons");
    assert.deepEqual(JSON.parse(await readFile(join(out, "model.json"), "utf8")).layers[0], {
      type: "linear",
      inFeatures: 2,
      outFeatures: 64,
    });

    const svg = parseXml(await readFile(join(out, "curves.svg"), "utf8"));
    assert.equal(findAll(svg, "polyline").length, 4);

    const bytes = new Uint8Array(await readFile(join(out, "model.safetensors")));
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    assert.deepEqual(header["0.weight"], { dtype: "F32", shape: [64, 2], data_offsets: [0, 512] });
    assert.deepEqual(Object.keys(header).filter((k) => k !== "__metadata__"), [
      "0.weight",
      "0.bias",
      "2.weight",
      "2.bias",
      "4.weight",
      "4.bias",
    ]);
    const end = Math.max(
      ...Object.entries(header).filter(([k]) => k !== "__metadata__").map(([, v]) =>
        (v as { data_offsets: number[] }).data_offsets[1]
      ),
    );
    assert.equal(bytes.length, 8 + headerLength + end);
    assert.ok(
      readSafetensorsHeader(new Uint8Array(await readFile(join(out, "optimizer.safetensors")))),
    );
  } finally {
    await rm(out, { recursive: true });
  }
});

for (const workers of ["1", "2"]) {
  test(`train.ts --resume: 2 epochs then 2 more equals 4 straight, bit for bit (workers ${workers})`, async () => {
    const straight = await tempDir();
    const split = await tempDir();
    try {
      const common = [
        "--dataset",
        "spirals",
        "--workers",
        workers,
        "--scheduler",
        "plateau",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--json",
      ];
      const a = await spawnCli([...common, "--epochs", "4", "--out", straight]);
      assert.equal(a.code, 0, a.stderr);
      const b1 = await spawnCli([...common, "--epochs", "2", "--out", split]);
      assert.equal(b1.code, 0, b1.stderr);
      const b2 = await spawnCli([
        "--resume",
        split,
        "--epochs",
        "4",
        "--workers",
        workers,
        "--json",
      ]);
      assert.equal(b2.code, 0, b2.stderr);
      const epochs = b2.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).filter((l) =>
        l.event === "epoch"
      ).map((l) => l.epoch);
      assert.deepEqual(epochs, [3, 4], "the resumed run trains only epochs 3 and 4");
      const weights = async (dir: string) => {
        const bytes = new Uint8Array(await readFile(join(dir, "model.safetensors")));
        const { dataStart } = readSafetensorsHeader(bytes);
        return bytes.subarray(dataStart);
      };
      assert.deepEqual(await weights(split), await weights(straight));
      const history = async (dir: string) =>
        JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")).epochs.map((
          e: { trainLoss: number },
        ) => e.trainLoss);
      assert.deepEqual(await history(split), await history(straight));
    } finally {
      await rm(straight, { recursive: true });
      await rm(split, { recursive: true });
    }
  });
}

test("train.ts --eval prints the metrics of a checkpoint (same accuracy as at the end of training)", async () => {
  const out = await tempDir();
  try {
    const trained = await spawnCli([...MOONS, "--json", "--out", out]);
    assert.equal(trained.code, 0, trained.stderr);
    const accuracy = JSON.parse(trained.stdout.trimEnd().split("\n").at(-1)!).testAccuracy;
    const text = await spawnCli(["--eval", out]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`test accuracy ${(100 * accuracy).toFixed(2)}%`));
    assert.match(text.stdout, /macro precision [\d.]+%\s+recall [\d.]+%\s+F1 [\d.]+%/);
    assert.match(text.stdout, /confusion matrix \(rows: true class, columns: predicted class\)/);
    const json = await spawnCli(["--eval", out, "--json"]);
    const lines = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.event), ["result"]);
    assert.equal(lines[0].testAccuracy, accuracy);
  } finally {
    await rm(out, { recursive: true });
  }
});

test("train.ts --eval of a truncated checkpoint exits 1 with one error naming the file", async () => {
  const out = await tempDir();
  try {
    assert.equal((await spawnCli([...MOONS, "--epochs", "1", "--quiet", "--out", out])).code, 0);
    const path = join(out, "model.safetensors");
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    const run = await spawnCli(["--eval", out]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: Cannot read safetensors file .*model\.safetensors: .*\n$/);
    assert.equal(run.stderr.split("\n").length, 2, "one line");
  } finally {
    await rm(out, { recursive: true });
  }
});

test("train.ts stops on a non-finite loss with an error naming the epoch and step (exit 1)", async () => {
  const out = await tempDir();
  try {
    const run = await spawnCli([
      ...MOONS,
      "--optimizer",
      "sgd",
      "--lr",
      "1e30",
      "--scheduler",
      "none",
      "--quiet",
      "--out",
      out,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: Training diverged: the loss is (NaN|Infinity) at epoch 1, step \d+ of 24/,
    );
  } finally {
    await rm(out, { recursive: true });
  }
});

test("train.ts --quiet prints only the final accuracy; --resume refuses to change the run's settings", async () => {
  const out = await tempDir();
  try {
    const run = await spawnCli([...MOONS, "--epochs", "1", "--quiet", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^test accuracy \d+\.\d\d% \(\d+\/250\)\n$/);
    const bad = await spawnCli(["--resume", out, "--lr", "0.5"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --lr cannot be used with --resume/);
  } finally {
    await rm(out, { recursive: true });
  }
});

test("train.ts trains a JSON spec file given with --model", async () => {
  const out = await tempDir();
  try {
    const spec = join(out, "tiny.json");
    await writeFile(
      spec,
      JSON.stringify({
        layers: [{ type: "linear", inFeatures: 2, outFeatures: 16 }, { type: "tanh" }, {
          type: "linear",
          inFeatures: 16,
          outFeatures: 4,
        }],
      }),
    );
    const run = await spawnCli([
      "--dataset",
      "blobs",
      "--model",
      spec,
      "--workers",
      "1",
      "--epochs",
      "2",
      "--quiet",
      "--out",
      join(out, "run"),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(await readFile(join(out, "run", "model.json"), "utf8")),
      JSON.parse(await readFile(spec, "utf8")),
    );
  } finally {
    await rm(out, { recursive: true });
  }
});

test("train.ts trains lenet on a small MNIST subset from the local mirror", async () => {
  const out = await tempDir();
  try {
    const run = await spawnCli([
      "--mirror",
      MNIST_MIRROR,
      "--model",
      "lenet",
      "--workers",
      "1",
      "--epochs",
      "1",
      "--limit-train",
      "2000",
      "--limit-test",
      "500",
      "--json",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trimEnd().split("\n").at(-1)!);
    assert.equal(result.count, 500);
    assert.ok(result.testAccuracy > 0.6, `accuracy ${result.testAccuracy}`);
    const { entries } = readSafetensorsHeader(
      new Uint8Array(await readFile(join(out, "model.safetensors"))),
    );
    assert.deepEqual(entries["0.weight"].shape, [8, 1, 5, 5]);
    assert.deepEqual(entries["7.weight"].shape, [10, 400]);
  } finally {
    await rm(out, { recursive: true });
  }
});
