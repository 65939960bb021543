/** Internal: MultiheadAttention's input checks and the in-projections it runs. */

import { Tensor } from "../tensor/tensor.ts";
import type { Parameter } from "../tensor/parameter.ts";
import { formatShape } from "../tensor/shape.ts";
import { describeValue } from "../tensor/options.ts";
import { type Projection, type SequenceShape, sequenceShape } from "./_attention.ts";

/** Throws a TypeError unless query, key and value are Tensors. */
export function checkTensors(where: string, query: unknown, key: unknown, value: unknown): void {
  for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
    if (!(t instanceof Tensor)) {
      throw new TypeError(`${where}: expected ${name} to be a Tensor, got ${describeValue(t)}`);
    }
  }
}

/** The layer fields the checks read. */
interface Dims {
  embedDim: number;
  kdim: number;
  vdim: number;
  batchFirst: boolean;
}

/** The query and key/value layouts; TypeError when a shape is wrong or they disagree on N or S. */
export function inputShapes(
  where: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  dims: Dims,
): { q: SequenceShape; k: SequenceShape } {
  const q = sequenceShape(query, "query", dims.embedDim, dims.batchFirst, where);
  const k = sequenceShape(key, "key", dims.kdim, dims.batchFirst, where);
  const v = sequenceShape(value, "value", dims.vdim, dims.batchFirst, where);
  if (
    k.unbatched !== q.unbatched || v.unbatched !== q.unbatched || k.n !== q.n || v.n !== q.n ||
    v.len !== k.len
  ) {
    throw new TypeError(
      `${where}: query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${
        formatShape(value.shape)
      } disagree on N or S`,
    );
  }
  return { q, k };
}

/** The parameters the projections read. */
interface InProjection {
  embedDim: number;
  kdim: number;
  vdim: number;
  inProjWeight: Parameter | null;
  qProjWeight: Parameter | null;
  kProjWeight: Parameter | null;
  vProjWeight: Parameter | null;
  inProjBias: Parameter | null;
}

/** The q, k, v projections — or, `packed`, the one [3E, E] projection of self-attention. */
export function inProjections(m: InProjection, packed: boolean): Projection[] {
  const e = m.embedDim;
  const bias = m.inProjBias;
  if (packed) {
    return [{ weight: m.inProjWeight!, wOffset: 0, inDim: e, outDim: 3 * e, bias, bOffset: 0 }];
  }
  const part = (i: number, separate: Parameter | null, inDim: number): Projection =>
    separate === null
      ? { weight: m.inProjWeight!, wOffset: i * e * e, inDim, outDim: e, bias, bOffset: i * e }
      : { weight: separate, wOffset: 0, inDim, outDim: e, bias, bOffset: i * e };
  return [
    part(0, m.qProjWeight, e),
    part(1, m.kProjWeight, m.kdim),
    part(2, m.vProjWeight, m.vdim),
  ];
}
