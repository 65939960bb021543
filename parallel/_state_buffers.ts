/**
 * Internal: DataParallel's optimizer-state buffers, allocated in the state arena when
 * the hyperparameters first need one (a scheduler may turn momentum on mid-run) and
 * handed to every worker before the next step.
 */

import type { BaseHyperparameters } from "../optim/optimizer.ts";
import type { AnyUpdateRule } from "../optim/rules.ts";
import { allocateState } from "./arena.ts";
import type { WorkerPool } from "./_pool.ts";

/** The state arena's buffers by name, and which of them the workers have not seen yet. */
export class StateBuffers {
  readonly #rule: AnyUpdateRule;
  readonly #state: Record<string, SharedArrayBuffer>;
  readonly #length: number;
  readonly #pool: WorkerPool;
  /** State buffers allocated since the workers last heard of them. */
  readonly #unsent = new Set<string>();

  /**
   * @param state the arena's buffers by state name, added to in place
   * @param length floats per buffer (the parameter count)
   */
  constructor(
    rule: AnyUpdateRule,
    state: Record<string, SharedArrayBuffer>,
    length: number,
    pool: WorkerPool,
  ) {
    this.#rule = rule;
    this.#state = state;
    this.#length = length;
    this.#pool = pool;
  }

  /** Allocates any state buffer the (possibly scheduler-changed) hyperparameters need. */
  ensure(hp: BaseHyperparameters): void {
    for (const name of this.#rule.stateNames(hp)) {
      if (!(name in this.#state)) {
        this.#state[name] = allocateState(this.#length, this.#rule.initialState(name, hp));
        this.#unsent.add(name);
      }
    }
  }

  /** Hands every buffer allocated since the last call to the workers. */
  async send(): Promise<void> {
    for (const name of this.#unsent) {
      const buffer = this.#state[name];
      await this.#pool.run("DataParallel.step", (remote) => remote.addState(name, buffer));
      this.#unsent.delete(name);
    }
  }
}
