/**
 * Per-address token buckets: each address may spend `burst` calls at once and regains
 * `perSecond` calls per second. One JSON-RPC call (each element of a batch) costs one token.
 */

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Addresses never limited (loopback by default: local bots, benchmarks, the devnet). */
  exempt: readonly string[];
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

/** Buckets kept before idle ones are swept eagerly (bounds memory under address churn). */
const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly exempt: Set<string>;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.exempt = new Set(opts.exempt);
  }

  /** Spends `cost` tokens of `key`; false (and nothing spent) when it has too few. */
  take(key: string, cost = 1): boolean {
    if (this.exempt.has(key)) return true;
    const now = this.nowMs();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep();
      b = { tokens: this.opts.burst, lastMs: now };
      this.buckets.set(key, b);
    } else {
      const refill = ((now - b.lastMs) / 1000) * this.opts.perSecond;
      b.tokens = Math.min(this.opts.burst, b.tokens + refill);
      b.lastMs = now;
    }
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Forgets buckets that have refilled completely: they carry no information. */
  sweep(): void {
    const now = this.nowMs();
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.lastMs) / 1000) * this.opts.perSecond >= this.opts.burst) {
        this.buckets.delete(k);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
