/** The check that a kernel's row range [lo, hi) lies inside its rows: a wrong range is an error, not a silent partial pass. */

/**
 * Throws a RangeError naming `kernel` unless 0 ≤ lo ≤ hi ≤ count (all integers).
 *
 * @param count the number of rows (outer slices) the kernel's arrays hold
 */
export function checkRowRange(kernel: string, lo: number, hi: number, count: number): void {
  if (Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo <= hi && hi <= count) return;
  throw new RangeError(
    `Cannot run ${kernel}: expected 0 ≤ lo ≤ hi ≤ ${count} (integers), got lo ${lo}, hi ${hi}`,
  );
}
