/**
 * The workloads of bench/compare.ts: the `mlp` preset on MNIST-shaped inputs, and the
 * two CNNs of data_parallel_bench.ts (the `lenet` preset on MNIST, the CIFAR CNN), with
 * the speed targets against PyTorch CPU.
 */

import type { ModelSpec } from "../layers/spec.ts";
import { PRESETS } from "../train/presets.ts";
import { WORKLOADS } from "./data_parallel_bench.ts";

/** A model, its input shape and batch size, and shardgrad ÷ PyTorch targets (if any). */
export interface CompareWorkload {
  /** Short name for `--only`. */
  key: "mlp" | "lenet" | "cifar";
  name: string;
  spec: ModelSpec;
  /** One sample, [C, H, W]. */
  shape: [number, number, number];
  batch: number;
  /** Batches per `trainSteps()` call of the shardgrad contenders. */
  chunk: number;
  /** Minimum shardgrad 1 worker ÷ PyTorch 1 thread, and N workers ÷ N threads. */
  target: { one: number; many: number } | null;
}

const mnist: [number, number, number] = [1, 28, 28];

/** mlp, lenet, cifar: batch 64, 64 and 128. */
export const COMPARE_WORKLOADS: CompareWorkload[] = [
  {
    key: "mlp",
    name: "MLP 784-256-128-10",
    spec: PRESETS.mlp.build({ sampleShape: mnist, numClasses: 10 }),
    shape: mnist,
    batch: 64,
    chunk: 16,
    target: null,
  },
  { ...WORKLOADS[0], key: "lenet", name: "lenet CNN (MNIST)", target: { one: 0.8, many: 1.0 } },
  { ...WORKLOADS[1], key: "cifar", name: "CIFAR CNN", target: { one: 0.5, many: 0.5 } },
];
