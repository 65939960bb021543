/**
 * Run-time checks of call shapes: scripts run by `deno run` or `bun` are not type-checked,
 * so every public constructor and function that takes an options object checks at run time
 * that it got no extra positional argument and no option key it does not know. One line
 * names the class, the key and the nearest valid name:
 *
 * ```
 * Cannot create CrossEntropyLoss: unknown option "label_smoothing" (did you mean "labelSmoothing"?
 * known options: weight, ignoreIndex, reduction, labelSmoothing)
 * ```
 *
 * @example
 * ```ts
 * import { checkArgumentCount, checkOptions } from "./options.ts";
 * class Scale {
 *   readonly factor: number;
 *   constructor(options: { factor?: number } = {}) {
 *     checkArgumentCount("Cannot create Scale", arguments.length, 1);
 *     checkOptions("Cannot create Scale", options, ["factor"]);
 *     this.factor = options.factor ?? 1;
 *   }
 * }
 * new Scale({ factor: 2 });
 * ```
 */

/**
 * Throws a TypeError unless `options` is a plain object (or `undefined`) whose keys are all
 * in `known`. `where` starts the message (e.g. "Cannot create Conv2d"). A value that is not
 * an object (`new Conv2d(1, 4, 3, 2)`, `new LeakyReLU(0.2)`) is an error naming what came.
 */
export function checkOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (
    options === null || typeof options !== "object" || Array.isArray(options) ||
    ArrayBuffer.isView(options)
  ) {
    throw new TypeError(
      `${where}: expected an options object ({ ${known.join(", ")} }) as the last argument, got ${
        describeValue(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const hint = near === null ? "" : `did you mean "${near}"? `;
    const list = known.length === 0 ? "it takes none" : `known options: ${known.join(", ")}`;
    throw new TypeError(`${where}: unknown option "${key}" (${hint}${list})`);
  }
}

/**
 * Throws a TypeError when a call got more than `max` positional arguments
 * (pass `arguments.length`): `new Linear(4, 2, {}, 7)` or `new Sigmoid(1)`.
 */
export function checkArgumentCount(where: string, count: number, max: number): void {
  if (count > max) {
    throw new TypeError(
      `${where}: expected at most ${max} argument${max === 1 ? "" : "s"}, got ${count}`,
    );
  }
}

/**
 * The name in `known` closest to `key`, or null when none is close: the same name in other
 * case or with `_`/`-` removed (`label_smoothing` → `labelSmoothing`) first, otherwise the
 * smallest edit distance if it is at most a third of the longer name (`paddding` → `padding`).
 */
export function nearestName(key: string, known: readonly string[]): string | null {
  const squash = (s: string) => s.replace(/[_-]/g, "").toLowerCase();
  const same = known.find((k) => squash(k) === squash(key));
  if (same !== undefined) return same;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(squash(key), squash(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== null && bestDistance <= Math.max(key.length, best.length) / 3 ? best : null;
}

/** A short description of a value for messages: `2`, `"x"`, `null`, `Float32Array`, `[1, 2]`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return `[${value.map((v) => (typeof v === "number" ? String(v) : describeValue(v))).join(", ")}]`;
  }
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}

// Levenshtein distance with one rolling row.
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
