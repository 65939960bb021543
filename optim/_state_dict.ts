/** Internal: converting an optimizer's groups and state to and from `OptimizerStateDict` (with all the checks). */

import type { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { describe } from "./_options.ts";
import type {
  BaseHyperparameters,
  GroupStateDict,
  HyperparameterValue,
  OptimizerStateDict,
  ParamGroup,
  ParamState,
  ParamStateDict,
  StateBuffers,
  UpdateRule,
} from "./optimizer.ts";

/** PyTorch's layout: state by running parameter index, groups with their indices; buffers copied into Tensors. */
export function writeStateDict<H extends BaseHyperparameters>(
  groups: readonly ParamGroup<H>[],
  states: ReadonlyMap<Parameter, ParamState>,
): OptimizerStateDict {
  const state: Record<number, ParamStateDict> = {};
  const paramGroups: GroupStateDict[] = [];
  let index = 0;
  for (const group of groups) {
    const { params, ...hp } = group;
    const ids: number[] = [];
    for (const p of params) {
      const s = states.get(p);
      if (s !== undefined) {
        const entry: ParamStateDict = { step: s.step };
        for (const [name, buffer] of Object.entries(s.buffers)) {
          entry[name] = new Tensor(buffer.slice(), p.shape);
        }
        state[index] = entry;
      }
      ids.push(index++);
    }
    const copy: GroupStateDict = { params: ids };
    for (const [key, value] of Object.entries(hp)) {
      if (value !== undefined) {
        copy[key] = Array.isArray(value) ? [...value] : value as HyperparameterValue;
      }
    }
    paramGroups.push(copy);
  }
  return { state, param_groups: paramGroups };
}

/** What `readStateDict` returns: everything checked, nothing applied yet. */
export interface LoadedState<H> {
  hyperparameters: H[];
  initialLrs: (number | undefined)[];
  state: Map<Parameter, ParamState>;
}

/**
 * Checks `stateDict` against `groups` (group and parameter counts, options through
 * `rule.validate`, state names, buffer shapes) and returns copies to apply. Throws a
 * TypeError starting with `where` that names the group, index and shapes.
 */
export function readStateDict<H extends BaseHyperparameters>(
  rule: UpdateRule<H>,
  groups: readonly ParamGroup<H>[],
  stateDict: OptimizerStateDict,
  where: string,
): LoadedState<H> {
  if (
    stateDict === null || typeof stateDict !== "object" || !Array.isArray(stateDict.param_groups)
  ) {
    throw new TypeError(`${where}: expected { state, param_groups }, got ${describe(stateDict)}`);
  }
  const saved = stateDict.param_groups;
  const savedState = (stateDict.state ?? {}) as Record<string, ParamStateDict | undefined>;
  if (saved.length !== groups.length) {
    throw new TypeError(
      `${where}: the state dict has ${saved.length} param group(s), the optimizer ${groups.length}`,
    );
  }
  const out: LoadedState<H> = { hyperparameters: [], initialLrs: [], state: new Map() };
  const used = new Set<string>();
  saved.forEach((group, g) => {
    const { params: ids, initialLr, ...hp } = group ?? {};
    const params = groups[g].params;
    if (!Array.isArray(ids) || ids.length !== params.length) {
      const count = Array.isArray(ids) ? ids.length : "no";
      throw new TypeError(
        `${where}: param group ${g} has ${count} parameter(s) in the state dict but ${params.length} in the optimizer`,
      );
    }
    const checked = rule.validate(hp, `${where}: param group ${g}`);
    if (initialLr !== undefined && typeof initialLr !== "number") {
      throw new TypeError(
        `${where}: param group ${g}: initialLr must be a number, got ${describe(initialLr)}`,
      );
    }
    out.hyperparameters.push(checked);
    out.initialLrs.push(initialLr);
    const names = new Set(rule.stateNames(checked));
    params.forEach((p, i) => {
      const entry = savedState[String(ids[i])];
      used.add(String(ids[i]));
      if (entry === undefined) return;
      const at = `${where}: param group ${g}, parameter ${i} (state ${ids[i]})`;
      out.state.set(p, readParamState(entry, p, names, rule.className, at));
    });
  });
  const unused = Object.keys(savedState).filter((k) => !used.has(k));
  if (unused.length > 0) {
    throw new TypeError(`${where}: state index(es) ${unused.join(", ")} belong to no param group`);
  }
  return out;
}

function readParamState(
  entry: ParamStateDict,
  p: Parameter,
  names: ReadonlySet<string>,
  className: string,
  at: string,
): ParamState {
  if (!Number.isInteger(entry.step) || entry.step < 0) {
    throw new TypeError(`${at}: step must be a non-negative integer, got ${describe(entry.step)}`);
  }
  const buffers: StateBuffers = {};
  for (const [name, value] of Object.entries(entry)) {
    if (name === "step") continue;
    if (!names.has(name)) {
      const kept = [...names].map((n) => `"${n}"`).join(", ") || "no buffers";
      throw new TypeError(
        `${at}: unexpected state "${name}" (${className} with these options keeps ${kept})`,
      );
    }
    if (!(value instanceof Tensor)) throw new TypeError(`${at}: "${name}" is not a Tensor`);
    if (!sameShape(value.shape, p.shape)) {
      throw new TypeError(
        `${at}: "${name}" has shape ${
          formatShape(value.shape)
        } in the state dict but the parameter is ${formatShape(p.shape)}`,
      );
    }
    buffers[name] = value.data.slice();
  }
  return { step: entry.step, buffers };
}
