/**
 * Internal: the liveness rule of DataParallel, shared by the main thread's watchdog and
 * the workers' barrier waits. A worker is judged by its progress (a heartbeat counter it
 * bumps in shared memory while it works), not by wall time: the clock counts only time
 * in which the watcher itself ran and saw no progress. It is read in slices of
 * `SLICE_MS`; a slice that took far longer than that means this process was not running
 * (SIGSTOP, a suspended laptop, a stalled VM), and counts as one normal slice at most.
 */

/** How often a watcher looks at the heartbeats. */
export const SLICE_MS = 50;
/** The most one slice adds to the stall time (a late timer under load still counts, a pause does not). */
const MAX_SLICE_MS = 4 * SLICE_MS;

/** Time without progress, counted in slices with pauses of the process discounted. */
export class StallClock {
  #last = performance.now();
  #stalled = 0;

  /** Adds the time since the last call (at most `MAX_SLICE_MS`), or restarts at 0 if `progressed`; returns the stall time in ms. */
  tick(progressed: boolean): number {
    const now = performance.now();
    const elapsed = now - this.#last;
    this.#last = now;
    this.#stalled = progressed ? 0 : this.#stalled + Math.min(elapsed, MAX_SLICE_MS);
    return this.#stalled;
  }
}
