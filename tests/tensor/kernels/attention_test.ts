import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addRowsBackward,
  addRowsForward,
  type AttentionMasks,
  attentionSoftmaxBackward,
  attentionSoftmaxForward,
  booleanMaskToAdditive,
  gemmBatched,
  meanOverHeads,
  type StridedMatrices,
} from "../../../tensor/kernels/mod.ts";
import { Rng } from "../../../tensor/rng.ts";
import { assertClose } from "../../_helpers/assert_close.ts";

function random(length: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

// The readable oracle: element (i, j) of each matrix by its strides.
function at(m: StridedMatrices, b: number, h: number, i: number, j: number): number {
  return m.offset + b * m.batchStride + h * m.headStride + i * m.ld + j;
}

function gemmBatchedNaive(
  transA: boolean,
  transB: boolean,
  batch: number,
  heads: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: StridedMatrices,
  b: StridedMatrices,
  beta: number,
  c: StridedMatrices,
): void {
  for (let bi = 0; bi < batch; bi++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) {
            const av = a.data[transA ? at(a, bi, h, p, i) : at(a, bi, h, i, p)];
            const bv = b.data[transB ? at(b, bi, h, j, p) : at(b, bi, h, p, j)];
            sum += av * bv;
          }
          const ci = at(c, bi, h, i, j);
          c.data[ci] = alpha * sum + (beta === 0 ? 0 : beta * c.data[ci]);
        }
      }
    }
  }
}

/**
 * A batch × heads family of [rows, cols] matrices laid out as attention heads are: head h is a
 * block of columns (headStride cols) of a [batch·rows, heads·cols + 3] array (3 unused columns).
 */
function headColumns(
  batch: number,
  heads: number,
  rows: number,
  cols: number,
  seed: number,
): StridedMatrices {
  const ld = heads * cols + 3;
  return {
    data: random(batch * rows * ld, seed),
    offset: 0,
    batchStride: rows * ld,
    headStride: cols,
    ld,
  };
}

test("gemmBatched matches the naive loops on head-strided matrices, every transpose, beta 0 and 1", () => {
  const [batch, heads, m, n, k] = [2, 3, 3, 4, 5];
  for (const [transA, transB] of [[false, true], [false, false], [true, false], [true, true]]) {
    for (const beta of [0, 1]) {
      const a = transA ? headColumns(batch, heads, k, m, 1) : headColumns(batch, heads, m, k, 1);
      const b = transB ? headColumns(batch, heads, n, k, 2) : headColumns(batch, heads, k, n, 2);
      const c = headColumns(batch, heads, m, n, 3);
      const expected = { ...c, data: c.data.slice() };
      gemmBatched(transA, transB, batch, heads, m, n, k, 0.5, a, b, beta, c);
      gemmBatchedNaive(transA, transB, batch, heads, m, n, k, 0.5, a, b, beta, expected);
      assertClose(c.data, expected.data, {
        atol: 1e-5,
        message: `transA ${transA} transB ${transB} beta ${beta}`,
      });
    }
  }
});

function softmaxNaive(
  scores: Float32Array,
  batch: number,
  heads: number,
  l: number,
  s: number,
  masks: AttentionMasks,
): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < l; i++) {
        const row: number[] = [];
        for (let j = 0; j < s; j++) {
          let v = scores[((b * heads + h) * l + i) * s + j];
          if (masks.attn !== null) {
            v += masks.attn[((masks.perHead ? b * heads + h : 0) * l + i) * s + j];
          }
          if (masks.padding !== null) v += masks.padding[b * s + j];
          if (masks.causal && j > i) v = -Infinity;
          row.push(v);
        }
        const max = Math.max(...row);
        const ex = row.map((v) => Math.exp(v - max));
        const sum = ex.reduce((a, v) => a + v, 0);
        out.push(...ex.map((v) => (max === -Infinity ? NaN : v / sum)));
      }
    }
  }
  return out;
}

test("attentionSoftmaxForward matches the naive masked softmax (shared, per-head, padding, causal, fully masked rows)", () => {
  const [batch, heads, l, s] = [2, 3, 4, 5];
  const bool = Uint8Array.from({ length: l * s }, (_, k) => (k % 7 === 3 ? 1 : 0));
  const shared = new Float32Array(l * s);
  booleanMaskToAdditive(bool, shared);
  assert.deepEqual([shared[3], shared[0]], [-Infinity, 0]);
  const perHead = random(batch * heads * l * s, 3);
  const padding = Float32Array.from(
    { length: batch * s },
    (_, k) => (k === 7 ? -Infinity : k === 2 ? 0.7 : 0),
  );
  const fullyMasked = new Float32Array(batch * s).fill(-Infinity, s); // batch element 1 sees nothing
  const variants: AttentionMasks[] = [
    { attn: null, perHead: false, padding: null, causal: false },
    { attn: shared, perHead: false, padding: null, causal: true },
    { attn: perHead, perHead: true, padding, causal: false },
    { attn: null, perHead: false, padding: fullyMasked, causal: true },
  ];
  for (const masks of variants) {
    const scores = random(batch * heads * l * s, 4);
    const expected = softmaxNaive(scores, batch, heads, l, s, masks);
    attentionSoftmaxForward(scores, batch, heads, l, s, masks);
    assertClose(scores, expected, {
      atol: 1e-6,
      message: JSON.stringify({ ...masks, attn: masks.attn?.length }),
    });
  }
});

test("attentionSoftmaxBackward is p·(g − Σ g·p) per row, exactly 0 on causal-masked keys", () => {
  const [rows, l, s] = [6, 3, 4];
  for (const causal of [false, true]) {
    const probs = random(rows * s, 5).map(Math.abs);
    if (causal) {
      for (let r = 0; r < rows; r++) for (let j = (r % l) + 1; j < s; j++) probs[r * s + j] = 0;
    }
    const g = random(rows * s, 6);
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      const p = probs.subarray(r * s, r * s + s), gr = g.subarray(r * s, r * s + s);
      const dot = p.reduce((a, v, j) => a + v * gr[j], 0);
      expected.push(...Array.from(p, (v, j) => (causal && j > r % l ? 0 : v * (gr[j] - dot))));
    }
    const out = new Float32Array(rows * s).fill(NaN);
    attentionSoftmaxBackward(probs, g, out, rows, l, s, causal);
    assertClose(out, expected, { atol: 1e-6 });
    attentionSoftmaxBackward(probs, g, g, rows, l, s, causal); // in place
    assertClose(g, expected, { atol: 1e-6, message: "in place" });
  }
});

test("meanOverHeads, addRowsForward and addRowsBackward match their definitions", () => {
  const [batch, heads, inner] = [2, 3, 4];
  const probs = random(batch * heads * inner, 7);
  const mean = new Float32Array(batch * inner);
  meanOverHeads(probs, mean, batch, heads, inner);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < inner; i++) {
      const want = [0, 1, 2].reduce((a, h) => a + probs[(b * heads + h) * inner + i], 0) / heads;
      assert.ok(Math.abs(mean[b * inner + i] - want) < 1e-6);
    }
  }
  const [outer, count, size] = [3, 4, 2];
  for (const rowsOuter of [false, true]) {
    const rows = random(count * size, 8);
    const y = random(outer * count * size, 9);
    const expected = y.slice();
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < count; r++) {
        for (let c = 0; c < size; c++) {
          expected[((rowsOuter ? r * outer + o : o * count + r) * size) + c] += rows[r * size + c];
        }
      }
    }
    addRowsForward(y, rows, outer, count, size, rowsOuter);
    assertClose(y, expected, { atol: 1e-6 });
    const gRows = new Float32Array(count * size).fill(1);
    addRowsBackward(y, gRows, outer, count, size, rowsOuter);
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < size; c++) {
        let want = 1;
        for (let o = 0; o < outer; o++) {
          want += y[(rowsOuter ? r * outer + o : o * count + r) * size + c];
        }
        assert.ok(
          Math.abs(gRows[r * size + c] - want) < 1e-5,
          "addRowsBackward accumulates Σ_o gy",
        );
      }
    }
  }
});
