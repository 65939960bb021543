/**
 * Optimizer update speed: nanoseconds per parameter element of each rule's `update`
 * (optim/rules.ts, the loops in tensor/kernels/optimizer.ts) over a char-gpt-sized model
 * (0.82M parameters in 4 transformer layers' worth of tensors, 128 wide), as a markdown table.
 *
 *   deno run -A bench/optimizer_bench.ts [--rounds 7] [--steps 20] [--shared | --arena] [--only adamw,sgd]
 *   bun bench/optimizer_bench.ts [--rounds 7] [--steps 20] [--shared | --arena] [--only adamw,sgd]
 *
 * `--only` keeps the configurations of the named rules (several configurations of one rule
 * make its update function see several shapes of state, as no single training run does).
 * `--shared` puts parameters, gradients and state in SharedArrayBuffers (the WebAssembly loops
 * copy them in and out); `--arena` in one shared WebAssembly.Memory, as DataParallel's workers
 * hold them (parallel/arena.ts), where those loops run in place. The configurations are timed
 * in `rounds` rounds, interleaved so a burst of load from other processes hits all alike; each
 * round runs `steps` updates of every tensor; the table gives the best and the median round. Values stay finite: gradients are
 * small random numbers, and parameters move by at most lr per step.
 */

import { parseArgs } from "node:util";
import { type AnyUpdateRule, type OptimizerName, optimizerRules } from "../optim/rules.ts";
import type { StateBuffers } from "../optim/optimizer.ts";
import { Rng } from "../tensor/rng.ts";
import { commandLine, runtimeName } from "./_runtime.ts";
import {
  allocateSharedMemory,
  growSharedMemory,
  sharedMemoryFloats,
} from "../tensor/kernels/mod.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    steps: { type: "string", default: "20" },
    shared: { type: "boolean", default: false },
    arena: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
if (!(rounds >= 1 && steps >= 1)) throw new RangeError("--rounds and --steps must be ≥ 1");

/** The configurations timed: [label, rule name, options]. */
const CONFIGS: [string, OptimizerName, Record<string, unknown>][] = [
  ["SGD", "sgd", { lr: 0.01 }],
  ["SGD momentum 0.9, wd 1e-4", "sgd", { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 }],
  ["SGD Nesterov", "sgd", { lr: 0.01, momentum: 0.9, nesterov: true }],
  ["Adam", "adam", { lr: 1e-3 }],
  ["AdamW", "adamw", { lr: 1e-3 }],
  ["AdamW amsgrad", "adamw", { lr: 1e-3, amsgrad: true }],
  ["RMSprop", "rmsprop", { lr: 1e-3 }],
  ["RMSprop centered, momentum", "rmsprop", { lr: 1e-3, centered: true, momentum: 0.9 }],
  ["Adagrad", "adagrad", { lr: 0.01 }],
  ["Lion", "lion", { lr: 1e-4, weightDecay: 0.1 }],
];

/** char-gpt's parameter tensors: embeddings, 4 × (LayerNorm, packed qkv, out proj, LayerNorm, MLP), head. */
function charGptSizes(): number[] {
  const d = 128;
  const sizes = [65 * d, 64 * d];
  for (let l = 0; l < 4; l++) {
    sizes.push(d, d, 3 * d * d, 3 * d, d * d, d, d, d, 4 * d * d, 4 * d, 4 * d * d, d);
  }
  sizes.push(d, d, 65 * d, 65);
  return sizes;
}

interface Slot {
  param: Float32Array;
  grad: Float32Array;
  state: StateBuffers;
  step: number;
}

if (values.arena && values.shared) throw new RangeError("--arena and --shared exclude each other");
const arena = values.arena ? allocateSharedMemory(1 << 20, 2 ** 31) : null;
if (values.arena && arena === null) {
  throw new RangeError("--arena: this runtime cannot make a shared WebAssembly.Memory");
}
let arenaUsed = 0;

function alloc(n: number): Float32Array {
  if (arena !== null) {
    const at = arenaUsed;
    arenaUsed += 4 * n + 64 - ((4 * n) % 64);
    if (!growSharedMemory(arena, arenaUsed)) {
      throw new RangeError("--arena: the memory cannot grow");
    }
    return sharedMemoryFloats(arena, at, n);
  }
  return values.shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}

function setup(rule: AnyUpdateRule, hp: { lr: number }, sizes: number[], rng: Rng): Slot[] {
  return sizes.map((n) => {
    const param = alloc(n);
    const grad = alloc(n);
    for (let i = 0; i < n; i++) {
      param[i] = rng.normal() * 0.02;
      grad[i] = rng.normal() * 1e-3;
    }
    const state: StateBuffers = {};
    for (const name of rule.stateNames(hp)) {
      state[name] = alloc(n).fill(rule.initialState(name, hp));
    }
    return { param, grad, state, step: 0 };
  });
}

const sizes = charGptSizes();
const total = sizes.reduce((a, b) => a + b, 0);
const rng = new Rng(0);
const only = values.only?.split(",");
for (const name of only ?? []) {
  if (!CONFIGS.some(([, rule]) => rule === name)) {
    throw new RangeError(
      `--only: unknown optimizer "${name}" (known: ${
        [...new Set(CONFIGS.map((c) => c[1]))].join(", ")
      })`,
    );
  }
}
const runs = CONFIGS.filter(([, name]) => only === undefined || only.includes(name)).map(
  ([label, name, options]) => {
    const rule: AnyUpdateRule = optimizerRules[name];
    const hp = rule.validate(options);
    return { label, rule, hp, slots: setup(rule, hp, sizes, rng), times: [] as number[] };
  },
);

function round(run: (typeof runs)[number]): number {
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    for (const slot of run.slots) {
      slot.step++;
      run.rule.update(slot.param, slot.grad, slot.state, slot.step, run.hp, 0, slot.param.length);
    }
  }
  return ((performance.now() - t0) * 1e6) / (steps * total);
}

for (const run of runs) round(run); // warm-up: let the JIT compile every loop
for (let r = 0; r < rounds; r++) for (const run of runs) run.times.push(round(run));

console.log(`${runtimeName()}: ${commandLine()}`);
console.log(
  `${total} parameters in ${sizes.length} tensors (${
    values.arena
      ? "a shared WebAssembly.Memory"
      : values.shared
      ? "SharedArrayBuffer"
      : "ArrayBuffer"
  }), ${steps} steps per round, ${rounds} rounds\n`,
);
console.log("| optimizer | best ns/element | median ns/element | ms per step (best) |");
console.log("|---|---:|---:|---:|");
for (const run of runs) {
  const sorted = [...run.times].sort((a, b) => a - b);
  const best = sorted[0];
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `| ${run.label} | ${best.toFixed(2)} | ${median.toFixed(2)} | ${
      (best * total / 1e6).toFixed(2)
    } |`,
  );
}
