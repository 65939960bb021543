/** Internal: optimizer state dicts as a JSON skeleton plus a flat map of tensors (how optimizer.safetensors stores them). */

import { Tensor } from "../tensor/tensor.ts";

/** Replaces every Tensor leaf by `{ $tensor: "path.to.leaf" }` and collects the tensors under those keys. */
export function flattenTensors(
  value: unknown,
): { tensors: Record<string, Tensor>; skeleton: unknown } {
  const tensors: Record<string, Tensor> = {};
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Tensor) {
      tensors[path] = v;
      return { $tensor: path };
    }
    if (v instanceof Float32Array) {
      tensors[path] = new Tensor(v, [v.length]);
      return { $float32: path };
    }
    if (Array.isArray(v)) {
      return v.map((item, i) => walk(item, path === "" ? `${i}` : `${path}.${i}`));
    }
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [k, walk(item, path === "" ? k : `${path}.${k}`)]),
      );
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  };
  return { skeleton: walk(value, ""), tensors };
}

/** The inverse of `flattenTensors`; a skeleton naming a tensor the file lacks is an error naming `source`. */
export function unflattenTensors(
  skeleton: unknown,
  tensors: Record<string, Tensor>,
  source: string,
): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const record = v as Record<string, unknown>;
      const key = record.$tensor ?? record.$float32;
      if (typeof key === "string") {
        const tensor = tensors[key];
        if (tensor === undefined) {
          throw new TypeError(`Cannot load checkpoint ${source}: missing tensor "${key}"`);
        }
        return record.$tensor !== undefined ? tensor : tensor.data;
      }
      if (typeof record.$number === "string") return Number(record.$number);
      return Object.fromEntries(Object.entries(record).map(([k, item]) => [k, walk(item)]));
    }
    return v;
  };
  return walk(skeleton);
}
