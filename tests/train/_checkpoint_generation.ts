/**
 * The checkpoints the kill tests save: generation g of a small model (a 256×256 Linear and
 * a BatchNorm, ~0.5 MB with the optimizer state) whose every number is g, so a loaded
 * checkpoint tells which save it came from and whether all its files come from that save.
 */

import { Tensor } from "../../tensor/tensor.ts";
import type { Checkpoint } from "../../train/checkpoint.ts";

const WIDTH = 256;

/** Generation `g`: every tensor element, the optimizer step and `state.generation` equal `g`. */
export function generationCheckpoint(g: number): Checkpoint {
  const filled = (shape: number[]) => {
    const t = Tensor.zeros(shape);
    t.data.fill(g);
    return t;
  };
  return {
    model: {
      "0.weight": filled([WIDTH, WIDTH]),
      "0.bias": filled([WIDTH]),
      "1.running_mean": filled([WIDTH]),
      "1.num_batches_tracked": filled([]),
    },
    spec: { layers: [{ type: "linear", inFeatures: WIDTH, outFeatures: WIDTH }], generation: g },
    optimizer: {
      state: { 0: { step: g, exp_avg: filled([WIDTH, WIDTH]) } },
      param_groups: [{ lr: 0.1, params: [0] }],
    },
    state: { generation: g },
  };
}

/** The generation a loaded checkpoint is; throws (naming `where`) if any part of it is from another. */
export function generationOf(checkpoint: Checkpoint, where: string): number {
  const g = checkpoint.state.generation;
  if (typeof g !== "number") throw new Error(`${where}: state.json has no generation`);
  const optimizer = checkpoint.optimizer as { state: { 0: { step: number; exp_avg: Tensor } } };
  const parts: [string, Tensor | number][] = [
    ...Object.entries(checkpoint.model),
    ["optimizer step", optimizer.state[0].step],
    ["optimizer exp_avg", optimizer.state[0].exp_avg],
    ["model.json", (checkpoint.spec as { generation: number }).generation],
  ];
  for (const [name, value] of parts) {
    const bad = typeof value === "number" ? value !== g : value.data.some((v) => v !== g);
    if (bad) throw new Error(`${where}: ${name} is not from generation ${g} (torn checkpoint)`);
  }
  return g;
}
