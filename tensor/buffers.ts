/** BufferCache: the tensors a layer or loss hands out (outputs, gradients, caches), reused across steps. */

import { Tensor } from "./tensor.ts";
import { sameShape, sizeOf } from "./shape.ts";

/**
 * Named buffers that a module reuses from one training step to the next, so that a
 * steady-state step allocates nothing proportional to the batch.
 *
 * With `reuse` true, asking for a key again with the same shape (or length) returns the
 * very buffer handed out last time, STILL HOLDING ITS OLD VALUES: every caller overwrites
 * it completely (or zeroes it first). A new shape replaces the key's buffer. With `reuse`
 * false (layers pass `this.training`, so evaluation returns tensors the caller may keep;
 * inside {@link reusingBuffers} it counts as true), or when the kept buffer is `avoid` (the
 * layer applied to its own last output), the result is a new zeroed buffer and the kept one
 * stays for the next reusing call.
 *
 * @example
 * ```ts
 * import { BufferCache } from "./buffers.ts";
 * const buffers = new BufferCache();
 * const a = buffers.tensor("output", [2, 3], true);
 * const b = buffers.tensor("output", [2, 3], true);
 * console.log(a === b, buffers.tensor("output", [2, 3], false) === a); // true false
 * ```
 */
export class BufferCache {
  readonly #tensors = new Map<string, Tensor>();
  readonly #floats = new Map<string, Float32Array>();
  readonly #ints = new Map<string, Int32Array>();

  /** A tensor of `shape` for `key` (see the class doc for when it is the previous one). */
  tensor(key: string, shape: readonly number[], reuse: boolean, avoid?: Float32Array): Tensor {
    if (!reuse && reuseScopes === 0) return Tensor.zeros(shape);
    const kept = this.#tensors.get(key);
    if (kept !== undefined && sameShape(kept.shape, shape) && kept.data !== avoid) return kept;
    const fresh = kept !== undefined && kept.size === sizeOf(shape) && kept.data !== avoid
      ? new Tensor(kept.data, shape)
      : Tensor.zeros(shape);
    this.#tensors.set(key, fresh);
    return fresh;
  }

  /** A Float32Array of `length` for `key`. */
  floats(key: string, length: number, reuse: boolean): Float32Array {
    return take(this.#floats, key, length, reuse, (n) => new Float32Array(n));
  }

  /** An Int32Array of `length` for `key`. */
  ints(key: string, length: number, reuse: boolean): Int32Array {
    return take(this.#ints, key, length, reuse, (n) => new Int32Array(n));
  }
}

/** Open {@link reusingBuffers} calls on this thread. */
let reuseScopes = 0;

/**
 * Runs `fn` with every BufferCache of this thread reusing its buffers even where the caller
 * asks for fresh ones (eval-mode layers): for a loop that reads each forward's output before
 * the next forward of the same model and keeps none, as DataParallel's workers evaluate.
 * Eval-mode layers otherwise allocate every output anew, and V8 lets ~64 MB of those young
 * buffers pile up per worker before a scavenge (MNIST's test pass on 2 workers under Deno:
 * +160 MB RSS; issue 16). Tensors obtained inside are valid until the layer's next forward.
 */
export function reusingBuffers<T>(fn: () => T): T {
  reuseScopes++;
  try {
    return fn();
  } finally {
    reuseScopes--;
  }
}

function take<T extends { length: number }>(
  slots: Map<string, T>,
  key: string,
  length: number,
  reuse: boolean,
  create: (length: number) => T,
): T {
  if (!reuse && reuseScopes === 0) return create(length);
  const kept = slots.get(key);
  if (kept !== undefined && kept.length === length) return kept;
  const fresh = create(length);
  slots.set(key, fresh);
  return fresh;
}
