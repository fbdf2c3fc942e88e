/**
 * Clock and timers, injected: the node passes `realTimers`, the simulator virtual time.
 * `now()` is only used to stamp our own votes (BFT time) and for logs, never for a
 * decision inside the machine.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
