/** Module: the base class of every layer, with PyTorch's parameter and state-dict bookkeeping. */

import type { Parameter } from "../tensor/parameter.ts";
import { Tensor } from "../tensor/tensor.ts";
import { formatShape, sameShape } from "../tensor/shape.ts";
import { checkArgumentCount, checkOptions, describeValue } from "../tensor/options.ts";

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Missing or unexpected keys are errors (as PyTorch's `strict=True`). @default true */
  strict?: boolean;
}

/**
 * The base of every layer: an explicit `forward` that caches what `backward` needs,
 * and a `backward` that returns dL/dx and ACCUMULATES into each parameter's `.grad`.
 *
 * Subclasses list what they own explicitly (no reflection over fields):
 * `ownParameters()` and `ownBuffers()` in PyTorch's registration order, and
 * `children()` for containers. Names then follow PyTorch exactly: `"0.weight"`,
 * `"3.running_mean"`, `"block.1.bias"`.
 *
 * Buffers: in training mode the built-in layers write `forward`'s output and `backward`'s
 * dL/dx into buffers they own and reuse at their next call with the same shape (a
 * `BufferCache`, tensor/buffers.ts), so a steady-state training step allocates nothing
 * proportional to the batch. Such a tensor is valid until that layer's next forward
 * (or backward): `clone()` one to keep it. In eval mode every call returns a new tensor.
 */
export abstract class Module {
  /** Training mode (dropout active, batch-norm uses batch statistics); see `train()`/`eval()`. */
  training = true;

  /** Computes the output for `input` and caches what `backward` needs. */
  abstract forward(input: Tensor): Tensor;

  /** Given dL/d(output) of the last `forward`, accumulates parameter gradients and returns dL/d(input). */
  abstract backward(gradOutput: Tensor): Tensor;

  /**
   * Accumulates the parameter gradients exactly as `backward` does, for a caller that needs no
   * dL/d(input) — the trainers, whose input is data (in PyTorch, an input that does not require
   * grad). By default it runs `backward` and drops the result; Linear and Conv2d skip their
   * dL/dx product, and Sequential stops at its first module with parameters.
   */
  backwardParameters(gradOutput: Tensor): void {
    this.backward(gradOutput);
  }

  /** This module's own parameters (not its children's), in registration order. */
  ownParameters(): [string, Parameter][] {
    return [];
  }

  /** This module's own buffers (running statistics...), in registration order. */
  ownBuffers(): [string, Tensor][] {
    return [];
  }

  /** Direct submodules with their names (`"0"`, `"1"`... for Sequential). */
  children(): [string, Module][] {
    return [];
  }

  /** Every parameter with its dotted PyTorch name, depth first, own ones before children's. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this.ownParameters()) out.push([prefix + name, p]);
    for (const [name, child] of this.children()) {
      out.push(...child.namedParameters(`${prefix}${name}.`));
    }
    return out;
  }

  /** Every parameter, in the order of `namedParameters()` (the order optimizers and parallel/ rely on). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted PyTorch name. */
  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.ownBuffers()) out.push([prefix + name, b]);
    for (const [name, child] of this.children()) {
      out.push(...child.namedBuffers(`${prefix}${name}.`));
    }
    return out;
  }

  /**
   * Parameters and buffers by PyTorch key, in PyTorch's order (per module: parameters,
   * then buffers, then children). The tensors are the live ones, not copies.
   */
  stateDict(prefix = ""): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, p] of this.ownParameters()) out[prefix + name] = p.data;
    for (const [name, b] of this.ownBuffers()) out[prefix + name] = b;
    for (const [name, child] of this.children()) {
      Object.assign(out, child.stateDict(`${prefix}${name}.`));
    }
    return out;
  }

  /**
   * Copies values from `state` into this module's parameters and buffers (in place,
   * so shared-memory bindings survive). A shape mismatch is always an error naming
   * the key and both shapes; with `strict` a missing or unexpected key is too.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): void {
    const where = `Cannot load state dict into ${this.constructor.name}`;
    checkArgumentCount(where, arguments.length, 2);
    checkOptions(where, options, ["strict"] satisfies (keyof LoadStateDictOptions)[]);
    const { strict = true } = options;
    if (typeof strict !== "boolean") {
      throw new TypeError(
        `${where}: expected strict to be true or false, got ${describeValue(strict)}`,
      );
    }
    if (state === null || typeof state !== "object" || Array.isArray(state)) {
      throw new TypeError(
        `${where}: expected a state dict (an object of Tensors by key), got ${
          describeValue(state)
        }`,
      );
    }
    const own = this.stateDict();
    if (strict) {
      const missing = Object.keys(own).filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !(k in own));
      if (missing.length > 0 || unexpected.length > 0) {
        const parts = [];
        if (missing.length > 0) {
          parts.push(`missing key(s) ${missing.map((k) => `"${k}"`).join(", ")}`);
        }
        if (unexpected.length > 0) {
          parts.push(`unexpected key(s) ${unexpected.map((k) => `"${k}"`).join(", ")}`);
        }
        throw new TypeError(`${where}: ${parts.join("; ")}`);
      }
    }
    for (const [key, target] of Object.entries(own)) {
      const source = state[key];
      if (source === undefined) continue;
      if (!(source instanceof Tensor)) throw new TypeError(`${where}: "${key}" is not a Tensor`);
      if (!sameShape(source.shape, target.shape)) {
        throw new TypeError(
          `${where}: "${key}" has shape ${formatShape(source.shape)} in the state dict but ${
            formatShape(target.shape)
          } in the model`,
        );
      }
    }
    for (const [key, target] of Object.entries(own)) {
      const source = state[key];
      if (source !== undefined) target.data.set(source.data);
    }
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    if (typeof mode !== "boolean") {
      // train("eval") or train(0) would otherwise set a truthy or falsy non-boolean mode.
      throw new TypeError(
        `Cannot set ${this.constructor.name}.train(mode): expected mode to be true or false, got ${
          describeValue(mode)
        }`,
      );
    }
    this.training = mode;
    for (const [, child] of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode (same as `train(false)`); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to zero. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
