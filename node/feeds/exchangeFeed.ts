/**
 * Prices from exchange REST tickers: every `pollMs`, each (exchange, market) source is
 * asked once with a timeout; a market's price is the median of its sources whose last
 * successful answer is younger than `staleMs`, or nothing if fewer than `minSources` are
 * fresh. A source that times out, errors or returns garbage keeps its last good price until
 * it goes stale, then drops out (logged once when it goes stale and once when it recovers).
 */
import type { Logger } from "pino";
import type { ExchangeName, ExchangeSourceConfig } from "../config/schema.js";
import { medianDecimal } from "./decimal.js";
import { ADAPTERS, DEFAULT_SYMBOLS, type ExchangeAdapter } from "./exchanges.js";
import { type Clock, FeedError, type OracleFeed, systemClock } from "./types.js";

export type ExchangeFeedOptions = Omit<ExchangeSourceConfig, "kind">;

/** Upper bound of a ticker body: they are a few hundred bytes; anything huge is refused. */
const MAX_BODY_BYTES = 256 * 1024;

interface Source {
  exchange: ExchangeName;
  adapter: ExchangeAdapter;
  market: string;
  symbol: string;
  url: string;
  lastPrice?: string;
  lastOkMs?: number;
  lastError?: string;
  stale: boolean;
}

export interface SourceStatus {
  exchange: ExchangeName;
  market: string;
  symbol: string;
  lastPrice?: string;
  lastOkMs?: number;
  lastError?: string;
  fresh: boolean;
}

export class ExchangeFeed implements OracleFeed {
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly fetchFn: typeof fetch;
  private readonly sources: Source[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private stopController = new AbortController();

  constructor(
    private readonly opts: ExchangeFeedOptions,
    deps: { clock?: Clock; logger?: Logger; fetch?: typeof fetch } = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.fetchFn = deps.fetch ?? fetch;
    for (const market of opts.markets) {
      const before = this.sources.length;
      for (const exchange of opts.exchanges) {
        const symbol = opts.symbols[market]?.[exchange] ?? DEFAULT_SYMBOLS[market]?.[exchange];
        if (symbol === undefined) {
          // Not every exchange lists every market: skip the pair, say so once.
          this.logger?.warn(
            { market, exchange },
            "no symbol for market on exchange; source skipped",
          );
          continue;
        }
        const adapter = ADAPTERS[exchange];
        const base = opts.baseUrls[exchange] ?? adapter.defaultBaseUrl;
        this.sources.push({
          exchange,
          adapter,
          market,
          symbol,
          url: adapter.url(base, symbol),
          stale: true,
        });
      }
      if (this.sources.length === before) {
        // A market that can never get a price is a config mistake: say so at startup, not
        // as a silently missing price in every vote.
        throw new FeedError(
          "FEED_UNKNOWN_MARKET",
          `${market}: no symbol on any of ${opts.exchanges.join(", ")}; set oracle source symbols.${market}`,
        );
      }
    }
  }

  /** Polls once right away, then every pollMs (a poll never overlaps the previous one). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.logger?.info(
      { sources: this.sources.map((s) => `${s.exchange}:${s.symbol}`), pollMs: this.opts.pollMs },
      "exchange oracle feed started",
    );
    const loop = async () => {
      if (!this.running) return;
      this.inFlight = this.pollOnce();
      await this.inFlight;
      this.inFlight = undefined;
      if (this.running) this.timer = setTimeout(loop, this.opts.pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopController.abort();
    await this.inFlight;
  }

  /** Asks every source once, in parallel; never throws (failures are recorded per source). */
  async pollOnce(): Promise<void> {
    await Promise.all(this.sources.map((s) => this.pollSource(s)));
    this.updateStaleness();
  }

  prices(): Record<string, string> {
    this.updateStaleness();
    const byMarket = new Map<string, string[]>();
    for (const s of this.sources) {
      if (s.stale || s.lastPrice === undefined) continue;
      const list = byMarket.get(s.market) ?? [];
      list.push(s.lastPrice);
      byMarket.set(s.market, list);
    }
    const out: Record<string, string> = {};
    for (const market of this.opts.markets) {
      const fresh = byMarket.get(market) ?? [];
      if (fresh.length < this.opts.minSources) continue;
      const m = medianDecimal(fresh);
      if (m !== undefined) out[market] = m;
    }
    return out;
  }

  status(): SourceStatus[] {
    this.updateStaleness();
    return this.sources.map((s) => ({
      exchange: s.exchange,
      market: s.market,
      symbol: s.symbol,
      ...(s.lastPrice !== undefined ? { lastPrice: s.lastPrice } : {}),
      ...(s.lastOkMs !== undefined ? { lastOkMs: s.lastOkMs } : {}),
      ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
      fresh: !s.stale,
    }));
  }

  private async pollSource(s: Source): Promise<void> {
    try {
      s.lastPrice = await this.fetchPrice(s);
      s.lastOkMs = this.clock.now();
      s.lastError = undefined;
    } catch (e) {
      s.lastError = e instanceof FeedError ? `${e.code}: ${e.message}` : String(e);
      this.logger?.debug(
        { exchange: s.exchange, market: s.market, err: s.lastError },
        "oracle source failed",
      );
    }
  }

  private async fetchPrice(s: Source): Promise<string> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.opts.timeoutMs),
      this.stopController.signal,
    ]);
    let body: string;
    try {
      const res = await this.fetchFn(s.url, { signal, headers: { accept: "application/json" } });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new FeedError("FEED_HTTP_STATUS", `${s.exchange}: HTTP ${res.status}`);
      }
      const len = Number(res.headers.get("content-length") ?? "0");
      if (len > MAX_BODY_BYTES) {
        await res.body?.cancel().catch(() => undefined);
        throw new FeedError(
          "FEED_BAD_RESPONSE",
          `${s.exchange}: body of ${len} bytes is too large`,
        );
      }
      body = await res.text();
    } catch (e) {
      if (e instanceof FeedError) throw e;
      const name = (e as Error)?.name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new FeedError(
          "FEED_TIMEOUT",
          `${s.exchange}: no answer within ${this.opts.timeoutMs} ms`,
          { cause: e },
        );
      }
      throw new FeedError("FEED_NETWORK", `${s.exchange}: ${(e as Error)?.message ?? String(e)}`, {
        cause: e,
      });
    }
    if (body.length > MAX_BODY_BYTES)
      throw new FeedError("FEED_BAD_RESPONSE", `${s.exchange}: body too large`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new FeedError("FEED_BAD_RESPONSE", `${s.exchange}: body is not JSON`);
    }
    return s.adapter.parse(json, s.symbol);
  }

  private updateStaleness(): void {
    const now = this.clock.now();
    for (const s of this.sources) {
      const stale = s.lastOkMs === undefined || now - s.lastOkMs > this.opts.staleMs;
      if (stale === s.stale) continue;
      s.stale = stale;
      const ctx = {
        exchange: s.exchange,
        market: s.market,
        symbol: s.symbol,
        lastOkMs: s.lastOkMs,
      };
      if (stale)
        this.logger?.warn(
          { ...ctx, err: s.lastError, staleMs: this.opts.staleMs },
          "oracle source stale; excluded from median",
        );
      else this.logger?.info(ctx, "oracle source fresh");
    }
  }
}
