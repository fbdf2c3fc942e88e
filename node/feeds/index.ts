/**
 * Building the node's oracle feed from config: each configured source becomes a feed; with
 * several, a market's price comes from the first source (in config order) that has a
 * fresh price for it — a primary with fallbacks, not a second median (each exchange feed
 * already takes the median of its exchanges).
 */
import type { Logger } from "pino";
import type { OracleSourceConfig } from "../config/schema.js";
import { ExchangeFeed } from "./exchangeFeed.js";
import { scenarioByName } from "./scenarios.js";
import { SimulatedFeed } from "./simulated.js";
import type { Clock, OracleFeed } from "./types.js";

export {
  compareDec,
  type Dec,
  formatDec,
  medianDecimal,
  normalizeDecimal,
  parseDec,
  roundToTick,
  type TickRounding,
} from "./decimal.js";
export { ExchangeFeed, type ExchangeFeedOptions, type SourceStatus } from "./exchangeFeed.js";
export {
  ADAPTERS,
  binance,
  coinbase,
  DEFAULT_SYMBOLS,
  type ExchangeAdapter,
  kraken,
} from "./exchanges.js";
export {
  type CrashOptions,
  crashScenario,
  type GapOptions,
  type GrindOptions,
  gapScenario,
  grindScenario,
  MAX_SCENARIO_MS,
  noScenario,
  type Scenario,
  type ScenarioTiming,
  scenarioByName,
  UNCHANGED_PPM,
} from "./scenarios.js";
export { SimulatedFeed, type SimulatedFeedOptions, type SimulatedMarket } from "./simulated.js";
export {
  type Clock,
  FeedError,
  type FeedErrorCode,
  type OracleFeed,
  systemClock,
} from "./types.js";

export class CombinedFeed implements OracleFeed {
  constructor(private readonly feeds: readonly OracleFeed[]) {}

  async start(): Promise<void> {
    await Promise.all(this.feeds.map((f) => f.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.feeds.map((f) => f.stop()));
  }

  prices(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.feeds) {
      for (const [market, price] of Object.entries(f.prices())) {
        if (!Object.hasOwn(out, market)) out[market] = price;
      }
    }
    return out;
  }
}

export interface FeedContext {
  /** This validator's index in the validator set (for simulated noise), unless config sets it. */
  validatorIndex: number;
  /** Shared time origin for simulated feeds (genesis time, ms), unless config sets it. */
  epochMs?: number;
  clock?: Clock;
  logger?: Logger;
  fetch?: typeof fetch;
}

/** One OracleFeed for the configured sources (an empty list gives a feed with no prices). */
export function createOracleFeed(
  sources: readonly OracleSourceConfig[],
  ctx: FeedContext,
): OracleFeed {
  const feeds = sources.map((src): OracleFeed => {
    const logger = ctx.logger?.child({ feed: src.kind });
    if (src.kind === "simulated") {
      const epochMs = src.epochMs ?? ctx.epochMs;
      return new SimulatedFeed(
        {
          seed: src.seed,
          validatorIndex: src.validatorIndex ?? ctx.validatorIndex,
          stepMs: src.stepMs,
          noisePpm: src.noisePpm,
          markets: src.markets,
          scenario: scenarioByName(src.scenario, src.scenarioMarkets, {
            startMs: src.scenarioStartMs,
            durationMs: src.scenarioDurationMs,
          }),
          ...(epochMs !== undefined ? { epochMs } : {}),
        },
        { ...(ctx.clock ? { clock: ctx.clock } : {}), ...(logger ? { logger } : {}) },
      );
    }
    const { kind: _kind, ...opts } = src;
    return new ExchangeFeed(opts, {
      ...(ctx.clock ? { clock: ctx.clock } : {}),
      ...(logger ? { logger } : {}),
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    });
  });
  return feeds.length === 1 ? feeds[0] : new CombinedFeed(feeds);
}
