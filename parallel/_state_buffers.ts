/**
 * Internal: DataParallel's optimizer-state buffers, allocated in the state arena when
 * the hyperparameters first need one (a scheduler may turn momentum on mid-run) and
 * handed to every worker before the next step.
 */

import type { BaseHyperparameters } from "../optim/optimizer.ts";
import type { AnyUpdateRule } from "../optim/rules.ts";
import { allocateState, type Arenas, type FloatRegion } from "./arena.ts";
import type { WorkerPool } from "./_pool.ts";

/** The state arena's buffers by name, and which of them the workers have not seen yet. */
export class StateBuffers {
  readonly #rule: AnyUpdateRule;
  readonly #arenas: Arenas;
  readonly #pool: WorkerPool;
  /** State buffers allocated since the workers last heard of them. */
  readonly #unsent = new Set<string>();

  /** @param arenas the trainer's arenas, whose `state` this adds to in place */
  constructor(rule: AnyUpdateRule, arenas: Arenas, pool: WorkerPool) {
    this.#rule = rule;
    this.#arenas = arenas;
    this.#pool = pool;
  }

  /** Allocates any state buffer the (possibly scheduler-changed) hyperparameters need. */
  ensure(hp: BaseHyperparameters): void {
    for (const name of this.#rule.stateNames(hp)) {
      if (!(name in this.#arenas.state)) {
        this.#arenas.state[name] = allocateState(this.#arenas, this.#rule.initialState(name, hp));
        this.#unsent.add(name);
      }
    }
  }

  /** Hands every buffer allocated since the last call to the workers. */
  async send(): Promise<void> {
    for (const name of this.#unsent) {
      const region: FloatRegion = this.#arenas.state[name];
      await this.#pool.run("DataParallel.step", (remote) => remote.addState(name, region));
      this.#unsent.delete(name);
    }
  }
}
