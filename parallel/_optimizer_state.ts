/**
 * Internal: the optimizer state of DataParallel (one flat buffer per state name in the
 * arena, one step count) to and from optim/'s `OptimizerStateDict`, PyTorch's layout,
 * so checkpoints move between DataParallel and the in-process `Optimizer`.
 */

import { Tensor } from "../tensor/tensor.ts";
import type { Parameter } from "../tensor/parameter.ts";
import {
  type BaseHyperparameters,
  type GroupStateDict,
  Optimizer,
  type OptimizerStateDict,
  type ParamStateDict,
} from "../optim/optimizer.ts";
import type { AnyUpdateRule } from "../optim/rules.ts";
import type { FlatLayout } from "./arena.ts";

type Group = BaseHyperparameters & Record<string, unknown>;

/**
 * What `Optimizer.stateDict()` returns for one group over the layout's parameters:
 * `state[k] = { step, <name>: Tensor copy shaped like parameter k }` once a step was
 * taken, and `param_groups[0]` = the group's options plus `params: [0, 1, ...]`.
 */
export function exportOptimizerState(
  rule: AnyUpdateRule,
  group: Group,
  layout: FlatLayout,
  buffers: Record<string, Float32Array>,
  steps: number,
): OptimizerStateDict {
  const state: Record<number, ParamStateDict> = {};
  if (steps > 0) {
    const names = rule.stateNames(group);
    layout.shapes.forEach((shape, k) => {
      const entry: ParamStateDict = { step: steps };
      const size = shape.reduce((a, b) => a * b, 1);
      for (const name of names) {
        const at = layout.offsets[k];
        entry[name] = new Tensor(buffers[name].slice(at, at + size), shape);
      }
      state[k] = entry;
    });
  }
  const saved: GroupStateDict = { params: layout.names.map((_, k) => k) };
  for (const [key, value] of Object.entries(group)) {
    if (key !== "params" && value !== undefined) {
      saved[key] = Array.isArray(value) ? [...value] : value as number | boolean;
    }
  }
  return { state, param_groups: [saved] };
}

/** A state dict checked against the parameters, ready to copy into the arena. */
export interface LoadedOptimizerState {
  /** The group's hyperparameters from the dict (with `initialLr` if it had one). */
  group: Group;
  /** The one step count of every parameter. */
  steps: number;
  /** Writes every state buffer into the arena (initial values where the dict has none). */
  copyInto(layout: FlatLayout, buffers: Record<string, Float32Array>): void;
}

/**
 * Checks `stateDict` exactly as `Optimizer.loadStateDict` does (a scratch Optimizer over
 * `params` loads it), then also that every parameter has the same step count, since
 * DataParallel updates the whole vector at once.
 */
export function checkOptimizerState(
  rule: AnyUpdateRule,
  params: Parameter[],
  current: Group,
  stateDict: OptimizerStateDict,
): LoadedOptimizerState {
  const { params: _, initialLr: __, ...options } = current;
  const scratch = new Optimizer(rule, params, options as Partial<BaseHyperparameters>);
  scratch.loadStateDict(stateDict);
  const { params: ___, ...group } = scratch.paramGroups[0];
  const steps = [...new Set(params.map((p) => scratch.stateOf(p)?.step ?? 0))];
  if (steps.length > 1) {
    throw new RangeError(
      `Cannot run DataParallel.loadOptimizerStateDict: the parameters have different step counts ` +
        `(${steps.join(", ")}); DataParallel keeps one count for the whole parameter vector`,
    );
  }
  return {
    group,
    steps: steps[0],
    copyInto(layout, buffers) {
      params.forEach((p, k) => {
        const saved = scratch.stateOf(p);
        for (const name of rule.stateNames(group)) {
          const view = buffers[name].subarray(layout.offsets[k], layout.offsets[k] + p.size);
          if (saved?.buffers[name] !== undefined) view.set(saved.buffers[name]);
          else view.fill(rule.initialState(name, group));
        }
      });
    },
  };
}
