/**
 * Nonces for concurrent sends (DESIGN.md section 5, Hyperliquid's rule): an account
 * remembers its 100 highest used nonces and accepts a new one that is unused and greater
 * than the smallest remembered. Nonces here are millisecond timestamps, strictly increasing
 * per signer, so any order of arrival is fine as long as no more than 100 transactions are
 * in flight: if 100 higher nonces commit before a lower one arrives, the lower one falls out
 * of the window. `acquire` therefore waits while `NONCE_WINDOW` sends are unresolved.
 */
export const NONCE_WINDOW = 100;

export class NonceManager {
  private last = 0;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly now: () => number = Date.now) {}

  /** The next nonce: the clock in ms, or one more than the last if the clock has not moved. */
  next(): number {
    this.last = Math.max(this.now(), this.last + 1);
    return this.last;
  }

  /**
   * A nonce for a send that stays in flight until `release` (committed, rejected or given
   * up). Waits while the window is full. Nonces are taken in call order.
   */
  async acquire(): Promise<number> {
    while (this.inFlight >= NONCE_WINDOW) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.inFlight++;
    return this.next();
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.waiters.shift()?.();
  }

  /**
   * Raises the floor above nonces this account already used (e.g. from `account` after a
   * bad_nonce caused by another process with a faster clock signing with the same key).
   */
  observe(usedNonces: readonly (number | string)[]): void {
    for (const n of usedNonces) this.last = Math.max(this.last, Number(n));
  }

  get pending(): number {
    return this.inFlight;
  }
}
