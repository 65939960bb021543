/**
 * Checkpoints survive `kill -9`: a child process (same runtime as the test) saves
 * checkpoints in a loop and is SIGKILLed at random moments, many times, and after every
 * kill the folder must load as the previous or the new generation, complete. A second
 * suite kills the child after each step of a save, one step per test.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../../tensor/rng.ts";
import {
  CHECKPOINT_FILES,
  LATEST_LINK,
  loadCheckpoint,
  loadStateDict,
  saveCheckpoint,
} from "../../train/checkpoint.ts";
import { SAVE_STEPS } from "../../train/_checkpoint_fs.ts";
import { generationCheckpoint, generationOf } from "./_checkpoint_generation.ts";
import { IS_DENO, runtimeCommand } from "./_run_cli.ts";

const CHILD = fileURLToPath(new URL("./_checkpoint_kill_child.ts", import.meta.url));
const RUNTIME = IS_DENO ? "deno" : "bun";
const KILLS = 40;

/** A running child: its "saved g ms" lines so far, and a promise of its end. */
interface Child {
  saved: { g: number; ms: number }[];
  firstSave: Promise<void>;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(): void;
}

function startChild(args: string[]): Child {
  const [command, argv] = runtimeCommand(CHILD, args);
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const saved: { g: number; ms: number }[] = [];
  let stdout = "";
  let stderr = "";
  let onFirst = () => {};
  const firstSave = new Promise<void>((resolve) => (onFirst = resolve));
  child.stdout!.on("data", (chunk) => {
    stdout += chunk;
    const lines = stdout.split("\n");
    stdout = lines.pop()!;
    for (const line of lines) {
      const [word, g, ms] = line.split(" ");
      if (word === "saved") saved.push({ g: Number(g), ms: Number(ms) });
    }
    if (saved.length > 0) onFirst();
  });
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { saved, firstSave, exit, kill: () => child.kill("SIGKILL") };
}

/** What a kill left in the run folder, read from its listing: the phase the save was in. */
async function phaseOf(dir: string): Promise<string> {
  const names = await readdir(dir);
  const latest = await readlink(join(dir, LATEST_LINK));
  const generations = names.filter((n) => /^checkpoint-\d+$/.test(n) && n !== latest);
  if (names.some((n) => /^\.checkpoint-.*\.tmp$/.test(n))) return "writing the new generation";
  if (generations.some((n) => n > latest)) return "new generation complete, latest not switched";
  if (names.some((n) => /^\.latest\..*\.tmp$/.test(n))) return "switching latest";
  if (generations.some((n) => n < latest)) return "latest switched, previous not removed";
  return "between saves (or cleaning up)";
}

/** Loads `dir` as a training run would and as PyTorch would (the link at the top); returns the generation. */
async function loadGeneration(dir: string): Promise<number> {
  const g = generationOf(await loadCheckpoint(dir), dir);
  const { tensors } = await loadStateDict(join(dir, CHECKPOINT_FILES.model));
  assert.ok(
    tensors["0.weight"].data.every((v) => v === g),
    "model.safetensors at the top is latest's",
  );
  return g;
}

test(
  `checkpoints survive ${KILLS} random SIGKILLs during saves (${RUNTIME})`,
  { timeout: 180_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "shardgrad-kill-"));
    const rng = new Rng(11);
    const phases: Record<string, number> = {};
    const torn: string[] = [];
    let saves = 0;
    try {
      await saveCheckpoint(dir, generationCheckpoint(0));
      let expected = 0;
      for (let run = 0; run < KILLS; run++) {
        const child = startChild([dir, "loop"]);
        await Promise.race([child.firstSave, child.exit]);
        // Kill somewhere within the next few saves (the child saves back to back).
        const ms = child.saved.map((s) => s.ms).sort((a, b) => a - b);
        await new Promise((r) => setTimeout(r, rng.uniform(0, 3 * (ms[0] ?? 20))));
        child.kill();
        const { signal, stderr } = await child.exit;
        assert.equal(signal, "SIGKILL", `run ${run}: the child ended by itself: ${stderr}`);
        assert.ok(child.saved.length > 0, `run ${run}: the child never saved: ${stderr}`);
        saves += child.saved.length;
        const last = child.saved.at(-1)!.g;
        assert.equal(
          child.saved[0].g,
          expected + 1,
          `run ${run} resumed from generation ${expected}`,
        );
        const phase = await phaseOf(dir);
        phases[phase] = (phases[phase] ?? 0) + 1;
        try {
          expected = await loadGeneration(dir);
          // Killed after a save finished but before it printed: the next one counts.
          assert.ok(
            expected === last || expected === last + 1,
            `generation ${expected} after ${last}`,
          );
        } catch (error) {
          torn.push(`run ${run} (${phase}): ${(error as Error).message}`);
          break;
        }
      }
      // A save that runs to the end leaves one generation, the pointer and the links.
      const final = startChild([dir, "loop", "1"]);
      assert.equal((await final.exit).code, 0);
      assert.equal(await loadGeneration(dir), final.saved[0].g);
      assert.deepEqual(
        (await readdir(dir)).sort(),
        [await readlink(join(dir, LATEST_LINK)), LATEST_LINK, ...Object.values(CHECKPOINT_FILES)]
          .sort(),
        "no temp files, one generation",
      );
      console.log(
        `${RUNTIME}: ${KILLS} runs, ${KILLS} kills, ${saves} completed saves, torn = ${torn.length}; ` +
          `kills by phase: ${JSON.stringify(phases)}`,
      );
      assert.deepEqual(torn, [], "every kill left a loadable, consistent checkpoint");
      const midSave = KILLS - (phases["between saves (or cleaning up)"] ?? 0);
      assert.ok(midSave >= KILLS / 3, `only ${midSave} of ${KILLS} kills landed inside a save`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

/** Steps after which the new generation is the one that loads. */
const NEW_FROM = SAVE_STEPS.indexOf("latest");

for (const [i, step] of SAVE_STEPS.entries()) {
  test(
    `a SIGKILL right after save step "${step}" leaves generation ${
      i >= NEW_FROM ? "2" : "1"
    } loadable, cleaned by the next save (${RUNTIME})`,
    { timeout: 30_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "shardgrad-step-"));
      try {
        await saveCheckpoint(dir, generationCheckpoint(1));
        const child = startChild([dir, "crash", step]);
        const { signal, stderr } = await child.exit;
        assert.equal(signal, "SIGKILL", `the child was not killed: ${stderr}`);
        assert.equal(await loadGeneration(dir), i >= NEW_FROM ? 2 : 1);
        await saveCheckpoint(dir, generationCheckpoint(3));
        assert.equal(await loadGeneration(dir), 3);
        assert.deepEqual(
          (await readdir(dir)).filter((n) => n.startsWith(".") || n.startsWith("checkpoint-")),
          [i >= NEW_FROM ? "checkpoint-000003" : "checkpoint-000002"],
          "temp files and the other generations are gone",
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}
