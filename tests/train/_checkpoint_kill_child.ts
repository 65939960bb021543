/**
 * The process the kill tests SIGKILL: it loads the checkpoint in a folder (generation g)
 * and saves g+1, g+2, ... of a small model, printing "saved <g> <ms>" after each save.
 *
 *   _checkpoint_kill_child.ts DIR loop [MAX_SAVES]   saves until killed (or MAX_SAVES saves)
 *   _checkpoint_kill_child.ts DIR crash STEP         saves once, SIGKILLing itself after STEP
 */

import process from "node:process";
import { loadCheckpoint, saveCheckpoint } from "../../train/checkpoint.ts";
import { SAVE_STEPS, saveHooks, type SaveStep } from "../../train/_checkpoint_fs.ts";
import { generationCheckpoint, generationOf } from "./_checkpoint_generation.ts";

const [dir, mode, arg] = process.argv.slice(2);
let g = generationOf(await loadCheckpoint(dir), dir);
if (mode === "crash") {
  if (!(SAVE_STEPS as readonly string[]).includes(arg)) throw new Error(`unknown step ${arg}`);
  saveHooks.afterStep = (step: SaveStep) => {
    if (step === arg) process.kill(process.pid, "SIGKILL");
  };
  await saveCheckpoint(dir, generationCheckpoint(g + 1));
  console.log(`not killed after ${arg}`);
} else if (mode === "loop") {
  const max = arg === undefined ? Infinity : Number(arg);
  for (let n = 0; n < max; n++) {
    const started = performance.now();
    await saveCheckpoint(dir, generationCheckpoint(++g));
    process.stdout.write(`saved ${g} ${(performance.now() - started).toFixed(2)}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
