/** assertClose: elementwise comparison of float arrays that names the worst element. */

import assert from "node:assert/strict";

/** Tolerances: |actual - expected| ≤ atol + rtol × |expected| for every element. */
export interface CloseOptions {
  /** @default 1e-5 */
  rtol?: number;
  /** @default 1e-6 */
  atol?: number;
  /** Prefix of the failure message. */
  message?: string;
}

type Numbers = ArrayLike<number>;

/** Fails with the worst element's index and both values unless `actual` ≈ `expected`. */
export function assertClose(actual: Numbers | number, expected: Numbers | number, options: CloseOptions = {}): void {
  const { rtol = 1e-5, atol = 1e-6, message = "assertClose" } = options;
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  assert.equal(a.length, e.length, `${message}: length ${a.length} ≠ expected length ${e.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const allowed = atol + rtol * Math.abs(e[i]);
    const excess = Number.isNaN(diff) ? Infinity : diff - allowed;
    if (Number.isNaN(a[i]) && Number.isNaN(e[i])) continue;
    if (excess > 0 && excess >= worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${message}: element ${worst} is ${a[worst]}, expected ${e[worst]} ` +
        `(|diff| ${Math.abs(a[worst] - e[worst]).toExponential(3)} > atol ${atol} + rtol ${rtol} × |expected|)`,
    );
  }
}
