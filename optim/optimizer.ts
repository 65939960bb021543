/**
 * Optimizer: the bookkeeping every optimizer shares (param groups, lazily created
 * per-parameter state, state dicts) and `UpdateRule`, the pure per-slice math that
 * each optimizer plugs in.
 *
 * ## The update-rule contract (what `parallel/` builds on)
 *
 * Every optimizer's math is one pure function over a `[lo, hi)` slice of flat arrays:
 *
 * ```text
 * rule.update(param, grad, state, step, hp, lo, hi)
 *   param  Float32Array   updated in place, elements lo..hi-1 only
 *   grad   Float32Array   read only (never modified: weight decay and `maximize` act on a local copy)
 *   state  Record<string, Float32Array>   one buffer per name in rule.stateNames(hp), each as long
 *          as `param` and indexed like it, e.g. { exp_avg, exp_avg_sq }; updated in place on [lo, hi)
 *   step   number         1-based count of updates of this parameter INCLUDING this one
 *                          (the first call gets 1): drives bias correction, Adagrad's lr decay,
 *                          and SGD's "first momentum step copies the gradient"
 *   hp     the group's hyperparameters as `rule.validate(options)` returns them (plain numbers,
 *          booleans and `betas` pairs; structured-cloneable), e.g. { lr, momentum, dampening,
 *          weightDecay, nesterov, maximize }; extra keys are ignored, so a param group can be passed
 *   lo, hi element range; 0 ≤ lo ≤ hi ≤ param.length
 * ```
 *
 * Every rule is elementwise: element i of the result depends only on element i of
 * param, grad and state. It allocates nothing, keeps nothing between calls and reads
 * no global state, so calling it on the whole array once, on disjoint slices (one per
 * worker, in any order), or on one flat vector concatenating all parameters of a group
 * gives bit-identical results. (A rule needing per-tensor reductions, e.g. LAMB's trust
 * ratio, would not fit this contract.) State names are PyTorch's (`momentum_buffer`,
 * `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`, `square_avg`, `grad_avg`, `sum`).
 *
 * Whoever owns the memory (this class, or the sharded trainer with SharedArrayBuffer
 * views) allocates each buffer named by `rule.stateNames(hp)` with `param.length`
 * floats filled with `rule.initialState(name, hp)` (0, or Adagrad's
 * `initialAccumulatorValue`) before the first step, keeps one step counter per
 * parameter (or per flat vector), increments it, and calls `rule.update`.
 * `rule.validate(options)` turns user options into a complete, checked record
 * (defaults filled in; unknown names and bad values throw one clear error).
 * All rules sit in one table, `optimizerRules` (optim/rules.ts), keyed by
 * "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad" | "lion".
 *
 * @example
 * ```ts
 * import { optimizerRules } from "./rules.ts";
 * const rule = optimizerRules.adam;
 * const hp = rule.validate({ lr: 0.01 });
 * const param = new Float32Array([1, 2, 3, 4]);
 * const grad = new Float32Array([0.1, -0.2, 0.3, -0.4]);
 * const state: Record<string, Float32Array> = {};
 * for (const name of rule.stateNames(hp)) state[name] = new Float32Array(4).fill(rule.initialState(name, hp));
 * rule.update(param, grad, state, 1, hp, 0, 2); // worker 0's shard
 * rule.update(param, grad, state, 1, hp, 2, 4); // worker 1's shard
 * ```
 */

import { Parameter } from "../tensor/parameter.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { formatShape } from "../tensor/shape.ts";
import { checkArgumentCount, describe } from "./_options.ts";
import { readStateDict, writeStateDict } from "./_state_dict.ts";

/** One optimizer-state buffer per name (`exp_avg`...), each as long as its parameter. */
export type StateBuffers = Record<string, Float32Array>;

/** A hyperparameter value: a number, a flag, or a pair such as `betas`. */
export type HyperparameterValue = number | boolean | readonly number[];

/** What every optimizer's hyperparameters contain (schedulers write `lr`). */
export interface BaseHyperparameters {
  /** Learning rate. */
  lr: number;
}

/** An optimizer's math and metadata, shared by the `Optimizer` classes and `parallel/`. */
export interface UpdateRule<H extends BaseHyperparameters> {
  /** Key in `optimizerRules`: "sgd", "adam", ... */
  readonly name: string;
  /** PyTorch class name, used in messages: "SGD", "Adam", ... */
  readonly className: string;
  /** Every hyperparameter with its default (PyTorch's). */
  readonly defaults: Readonly<H>;
  /**
   * Returns a complete, fresh hyperparameter record: `defaults` overlaid with `options`.
   * Throws a TypeError for an unknown name or a wrong kind, a RangeError for a bad value,
   * the message starting with `where` (default `Cannot create <className>`).
   */
  validate(options: Readonly<Record<string, unknown>>, where?: string): H;
  /** Names of the state buffers this configuration needs, e.g. `["exp_avg", "exp_avg_sq"]`. */
  stateNames(hp: Readonly<H>): readonly string[];
  /** The value a fresh buffer `name` is filled with before step 1. */
  initialState(name: string, hp: Readonly<H>): number;
  /** Applies one update to `param[lo..hi)`; see the module doc for the contract. */
  update(
    param: Float32Array,
    grad: Float32Array,
    state: StateBuffers,
    step: number,
    hp: Readonly<H>,
    lo: number,
    hi: number,
  ): void;
}

/** A param group: its parameters plus a full set of hyperparameters (schedulers write `lr`). */
export type ParamGroup<H extends BaseHyperparameters> = H & {
  /** The parameters updated with these hyperparameters. */
  params: Parameter[];
  /** The lr a scheduler started from (PyTorch's `initial_lr`), set by the first scheduler. */
  initialLr?: number;
};

/** A param group as given to a constructor: parameters plus options overriding the optimizer's. */
export type ParamGroupInput<O> = O & { params: Iterable<Parameter> };

/** Per-parameter state: the update count and the named buffers. */
export interface ParamState {
  /** Number of updates applied so far. */
  step: number;
  /** One buffer per name, as long as the parameter. */
  buffers: StateBuffers;
}

/** `stateDict().state[i]`: PyTorch's layout, `{ step, exp_avg, exp_avg_sq }` (copies). */
export interface ParamStateDict {
  step: number;
  [buffer: string]: number | Tensor;
}

/** `stateDict().param_groups[g]`: hyperparameters plus indices into `state`. */
export interface GroupStateDict {
  params: number[];
  [option: string]: HyperparameterValue;
}

/**
 * An optimizer's state, PyTorch's layout: `state` keyed by the parameter's index in
 * the order of all groups, `param_groups` with hyperparameters and those indices.
 * Numbers and flags are JSON-serializable; buffers are Tensors shaped like their
 * parameter (copies, not the live buffers).
 */
export interface OptimizerStateDict {
  state: Record<number, ParamStateDict>;
  param_groups: GroupStateDict[];
}

/**
 * The base of every optimizer. It only does bookkeeping (param groups, lazily created
 * per-parameter state, state dicts) and applies `rule.update` to each parameter, so
 * `new Optimizer(optimizerRules.adam, params, { lr })` is the same as `new Adam(params, { lr })`.
 *
 * `params` is a list of Parameters, or a list of groups `{ params, ...options }` whose
 * options override the constructor's (PyTorch's per-parameter options). A parameter in
 * two groups is an error. Gradients are read from `param.grad`, which backward passes
 * accumulate; call `zeroGrad()` between steps.
 *
 * @example
 * ```ts
 * import { Optimizer } from "./optimizer.ts";
 * import { optimizerRules } from "./rules.ts";
 * import { Parameter } from "../tensor/parameter.ts";
 * import { Tensor } from "../tensor/tensor.ts";
 * const w = new Parameter(Tensor.fromArray([1, 2]));
 * const opt = new Optimizer(optimizerRules.sgd, [w], { lr: 0.5 });
 * w.grad.data.set([1, -1]);
 * opt.step();
 * console.log(w.data.toArray()); // [0.5, 2.5]
 * ```
 */
export class Optimizer<H extends BaseHyperparameters, O extends object = Partial<H>> {
  /** The update rule applied to every parameter. */
  readonly rule: UpdateRule<H>;
  /** The rule's defaults overlaid with the constructor options (what a new group inherits). */
  readonly defaults: Readonly<H>;
  /** The param groups; schedulers and users may change `paramGroups[i].lr` between steps. */
  readonly paramGroups: ParamGroup<H>[] = [];
  readonly #state = new Map<Parameter, ParamState>();

  /**
   * @param rule the update rule (e.g. `optimizerRules.sgd`)
   * @param params Parameters, or groups `{ params, ...options }`
   * @param options hyperparameters for every group; unknown names are errors
   */
  constructor(
    rule: UpdateRule<H>,
    params: Iterable<Parameter> | Iterable<ParamGroupInput<O>>,
    options: O = {} as O,
  ) {
    this.rule = rule;
    const where = `Cannot create ${rule.className}`;
    checkArgumentCount(where, arguments.length, 3);
    this.defaults = Object.freeze(rule.validate(options as Record<string, unknown>, where));
    if (params === null || typeof params !== "object" || !(Symbol.iterator in params)) {
      throw new TypeError(
        `${where}: expected params to be an array of Parameters or of param groups, got ${
          describe(params)
        }`,
      );
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new RangeError(`${where}: got an empty parameter list`);
    if (items.every((item) => item instanceof Parameter)) {
      this.#addGroup({ params: items as Parameter[] } as ParamGroupInput<O>, where);
    } else if (
      items.every((item) =>
        item !== null && typeof item === "object" && !(item instanceof Parameter)
      )
    ) {
      for (const group of items as ParamGroupInput<O>[]) this.#addGroup(group, where);
    } else {
      throw new TypeError(`${where}: params mixes Parameters and param groups; pass one kind`);
    }
  }

  /** Adds a group `{ params, ...options }` (e.g. to unfreeze layers); options default to `defaults`. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = `Cannot add a param group to ${this.rule.className}`;
    checkArgumentCount(where, arguments.length, 1);
    this.#addGroup(group, where);
  }

  /** The state of `param` (undefined before its first step). The buffers are the live ones. */
  stateOf(param: Parameter): Readonly<ParamState> | undefined {
    return this.#state.get(param);
  }

  /**
   * Applies one update to every parameter of every group, reading `param.grad`.
   * `closure`, if given, is called first (to recompute the loss) and its value returned.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure?.();
    for (const group of this.paramGroups) {
      const names = this.rule.stateNames(group);
      for (const p of group.params) {
        const state = this.#stateFor(p, group, names);
        state.step += 1;
        this.rule.update(p.data.data, p.grad.data, state.buffers, state.step, group, 0, p.size);
      }
    }
    return loss;
  }

  /** Sets the gradient of every parameter to zero. */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.zeroGrad();
  }

  /** Hyperparameters and copies of the state (see `OptimizerStateDict`). */
  stateDict(): OptimizerStateDict {
    return writeStateDict(this.paramGroups, this.#state);
  }

  /**
   * Restores hyperparameters and state saved by `stateDict()` (copied, so the dict
   * can be reused). Everything is checked before anything changes: the number of
   * groups and of parameters per group, option names and values, state names, and
   * each buffer's shape against its parameter's (the error names group, index and shapes).
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const where = `Cannot load optimizer state into ${this.rule.className}`;
    checkArgumentCount(where, arguments.length, 1);
    const loaded = readStateDict(this.rule, this.paramGroups, stateDict, where);
    this.paramGroups.forEach((group, g) => {
      Object.assign(group, loaded.hyperparameters[g]);
      if (loaded.initialLrs[g] === undefined) delete group.initialLr;
      else group.initialLr = loaded.initialLrs[g];
    });
    this.#state.clear();
    for (const [p, s] of loaded.state) this.#state.set(p, s);
  }

  #addGroup(input: ParamGroupInput<O>, where: string): void {
    const g = this.paramGroups.length;
    if (input === null || typeof input !== "object" || !("params" in input)) {
      throw new TypeError(
        `${where}: param group ${g} must be an object with "params", got ${describe(input)}`,
      );
    }
    const { params: rawParams, ...options } = input;
    const params = rawParams instanceof Parameter
      ? [rawParams]
      : [...(rawParams as Iterable<unknown>)];
    params.forEach((p, i) => {
      if (!(p instanceof Parameter)) {
        throw new TypeError(
          `${where}: param group ${g}, parameter ${i} is not a Parameter (got ${describe(p)})`,
        );
      }
      const first = params.indexOf(p);
      if (first !== i) {
        throw new TypeError(
          `${where}: param group ${g} lists one parameter twice (indices ${first} and ${i})`,
        );
      }
      this.paramGroups.forEach((other, h) => {
        const j = other.params.indexOf(p);
        if (j >= 0) {
          throw new TypeError(
            `${where}: parameter ${i} of param group ${g} ${
              formatShape(p.shape)
            } is already parameter ${j} of param group ${h}; a parameter may be in one group only`,
          );
        }
      });
    });
    const hp = this.rule.validate({ ...this.defaults, ...options }, `${where}: param group ${g}`);
    this.paramGroups.push({ ...hp, params: params as Parameter[] });
  }

  #stateFor(p: Parameter, group: Readonly<H>, names: readonly string[]): ParamState {
    let state = this.#state.get(p);
    if (state === undefined) {
      state = { step: 0, buffers: {} };
      this.#state.set(p, state);
    }
    for (const name of names) {
      if (!(name in state.buffers)) {
        state.buffers[name] = new Float32Array(p.size).fill(this.rule.initialState(name, group));
      }
    }
    return state;
  }
}
