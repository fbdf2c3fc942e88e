/**
 * Public REST tickers of three exchanges: how to ask, and how to read the answer. Only the
 * documented response fields are read, as strings, and parsed exactly (decimal.ts); any
 * other shape is FEED_BAD_RESPONSE, never a guess.
 *
 *   Binance   GET {base}/api/v3/ticker/price?symbol=BTCUSDT
 *             {"symbol":"BTCUSDT","price":"67000.01000000"}
 *   Coinbase  GET {base}/products/BTC-USD/ticker          (Coinbase Exchange API)
 *             {"ask":"…","bid":"…","volume":"…","trade_id":1,"price":"67000.01","size":"…","time":"…"}
 *   Kraken    GET {base}/0/public/Ticker?pair=XBTUSD
 *             {"error":[],"result":{"XXBTZUSD":{"a":[…],"b":[…],"c":["67000.10000","0.001"],…}}}
 *             c = last trade closed [price, lot volume]; the result key is Kraken's
 *             canonical pair name, which may differ from the requested alias.
 *
 * Binance quotes in USDT; the default mapping treats USDT as USD (a peg assumption the
 * median tolerates while one source deviates; drop "binance" from `exchanges` where it
 * matters).
 */
import type { ExchangeName } from "../config/schema.js";
import { normalizeDecimal, parseDec } from "./decimal.js";
import { FeedError } from "./types.js";

export interface ExchangeAdapter {
  readonly name: ExchangeName;
  readonly defaultBaseUrl: string;
  url(baseUrl: string, symbol: string): string;
  /** The last price from a parsed JSON body, as a normalised positive decimal string. */
  parse(body: unknown, symbol: string): string;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(exchange: string, reason: string): FeedError {
  return new FeedError("FEED_BAD_RESPONSE", `${exchange}: ${reason}`);
}

function price(exchange: string, v: unknown): string {
  if (typeof v !== "string") throw bad(exchange, "price is not a string");
  let s: string;
  try {
    s = normalizeDecimal(v);
  } catch {
    throw bad(exchange, `price ${JSON.stringify(v.slice(0, 40))} is not a plain decimal`);
  }
  if (parseDec(s).int === 0n) throw bad(exchange, "price is zero");
  return s;
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

export const binance: ExchangeAdapter = {
  name: "binance",
  defaultBaseUrl: "https://api.binance.com",
  url: (base, symbol) => joinUrl(base, `/api/v3/ticker/price?symbol=${encodeURIComponent(symbol)}`),
  parse(body, symbol) {
    if (!isObj(body)) throw bad("binance", "expected an object");
    if (body.symbol !== symbol)
      throw bad("binance", `answer is for ${String(body.symbol)}, not ${symbol}`);
    return price("binance", body.price);
  },
};

export const coinbase: ExchangeAdapter = {
  name: "coinbase",
  defaultBaseUrl: "https://api.exchange.coinbase.com",
  url: (base, symbol) => joinUrl(base, `/products/${encodeURIComponent(symbol)}/ticker`),
  parse(body) {
    if (!isObj(body)) throw bad("coinbase", "expected an object");
    return price("coinbase", body.price);
  },
};

export const kraken: ExchangeAdapter = {
  name: "kraken",
  defaultBaseUrl: "https://api.kraken.com",
  url: (base, symbol) => joinUrl(base, `/0/public/Ticker?pair=${encodeURIComponent(symbol)}`),
  parse(body, symbol) {
    if (!isObj(body)) throw bad("kraken", "expected an object");
    if (Array.isArray(body.error) && body.error.length > 0) {
      throw bad("kraken", `error: ${String(body.error[0]).slice(0, 80)}`);
    }
    if (!isObj(body.result)) throw bad("kraken", "missing result");
    const keys = Object.keys(body.result);
    const key = keys.includes(symbol) ? symbol : keys.length === 1 ? keys[0] : undefined;
    if (key === undefined) throw bad("kraken", `no unique ticker for ${symbol} in result`);
    const t = body.result[key];
    if (!isObj(t) || !Array.isArray(t.c) || t.c.length < 1)
      throw bad("kraken", "missing c (last trade)");
    return price("kraken", t.c[0]);
  },
};

export const ADAPTERS: Readonly<Record<ExchangeName, ExchangeAdapter>> = {
  binance,
  coinbase,
  kraken,
};

/** Our market ids to each exchange's symbol. Config `symbols` overrides or extends it. */
export const DEFAULT_SYMBOLS: Readonly<Record<string, Readonly<Record<ExchangeName, string>>>> = {
  "BTC-USD": { binance: "BTCUSDT", coinbase: "BTC-USD", kraken: "XBTUSD" },
  "ETH-USD": { binance: "ETHUSDT", coinbase: "ETH-USD", kraken: "ETHUSD" },
  "SOL-USD": { binance: "SOLUSDT", coinbase: "SOL-USD", kraken: "SOLUSD" },
};
