/**
 * Oracle feeds: where a validator's prices come from before they become its vote
 * extension. A feed runs outside the state machine (it may use clocks, timers and the
 * network); what leaves it is data — market id -> positive decimal string — that the node
 * hands to `app.extendVote({ prices })`, where state/oracle/feedPrices.ts rounds it to ticks.
 */

export interface OracleFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Latest fresh prices only: a market without a fresh price is absent, never stale. */
  prices(): Record<string, string>;
}

/** Injected time source (ms since the Unix epoch), so tests and scenarios are deterministic. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type FeedErrorCode =
  | "FEED_BAD_RESPONSE"
  | "FEED_HTTP_STATUS"
  | "FEED_TIMEOUT"
  | "FEED_NETWORK"
  | "FEED_UNKNOWN_MARKET"
  | "FEED_INVALID_DECIMAL";

export class FeedError extends Error {
  readonly code: FeedErrorCode;
  constructor(code: FeedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FeedError";
    this.code = code;
  }
}
