/**
 * The playground's small page helpers: element lookup, checked fields, the learning-rate
 * schedule, the pad's probability table, and the checkpoint files in (picked) and out
 * (downloaded).
 */

/// <reference lib="dom" />

import { COLORS } from "./playground_charts.ts";
import { decodeCheckpoint } from "./playground_model.ts";
import type { ModelSpec } from "../layers/spec.ts";
import type { Tensor } from "../tensor/tensor.ts";

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
export const input = (id: string) => $<HTMLInputElement>(id);
export const select = (id: string) => $<HTMLSelectElement>(id);

/** A positive integer field, or a loud error naming it. */
export function integer(id: string, optional = false): number | null {
  const text = input(id).value.trim();
  if (optional && text === "") return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${id}: expected a positive integer, got "${text}"`);
  }
  return value;
}

/** Warm-up over the first quarter, then cosine to 0 (as train.ts's one-cycle); or constant. */
export function schedule(steps: number, peak: number, kind: string): number[] {
  const warm = Math.max(1, Math.floor(steps / 4));
  return Array.from(
    { length: steps },
    (_, i) =>
      kind === "constant"
        ? peak
        : i < warm
        ? peak * (0.04 + 0.96 * i / warm)
        : peak * 0.5 * (1 + Math.cos(Math.PI * (i - warm) / Math.max(1, steps - warm))),
  );
}

/** Shows class probabilities as rows of name, percent and a bar; the best row marked. */
export function showProbabilities(table: HTMLTableElement, p: number[], names: string[]): number {
  const label = p.indexOf(Math.max(...p));
  table.innerHTML = p.map((v, k) =>
    `<tr${k === label ? ' class="best"' : ""}><th>${names[k]}</th><td>${
      (v * 100).toFixed(1)
    }%</td>` +
    `<td class="bar"><div style="width:${(v * 100).toFixed(1)}%;background:${
      COLORS[0]
    }"></div></td></tr>`
  ).join("");
  return label;
}

/** Decodes the picked model.safetensors + model.json; a missing one is an error naming what was picked. */
export async function readPickedCheckpoint(
  files: File[],
): Promise<{ spec: ModelSpec; state: Record<string, Tensor>; names: string }> {
  const st = files.find((f) => f.name.endsWith(".safetensors"));
  const js = files.find((f) => f.name.endsWith(".json"));
  if (st === undefined || js === undefined) {
    throw new Error(
      `load checkpoint: pick model.safetensors and model.json (got ${
        files.map((f) => f.name).join(", ") || "nothing"
      })`,
    );
  }
  const bytes = new Uint8Array(await st.arrayBuffer());
  const checkpoint = decodeCheckpoint({ name: st.name, bytes }, {
    name: js.name,
    text: await js.text(),
  });
  return { ...checkpoint, names: `${st.name} + ${js.name}` };
}

/** Offers each file as a download (one click, one download per file). */
export function downloadFiles(files: Record<string, Uint8Array>): void {
  for (const [name, bytes] of Object.entries(files)) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}
