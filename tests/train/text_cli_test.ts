import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensorsHeader } from "../../train/safetensors.ts";
import { spawnCli } from "./_run_cli.ts";
import { nanoGptInit, TEXT_PRESETS, textLearningRate } from "../../train/text_presets.ts";
import { buildModel } from "../../layers/spec.ts";
import { Rng } from "../../tensor/rng.ts";
import { tokenData } from "../../train/text_loop.ts";
import { TextDataset } from "../../data/text.ts";
import { LocalTrainer } from "../../train/local_trainer.ts";
import { DataParallel } from "../../parallel/data_parallel.ts";

/** A small corpus with Shakespeare's shape: speaker lines and verse (2,605 characters, vocabulary 34). */
const CORPUS = Array.from(
  { length: 30 },
  (_, i) =>
    `${
      i % 2 === 0 ? "ROMEO" : "JULIET"
    }:\nBut soft, what light through yonder window breaks?\nIt is the east${
      i % 3 === 0 ? "" : ", and"
    } the sun.\n\n`,
).join("");

/** char-lstm at toy sizes: 20 iterations of 4 windows of 8 characters, evaluated every 10. */
const TINY = [
  "--dataset",
  "text",
  "--iters",
  "20",
  "--eval-interval",
  "10",
  "--eval-iters",
  "2",
  "--batch-size",
  "4",
  "--block-size",
  "8",
  "--n-embd",
  "8",
  "--hidden-size",
  "16",
  "--warmup-iters",
  "2",
  "--lr",
  "0.01",
];

async function withCorpus(fn: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "shardgrad-text-cli-"));
  try {
    const file = join(dir, "corpus.txt");
    await writeFile(file, CORPUS);
    await fn(dir, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
}

type Eval = { iter: number; trainLoss: number; valLoss: number; tokensPerSecond: number | null };
const evals = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.event === "eval") as unknown as Eval[];

test("train.ts --dataset text trains char-lstm, reports nats/char and tokens/s, saves PyTorch keys and the vocabulary", async () => {
  await withCorpus(async (dir, file) => {
    const out = join(dir, "run");
    const run = await spawnCli([...TINY, "--file", file, "--workers", "1", "--json", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines.map((l) => l.event), ["start", "eval", "eval", "eval", "result"]);
    const [e0, e10, e20] = evals(lines);
    assert.deepEqual([e0.iter, e10.iter, e20.iter], [0, 10, 20]);
    // Untrained: about ln(34) nats per character; training lowers it.
    assert.ok(Math.abs(e0.valLoss - Math.log(34)) < 0.5, String(e0.valLoss));
    assert.ok(e20.trainLoss < e0.trainLoss - 0.3, `${e0.trainLoss} → ${e20.trainLoss}`);
    assert.equal(e0.tokensPerSecond, null);
    assert.ok(e20.tokensPerSecond! > 0);
    const state = JSON.parse(await readFile(join(out, "state.json"), "utf8"));
    assert.equal(state.format, "shardgrad-text-train-state");
    assert.equal(state.vocabulary, [...new Set(CORPUS)].sort().join(""));
    assert.equal(state.iter, 20);
    const header = readSafetensorsHeader(
      new Uint8Array(await readFile(join(out, "model.safetensors"))),
    );
    assert.deepEqual(Object.keys(header.entries).sort(), [
      "0.weight",
      "1.bias_hh_l0",
      "1.bias_hh_l1",
      "1.bias_ih_l0",
      "1.bias_ih_l1",
      "1.weight_hh_l0",
      "1.weight_hh_l1",
      "1.weight_ih_l0",
      "1.weight_ih_l1",
      "2.bias",
      "2.weight",
    ]);
    assert.deepEqual(header.entries["1.weight_ih_l0"].shape, [64, 8]);
    assert.deepEqual(header.entries["2.weight"].shape, [34, 16]);
  });
});

test("train.ts --dataset text: 2 workers give the losses of 1 worker (DataParallel on token windows)", async () => {
  await withCorpus(async (dir, file) => {
    const runs = [];
    for (const workers of ["1", "2"]) {
      const run = await spawnCli([
        ...TINY,
        "--file",
        file,
        "--workers",
        workers,
        "--json",
        "--out",
        join(dir, workers),
      ]);
      assert.equal(run.code, 0, run.stderr);
      runs.push(evals(jsonLines(run.stdout)));
    }
    assert.equal(runs[1].length, 3);
    for (const [i, one] of runs[0].entries()) {
      const two: Eval = runs[1][i];
      assert.ok(
        Math.abs(one.trainLoss - two.trainLoss) < 1e-4,
        `iter ${one.iter}: ${one.trainLoss} vs ${two.trainLoss}`,
      );
      assert.ok(
        Math.abs(one.valLoss - two.valLoss) < 1e-4,
        `iter ${one.iter}: ${one.valLoss} vs ${two.valLoss}`,
      );
    }
  });
});

test("train.ts --resume of a text run continues to the same losses as an uninterrupted run", async () => {
  await withCorpus(async (dir, file) => {
    const straight = await spawnCli([
      ...TINY,
      "--file",
      file,
      "--workers",
      "1",
      "--json",
      "--out",
      join(dir, "a"),
    ]);
    assert.equal(straight.code, 0, straight.stderr);
    // Stopped at 10 of the 20 iterations the schedule was laid out for (nanoGPT's lr_decay_iters).
    const short = [
      ...TINY.map((a, i) => (TINY[i - 1] === "--iters" ? "10" : a)),
      "--lr-decay-iters",
      "20",
    ];
    const first = await spawnCli([
      ...short,
      "--file",
      file,
      "--workers",
      "1",
      "--json",
      "--out",
      join(dir, "b"),
    ]);
    assert.equal(first.code, 0, first.stderr);
    const resumed = await spawnCli([
      "--resume",
      join(dir, "b"),
      "--iters",
      "20",
      "--workers",
      "1",
      "--json",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const want = evals(jsonLines(straight.stdout)).at(-1)!;
    const got = evals(jsonLines(resumed.stdout));
    assert.deepEqual(got.map((e) => e.iter), [20]);
    assert.equal(got[0].trainLoss, want.trainLoss);
    assert.equal(got[0].valLoss, want.valLoss);
    // Past the schedule's end the rate stays at --min-lr (announced, not re-laid).
    const lines = await spawnCli(["--resume", join(dir, "b"), "--iters", "30", "--workers", "1"]);
    assert.equal(lines.code, 0, lines.stderr);
    assert.match(lines.stdout, /the learning rate stays at 0\.0002 after iteration 20/);
  });
});

test("train.ts --generate N prints N characters of the vocabulary; --seed repeats it; --eval reports the val loss", async () => {
  await withCorpus(async (dir, file) => {
    const out = join(dir, "run");
    const trained = await spawnCli([
      ...TINY,
      "--file",
      file,
      "--workers",
      "1",
      "--quiet",
      "--out",
      out,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(
      trained.stdout,
      /^val loss \d+\.\d{4} nats\/char \(\d+\.\d{3} bits\/char\) at iteration 20\n$/,
    );
    const vocabulary = new Set(CORPUS);
    const samples = [];
    for (const seed of ["1", "1", "2"]) {
      const run = await spawnCli([
        "--generate",
        "120",
        "--out",
        out,
        "--seed",
        seed,
        "--temperature",
        "0.8",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stdout.endsWith("\n"));
      const chars = Array.from(run.stdout.slice(0, -1));
      assert.equal(chars.length, 120);
      assert.ok(chars.every((c) => vocabulary.has(c)), run.stdout);
      samples.push(run.stdout);
    }
    assert.equal(samples[0], samples[1]);
    assert.notEqual(samples[0], samples[2]);
    const json = await spawnCli(["--generate", "5", "--out", out, "--prompt", "ROMEO:", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const [sample] = jsonLines(json.stdout);
    assert.equal(sample.event, "sample");
    assert.equal(sample.prompt, "ROMEO:");
    assert.equal(Array.from(sample.text as string).length, 5);
    const badPrompt = await spawnCli(["--generate", "5", "--out", out, "--prompt", "Zounds"]);
    assert.equal(badPrompt.code, 2);
    assert.match(
      badPrompt.stderr,
      /^error: --prompt: character "Z" \(U\+005A\) at position 0 is not in the vocabulary of 34 characters/,
    );
    const evaluated = await spawnCli(["--eval", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const [result] = jsonLines(evaluated.stdout);
    assert.equal(result.event, "result");
    assert.ok(Number.isFinite(result.valLoss) && (result.valLoss as number) > 0);
    assert.equal(
      result.windows,
      Math.floor((CORPUS.length - Math.floor(CORPUS.length * 0.9) - 1) / 8),
    );
  });
});

test("train.ts --model char-gpt trains a causal transformer with PyTorch's TransformerEncoderLayer keys and samples from it", async () => {
  await withCorpus(async (dir, file) => {
    const out = join(dir, "gpt");
    const gpt = ["--model", "char-gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "8"];
    const run = await spawnCli([
      ...TINY.slice(0, 12),
      "--warmup-iters",
      "2",
      "--lr",
      "0.01",
      ...gpt,
      "--file",
      file,
      "--workers",
      "2",
      "--json",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const [e0, , e20] = evals(jsonLines(run.stdout));
    assert.ok(e20.trainLoss < e0.trainLoss, `${e0.trainLoss} → ${e20.trainLoss}`);
    const header = readSafetensorsHeader(
      new Uint8Array(await readFile(join(out, "model.safetensors"))),
    );
    assert.deepEqual(Object.keys(header.entries).sort(), [
      "0.wpe.weight",
      "0.wte.weight",
      "1.linear1.bias",
      "1.linear1.weight",
      "1.linear2.bias",
      "1.linear2.weight",
      "1.norm1.bias",
      "1.norm1.weight",
      "1.norm2.bias",
      "1.norm2.weight",
      "1.self_attn.in_proj_bias",
      "1.self_attn.in_proj_weight",
      "1.self_attn.out_proj.bias",
      "1.self_attn.out_proj.weight",
      "2.bias",
      "2.weight",
      "3.bias",
      "3.weight",
    ]);
    assert.deepEqual(header.entries["0.wpe.weight"].shape, [8, 8]);
    assert.deepEqual(header.entries["1.self_attn.in_proj_weight"].shape, [24, 8]);
    const sample = await spawnCli(["--generate", "30", "--out", out]);
    assert.equal(sample.code, 0, sample.stderr);
    assert.equal(Array.from(sample.stdout.slice(0, -1)).length, 30);
    const odd = await spawnCli([
      "--dataset",
      "text",
      "--model",
      "char-gpt",
      "--n-embd",
      "6",
      "--n-head",
      "4",
      "--file",
      file,
      "--out",
      join(dir, "odd"),
    ]);
    assert.equal(odd.code, 2);
    assert.match(
      odd.stderr,
      /^error: Cannot build preset "char-gpt": n-embd 6 is not divisible by n-head 4/,
    );
  });
});

/** Command lines that are wrong for text runs: exit code, start of the error. */
const BAD: [string[], number, RegExp][] = [
  [
    ["--dataset", "text", "--epochs", "3"],
    2,
    /^error: --epochs does not apply to --dataset text \(text runs count optimizer steps: use --iters\)/,
  ],
  [
    ["--dataset", "moons", "--iters", "3"],
    2,
    /^error: --iters applies to text runs only: add --dataset text/,
  ],
  [
    ["--dataset", "text", "--iters", "5", "--warmup-iters", "5"],
    2,
    /^error: --warmup-iters 5 is not below --iters 5/,
  ],
  [
    ["--dataset", "text", "--block-size", "500"],
    1,
    /^error: Cannot build the text dataset from .*corpus\.txt: its val split has 261 characters \(of 2605\), blockSize 500 needs at least 501/,
  ],
  [
    ["--dataset", "text", "--model", "char-gpt", "--hidden-size", "64"],
    2,
    /^error: --hidden-size does not size char-gpt \(it takes --n-layer, --n-head, --n-embd, --block-size\)/,
  ],
  [
    ["--dataset", "text", "--model", "lenet"],
    2,
    /^error: --model: "lenet" is not a text preset \(char-lstm, char-gpt\) or a \.json spec file/,
  ],
];
for (const [args, code, message] of BAD) {
  test(`train.ts ${args.join(" ")} exits ${code} with one clear error`, async () => {
    await withCorpus(async (dir, file) => {
      const run = await spawnCli([...args, "--file", file, "--out", join(dir, "out")]);
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, message);
    });
  });
}

test("train.ts --dataset text --file refuses a missing, empty or non-UTF-8 file naming it", async () => {
  await withCorpus(async (dir) => {
    const empty = join(dir, "empty.txt");
    await writeFile(empty, "");
    const latin1 = join(dir, "latin1.txt");
    await writeFile(latin1, new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    for (
      const [file, message] of [
        [join(dir, "missing.txt"), /missing\.txt: no such file/],
        [empty, /empty\.txt: it is empty/],
        [latin1, /latin1\.txt: invalid UTF-8 at byte 3 \(0xe9\)/],
      ] as const
    ) {
      const run = await spawnCli(["--dataset", "text", "--file", file, "--out", join(dir, "out")]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, message);
    }
  });
});

test("textLearningRate() is nanoGPT's get_lr: warmup (it + 1)/(warmup + 1), cosine to minLr, then minLr", () => {
  const schedule = { lr: 1e-3, minLr: 1e-4, warmupIters: 100, decayIters: 2000 };
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-15, `${a} vs ${b}`);
  close(textLearningRate(0, schedule), 1e-3 / 101);
  close(textLearningRate(99, schedule), 1e-3 * 100 / 101);
  close(textLearningRate(100, schedule), 1e-3);
  close(textLearningRate(1050, schedule), 5.5e-4);
  close(textLearningRate(2000, schedule), 1e-4);
  close(textLearningRate(2001, schedule), 1e-4);
});

test("DataParallel on token windows: losses and one prediction per character, as LocalTrainer", async () => {
  const data = TextDataset.fromText(CORPUS, { blockSize: 8 });
  const spec = TEXT_PRESETS["char-lstm"].build(data.vocabulary.size, {
    nLayer: 1,
    nHead: 1,
    nEmbd: 8,
    hiddenSize: 8,
    blockSize: 8,
  });
  const config = {
    model: spec,
    loss: { type: "cross_entropy" as const },
    optimizer: { type: "adamw" as const, lr: 0.01 },
    seed: 3,
  };
  const local = await LocalTrainer.fromConfig(config);
  const parallel = await DataParallel.create({ ...config, workers: 2 });
  try {
    const batch = new Int32Array([0, 17, 400, 1000, 2000]);
    const evalStarts = new Int32Array([0, 9, 100, 200, 250]);
    const results = [];
    for (const trainer of [local, parallel]) {
      await trainer.setData("train", tokenData(data, "train"));
      await trainer.setData("test", tokenData(data, "val"));
      const step = await trainer.step(batch);
      const evaluation = await trainer.evaluate("test", evalStarts);
      assert.equal(step.count, 5);
      assert.equal(evaluation.count, 5);
      assert.equal(evaluation.predictions.length, 5 * 8);
      results.push({ step, evaluation });
    }
    assert.ok(Math.abs(results[0].step.loss - results[1].step.loss) < 1e-5);
    assert.ok(Math.abs(results[0].evaluation.loss - results[1].evaluation.loss) < 1e-5);
    assert.deepEqual(results[1].evaluation.predictions, results[0].evaluation.predictions);
    await assert.rejects(
      parallel.setData("train", { ...tokenData(data, "train"), vocabSize: 3 }),
      /token \d+ at position \d+ is outside the vocabulary \[0, 3\)/,
    );
  } finally {
    await local.close();
    await parallel.close();
  }
});

test("train.ts --dataset text --model FILE.json trains a spec (a GRU); one whose logits do not fit the vocabulary is refused", async () => {
  await withCorpus(async (dir, file) => {
    const spec = (outFeatures: number) =>
      JSON.stringify({
        layers: [
          { type: "embedding", numEmbeddings: 34, embeddingDim: 8 },
          { type: "gru", inputSize: 8, hiddenSize: 8, batchFirst: true },
          { type: "linear", inFeatures: 8, outFeatures },
          { type: "flatten", startDim: 0, endDim: 1 },
        ],
      });
    await writeFile(join(dir, "gru.json"), spec(34));
    await writeFile(join(dir, "bad.json"), spec(30));
    const args = [
      ...TINY.slice(0, 12),
      "--warmup-iters",
      "2",
      "--file",
      file,
      "--workers",
      "1",
      "--json",
    ];
    const run = await spawnCli([
      ...args,
      "--model",
      join(dir, "gru.json"),
      "--out",
      join(dir, "a"),
    ]);
    assert.equal(run.code, 0, run.stderr);
    const header = readSafetensorsHeader(
      new Uint8Array(await readFile(join(dir, "a", "model.safetensors"))),
    );
    assert.deepEqual(header.entries["1.weight_ih_l0"].shape, [24, 8]);
    const bad = await spawnCli([
      ...args,
      "--model",
      join(dir, "bad.json"),
      "--out",
      join(dir, "b"),
    ]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /bad\.json outputs \[8,30\] for a window \[1, 8\]; a text model must output \[8, 34\] logits/,
    );
  });
});

test("nanoGptInit() sets char-gpt's matrices to N(0, 0.02²), residual projections to 0.02/√(2·nLayer), biases to 0", () => {
  const sizes = { nLayer: 2, nHead: 2, nEmbd: 32, hiddenSize: 1, blockSize: 16 };
  const state = buildModel(TEXT_PRESETS["char-gpt"].build(40, sizes)).stateDict();
  nanoGptInit(state, sizes, new Rng(0));
  const std = (key: string) => {
    const d = state[key].data;
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    return Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
  };
  for (
    const key of [
      "0.wte.weight",
      "0.wpe.weight",
      "1.self_attn.in_proj_weight",
      "2.linear1.weight",
      "4.weight",
    ]
  ) {
    assert.ok(Math.abs(std(key) - 0.02) < 0.002, `${key}: std ${std(key)}`);
  }
  for (const key of ["1.self_attn.out_proj.weight", "2.linear2.weight"]) {
    assert.ok(Math.abs(std(key) - 0.01) < 0.001, `${key}: std ${std(key)}`);
  }
  for (const key of ["1.linear1.bias", "2.self_attn.in_proj_bias", "3.bias", "4.bias"]) {
    assert.ok(state[key].data.every((v) => v === 0), key);
  }
  assert.ok(state["1.norm1.weight"].data.every((v) => v === 1));
});

test("train.ts --eval DIR --dataset text on an image checkpoint exits 2 naming it; --generate from it exits 1", async () => {
  await withCorpus(async (dir) => {
    const out = join(dir, "moons");
    const trained = await spawnCli([
      "--dataset",
      "moons",
      "--epochs",
      "1",
      "--workers",
      "1",
      "--quiet",
      "--out",
      out,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const run = await spawnCli(["--eval", out, "--dataset", "text"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /^error: Cannot evaluate .*moons on text: it is not a text checkpoint/,
    );
    const sample = await spawnCli(["--generate", "10", "--out", out]);
    assert.equal(sample.code, 1, sample.stderr);
    assert.match(sample.stderr, /^error: Cannot generate from .*state\.json: format: /);
  });
});
