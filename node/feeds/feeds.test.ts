import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config/schema.js";
import {
  type Clock,
  crashScenario,
  createOracleFeed,
  ExchangeFeed,
  type ExchangeFeedOptions,
  gapScenario,
  grindScenario,
  kraken,
  MAX_SCENARIO_MS,
  medianDecimal,
  normalizeDecimal,
  parseDec,
  roundToTick,
  SimulatedFeed,
  type SimulatedFeedOptions,
  scenarioByName,
} from "./index.js";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/feeds");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

class FakeClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

/** price / base - 1 in ppm, exactly enough for bounds checks (bigint on 10^-8 units). */
function deviationPpm(price: string, base: string): number {
  const p = parseDec(price);
  const b = parseDec(base);
  const s = Math.max(p.scale, b.scale);
  const pi = p.int * 10n ** BigInt(s - p.scale);
  const bi = b.int * 10n ** BigInt(s - b.scale);
  return Number(((pi - bi) * 1_000_000n) / bi);
}

describe("decimal helpers", () => {
  it("normalises exchange strings exactly", () => {
    expect(normalizeDecimal("67000.01000000")).toBe("67000.01");
    expect(normalizeDecimal("67000.00000")).toBe("67000");
    expect(normalizeDecimal("0.00001230")).toBe("0.0000123");
    for (const bad of ["1e5", "-1", "1.", ".5", "NaN", " 1", "1,5", ""]) {
      expect(() => parseDec(bad)).toThrow(/decimal/);
    }
  });

  it("median of odd and even counts, exactly", () => {
    expect(medianDecimal(["3", "1.5", "2"])).toBe("2");
    expect(medianDecimal(["67020.00", "67012.34"])).toBe("67016.17");
    expect(medianDecimal(["1", "2"])).toBe("1.5");
    expect(medianDecimal(["0.1", "0.2", "0.3", "100"])).toBe("0.25");
    expect(medianDecimal([])).toBeUndefined();
  });

  it("roundToTick: nearest (half up), floor, ceil", () => {
    expect(roundToTick("67012.34", "0.5")).toBe("67012.5");
    expect(roundToTick("67012.25", "0.5")).toBe("67012.5");
    expect(roundToTick("67012.24", "0.5")).toBe("67012");
    expect(roundToTick("67012.34", "0.5", "floor")).toBe("67012");
    expect(roundToTick("67012.01", "0.5", "ceil")).toBe("67012.5");
    expect(roundToTick("67012", "1")).toBe("67012");
    expect(roundToTick("0.123456", "0.0001")).toBe("0.1235");
    expect(roundToTick("1234", "100")).toBe("1200");
    expect(() => roundToTick("1", "0")).toThrow(/tick size/);
  });
});

const SIM: SimulatedFeedOptions = {
  seed: "devnet-1",
  validatorIndex: 0,
  stepMs: 1000,
  noisePpm: 500,
  markets: {
    "BTC-USD": { startPrice: "60000", volatilityPpm: 1000 },
    "ETH-USD": { startPrice: "3000.5", volatilityPpm: 2000 },
  },
};

describe("SimulatedFeed", () => {
  it("is deterministic given seed, validator and elapsed time, in any query order", () => {
    const a = new SimulatedFeed(SIM);
    const b = new SimulatedFeed(SIM);
    const times = [0, 999, 1000, 5_000, 123_456, 3_600_000];
    const forward = times.map((t) => a.priceAt("BTC-USD", t));
    const backward = [...times]
      .reverse()
      .map((t) => b.priceAt("BTC-USD", t))
      .reverse();
    expect(backward).toEqual(forward);
    expect(a.basePriceAt("BTC-USD", 0)).toBe("60000");
    // Same step, same price; a different seed walks elsewhere.
    expect(a.priceAt("BTC-USD", 1000)).toBe(a.priceAt("BTC-USD", 1999));
    const c = new SimulatedFeed({ ...SIM, seed: "devnet-2" });
    expect(c.basePriceAt("BTC-USD", 60_000)).not.toBe(a.basePriceAt("BTC-USD", 60_000));
  });

  it("validators share the walk and differ only by bounded noise", () => {
    const feeds = [0, 1, 2, 3].map((i) => new SimulatedFeed({ ...SIM, validatorIndex: i }));
    let differing = 0;
    for (let t = 0; t < 300_000; t += 7_000) {
      const base = feeds[0].basePriceAt("ETH-USD", t);
      const reported = feeds.map((f) => f.priceAt("ETH-USD", t));
      for (const f of feeds) expect(f.basePriceAt("ETH-USD", t)).toBe(base);
      for (const p of reported)
        expect(Math.abs(deviationPpm(p, base))).toBeLessThanOrEqual(SIM.noisePpm);
      if (new Set(reported).size > 1) differing++;
    }
    expect(differing).toBeGreaterThan(30);
  });

  it("each step moves the walk by at most volatilityPpm", () => {
    const f = new SimulatedFeed(SIM);
    let prev = f.basePriceAt("BTC-USD", 0);
    let moved = 0;
    for (let step = 1; step <= 2000; step++) {
      const cur = f.basePriceAt("BTC-USD", step * 1000);
      const d = deviationPpm(cur, prev);
      expect(Math.abs(d)).toBeLessThanOrEqual(1000);
      if (cur !== prev) moved++;
      prev = cur;
    }
    expect(moved).toBeGreaterThan(1900);
  });

  it("prices() follows the injected clock from start() and is empty before it", async () => {
    const clock = new FakeClock();
    const f = new SimulatedFeed({ ...SIM, epochMs: clock.t - 10_000 }, { clock });
    expect(f.prices()).toEqual({});
    await f.start();
    expect(f.prices()).toEqual({
      "BTC-USD": f.priceAt("BTC-USD", 10_000),
      "ETH-USD": f.priceAt("ETH-USD", 10_000),
    });
    clock.t += 5_000;
    expect(f.prices()["BTC-USD"]).toBe(f.priceAt("BTC-USD", 15_000));
    await f.stop();
    expect(f.prices()).toEqual({});
  });

  it("prices are plain decimal strings with at most 8 decimals", () => {
    const f = new SimulatedFeed({
      ...SIM,
      markets: { "DOGE-USD": { startPrice: "0.12345678", volatilityPpm: 5000 } },
    });
    for (let t = 0; t < 100_000; t += 3_000) {
      expect(f.priceAt("DOGE-USD", t)).toMatch(/^\d+(\.\d{1,8})?$/);
    }
  });

  describe("scenarios (no volatility, no noise, so the shape is exact)", () => {
    const flat = (scenario: SimulatedFeedOptions["scenario"]) =>
      new SimulatedFeed({
        ...SIM,
        noisePpm: 0,
        markets: {
          "BTC-USD": { startPrice: "60000", volatilityPpm: 0 },
          "ETH-USD": { startPrice: "3000", volatilityPpm: 0 },
        },
        ...(scenario ? { scenario } : {}),
      });

    it("crash: -30 % over one minute, starting at one minute", () => {
      const f = flat(crashScenario());
      expect(f.priceAt("BTC-USD", 0)).toBe("60000");
      expect(f.priceAt("BTC-USD", 60_000)).toBe("60000");
      expect(f.priceAt("BTC-USD", 90_000)).toBe("51000");
      expect(f.priceAt("BTC-USD", 120_000)).toBe("42000");
      expect(f.priceAt("BTC-USD", 600_000)).toBe("42000");
      let prev = Number.POSITIVE_INFINITY;
      for (let t = 60_000; t <= 120_000; t += 1_000) {
        const p = Number(f.priceAt("BTC-USD", t)); // test-only comparison
        expect(p).toBeLessThanOrEqual(prev);
        prev = p;
      }
    });

    it("grind: a slow monotone -20 % over 30 minutes", () => {
      const f = flat(grindScenario());
      expect(f.priceAt("BTC-USD", 0)).toBe("60000");
      expect(f.priceAt("BTC-USD", 15 * 60_000)).toBe("54000");
      expect(f.priceAt("BTC-USD", 30 * 60_000)).toBe("48000");
      // No single one-second step moves more than 0.02 %.
      for (let t = 1000; t <= 30 * 60_000; t += 1000) {
        expect(
          Math.abs(deviationPpm(f.priceAt("BTC-USD", t), f.priceAt("BTC-USD", t - 1000))),
        ).toBeLessThanOrEqual(200);
      }
    });

    it("gap: one jump, no prices in between, only for the targeted market", () => {
      const f = flat(gapScenario({ atMs: 30_000, gapPpm: -150_000, markets: ["ETH-USD"] }));
      expect(f.priceAt("ETH-USD", 29_999)).toBe("3000");
      expect(f.priceAt("ETH-USD", 30_000)).toBe("2550");
      expect(f.priceAt("BTC-USD", 30_000)).toBe("60000");
    });

    it("timing moves and shortens a scenario: a crash in 20 s, 5 s in (drills, tests)", () => {
      const f = flat(scenarioByName("crash", [], { startMs: 5_000, durationMs: 20_000 }));
      expect(f.priceAt("BTC-USD", 5_000)).toBe("60000");
      expect(f.priceAt("BTC-USD", 15_000)).toBe("51000");
      expect(f.priceAt("BTC-USD", 25_000)).toBe("42000");
      expect(f.priceAt("ETH-USD", 25_000)).toBe("2100");
      const grind = flat(scenarioByName("grind", ["BTC-USD"], { durationMs: 10_000 }));
      expect(grind.priceAt("BTC-USD", 5_000)).toBe("54000");
      expect(grind.priceAt("ETH-USD", 5_000)).toBe("3000");
      const gap = flat(scenarioByName("gap", [], { startMs: 2_000 }));
      expect(gap.priceAt("BTC-USD", 1_999)).toBe("60000");
      expect(gap.priceAt("BTC-USD", 2_000)).toBe("51000");
      // Without timing, the defaults: a crash one minute in, over one minute.
      const def = flat(scenarioByName("crash"));
      expect(def.priceAt("BTC-USD", 60_000)).toBe("60000");
      expect(def.priceAt("BTC-USD", 120_000)).toBe("42000");
    });

    it("timing that would be ignored or cannot be met is refused, naming the field", () => {
      expect(() => scenarioByName("none", [], { startMs: 0 })).toThrow(
        "scenario none takes no timing (startMs, durationMs)",
      );
      expect(() => scenarioByName("gap", [], { durationMs: 5 })).toThrow(
        "gap: no durationMs (the jump is instantaneous, at startMs)",
      );
      expect(() => scenarioByName("crash", [], { durationMs: 0 })).toThrow(
        "crash: durationMs must be an integer in 1..31536000000 ms (365 days), got 0",
      );
      expect(() => scenarioByName("grind", [], { startMs: 1.5 })).toThrow(
        "grind: startMs must be an integer in 0..31536000000 ms (365 days), got 1.5",
      );
      expect(() => crashScenario({ startMs: MAX_SCENARIO_MS + 1 })).toThrow(RangeError);
      expect(() => gapScenario({ atMs: -1 })).toThrow(
        "gap: atMs must be an integer in 0..31536000000 ms (365 days), got -1",
      );
    });
  });
});

// ---- exchange feeds against a local replay server ----------------------------------------

interface Route {
  status?: number;
  body: string;
  delayMs?: number;
}

class ReplayServer {
  routes = new Map<string, Route>();
  hits = new Map<string, number>();
  private server: Server | undefined;
  private timers = new Set<NodeJS.Timeout>();
  base = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = req.url ?? "";
      this.hits.set(url, (this.hits.get(url) ?? 0) + 1);
      const r = this.routes.get(url);
      const send = () => {
        if (!r) {
          res.writeHead(404).end('{"message":"NotFound"}');
          return;
        }
        res.writeHead(r.status ?? 200, { "content-type": "application/json" }).end(r.body);
      };
      if (r?.delayMs) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          send();
        }, r.delayMs);
        this.timers.add(t);
      } else send();
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const ROUTES: Record<string, string> = {
  "/binance/api/v3/ticker/price?symbol=BTCUSDT": "binance-BTCUSDT.json",
  "/binance/api/v3/ticker/price?symbol=ETHUSDT": "binance-ETHUSDT.json",
  "/coinbase/products/BTC-USD/ticker": "coinbase-BTC-USD.json",
  "/coinbase/products/ETH-USD/ticker": "coinbase-ETH-USD.json",
  "/kraken/0/public/Ticker?pair=XBTUSD": "kraken-XBTUSD.json",
  "/kraken/0/public/Ticker?pair=ETHUSD": "kraken-ETHUSD.json",
};

describe("ExchangeFeed (local replay servers)", () => {
  let server: ReplayServer;
  let clock: FakeClock;
  let feed: ExchangeFeed | undefined;

  async function setup(over: Partial<ExchangeFeedOptions> = {}): Promise<ExchangeFeed> {
    server = new ReplayServer();
    for (const [route, file] of Object.entries(ROUTES))
      server.routes.set(route, { body: fixture(file) });
    await server.start();
    clock = new FakeClock();
    feed = new ExchangeFeed(
      {
        exchanges: ["binance", "coinbase", "kraken"],
        markets: ["BTC-USD", "ETH-USD"],
        pollMs: 50,
        // Generous: a loaded CI machine must not turn a healthy local answer into a timeout.
        timeoutMs: 1_000,
        staleMs: 10_000,
        minSources: 1,
        baseUrls: {
          binance: `${server.base}/binance`,
          coinbase: `${server.base}/coinbase`,
          kraken: `${server.base}/kraken/`,
        },
        symbols: {},
        ...over,
      },
      { clock },
    );
    return feed;
  }

  afterEach(async () => {
    await feed?.stop();
    feed = undefined;
    await server?.stop();
  });

  it("median of three sources per market", async () => {
    const f = await setup();
    await f.pollOnce();
    // BTC: 67012.34 (binance), 67020.00 (coinbase), 67030.1 (kraken) -> 67020
    // ETH: 3501.1, 3502.5, 3503 -> 3502.5
    expect(f.prices()).toEqual({ "BTC-USD": "67020", "ETH-USD": "3502.5" });
    expect(f.status().every((s) => s.fresh)).toBe(true);
  });

  it("a source that times out is left out: median of the two that answered", async () => {
    const f = await setup();
    server.routes.set("/coinbase/products/BTC-USD/ticker", {
      body: fixture("coinbase-BTC-USD.json"),
      delayMs: 5_000,
    });
    await f.pollOnce();
    expect(f.prices()["BTC-USD"]).toBe("67021.22"); // (67012.34 + 67030.1) / 2
    const cb = f.status().find((s) => s.exchange === "coinbase" && s.market === "BTC-USD");
    expect(cb?.fresh).toBe(false);
    expect(cb?.lastError).toMatch(/FEED_TIMEOUT/);
  });

  it("a source returning garbage is left out", async () => {
    const f = await setup();
    server.routes.set("/binance/api/v3/ticker/price?symbol=BTCUSDT", {
      body: fixture("binance-garbage.txt"),
    });
    server.routes.set("/kraken/0/public/Ticker?pair=XBTUSD", {
      body: '{"error":[],"result":{"XXBTZUSD":{"c":[67030.1]}}}',
    });
    await f.pollOnce();
    expect(f.prices()["BTC-USD"]).toBe("67020");
    const errors = f
      .status()
      .filter((s) => s.market === "BTC-USD" && !s.fresh)
      .map((s) => s.lastError);
    expect(errors).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/price is not a string/),
    ]);
  });

  it("HTTP errors and exchange error bodies are failures, not prices", async () => {
    const f = await setup({ exchanges: ["binance", "kraken"], markets: ["BTC-USD"] });
    server.routes.set("/binance/api/v3/ticker/price?symbol=BTCUSDT", {
      status: 429,
      body: '{"code":-1003}',
    });
    server.routes.set("/kraken/0/public/Ticker?pair=XBTUSD", {
      body: fixture("kraken-error-unknown-pair.json"),
    });
    await f.pollOnce();
    expect(f.prices()).toEqual({});
    expect(f.status().map((s) => s.lastError)).toEqual([
      expect.stringMatching(/HTTP 429/),
      expect.stringMatching(/Unknown asset pair/),
    ]);
  });

  it("a failing source keeps its last price until staleMs, then drops out; all stale -> no price", async () => {
    const f = await setup();
    await f.pollOnce();
    for (const route of Object.keys(ROUTES)) server.routes.set(route, { status: 503, body: "{}" });
    clock.t += 5_000;
    await f.pollOnce();
    expect(f.prices()["BTC-USD"]).toBe("67020"); // last good answers, 5 s old, still fresh
    clock.t += 5_001;
    expect(f.prices()).toEqual({});
    expect(f.status().some((s) => s.fresh)).toBe(false);
  });

  it("logs a source going stale once, and its recovery once", async () => {
    const lines: { msg: string; exchange?: string; market?: string }[] = [];
    const logger = pino({ level: "info" }, { write: (l: string) => lines.push(JSON.parse(l)) });
    server = new ReplayServer();
    server.routes.set(Object.keys(ROUTES)[0], { body: fixture(Object.values(ROUTES)[0]) });
    await server.start();
    clock = new FakeClock();
    feed = new ExchangeFeed(
      {
        exchanges: ["binance"],
        markets: ["BTC-USD"],
        pollMs: 1000,
        timeoutMs: 1000,
        staleMs: 1000,
        minSources: 1,
        baseUrls: { binance: `${server.base}/binance` },
        symbols: {},
      },
      { clock, logger },
    );
    await feed.pollOnce();
    server.routes.delete(Object.keys(ROUTES)[0]);
    clock.t += 2000;
    await feed.pollOnce();
    expect(feed.prices()).toEqual({});
    expect(feed.prices()).toEqual({});
    server.routes.set(Object.keys(ROUTES)[0], { body: fixture(Object.values(ROUTES)[0]) });
    await feed.pollOnce();
    expect(feed.prices()).toEqual({ "BTC-USD": "67012.34" });
    const msgs = lines.filter((l) => l.msg.startsWith("oracle source")).map((l) => l.msg);
    expect(msgs).toEqual([
      "oracle source fresh",
      "oracle source stale; excluded from median",
      "oracle source fresh",
    ]);
  });

  it("minSources: too few fresh sources means no price", async () => {
    const f = await setup({ minSources: 2 });
    server.routes.set("/coinbase/products/ETH-USD/ticker", { status: 500, body: "{}" });
    server.routes.set("/kraken/0/public/Ticker?pair=ETHUSD", { status: 500, body: "{}" });
    await f.pollOnce();
    expect(f.prices()).toEqual({ "BTC-USD": "67020" });
  });

  it("start() polls on its own and stop() ends the loop", async () => {
    const f = await setup({ markets: ["BTC-USD"] });
    await f.start();
    const deadline = Date.now() + 5_000;
    // Sources answer one by one: wait for the poll in which all three have answered.
    while (f.prices()["BTC-USD"] !== "67020" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(f.prices()["BTC-USD"]).toBe("67020");
    while (
      (server.hits.get("/binance/api/v3/ticker/price?symbol=BTCUSDT") ?? 0) < 2 &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await f.stop();
    const hits = server.hits.get("/binance/api/v3/ticker/price?symbol=BTCUSDT") ?? 0;
    expect(hits).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 150));
    expect(server.hits.get("/binance/api/v3/ticker/price?symbol=BTCUSDT")).toBe(hits);
  });

  it("a market with no symbol on any configured exchange is refused at construction", () => {
    const opts = {
      exchanges: ["kraken" as const],
      markets: ["DOGE-USD"],
      pollMs: 1000,
      timeoutMs: 100,
      staleMs: 1000,
      minSources: 1,
      baseUrls: {},
      symbols: {},
    };
    expect(() => new ExchangeFeed(opts)).toThrow(/DOGE-USD: no symbol on any of kraken/);
    expect(
      () => new ExchangeFeed({ ...opts, symbols: { "DOGE-USD": { kraken: "XDGUSD" } } }),
    ).not.toThrow();
  });

  it("kraken adapter reads the canonical result key for an alias", () => {
    expect(kraken.parse(JSON.parse(fixture("kraken-XBTUSD.json")), "XBTUSD")).toBe("67030.1");
  });
});

describe("createOracleFeed from config", () => {
  it("builds a simulated feed whose validators share an epoch", async () => {
    const cfg = parseConfig({
      oracle: {
        sources: [
          {
            kind: "simulated",
            seed: "x",
            markets: { "BTC-USD": { startPrice: "100", volatilityPpm: 100 } },
          },
        ],
      },
    });
    const clock = new FakeClock();
    const feeds = [0, 1].map((validatorIndex) =>
      createOracleFeed(cfg.oracle.sources, { validatorIndex, epochMs: clock.t - 60_000, clock }),
    );
    for (const f of feeds) await f.start();
    const [p0, p1] = feeds.map((f) => f.prices()["BTC-USD"]);
    expect(p0).toMatch(/^\d+(\.\d+)?$/);
    expect(Math.abs(deviationPpm(p0, p1))).toBeLessThanOrEqual(1001);
    for (const f of feeds) await f.stop();
  });

  it("a simulated source's scenario timing reaches the feed", async () => {
    const cfg = parseConfig({
      oracle: {
        sources: [
          {
            kind: "simulated",
            seed: "x",
            noisePpm: 0,
            scenario: "crash",
            scenarioStartMs: 1_000,
            scenarioDurationMs: 2_000,
            markets: { "BTC-USD": { startPrice: "100", volatilityPpm: 0 } },
          },
        ],
      },
    });
    const clock = new FakeClock();
    const feed = createOracleFeed(cfg.oracle.sources, {
      validatorIndex: 0,
      epochMs: clock.t,
      clock,
    });
    await feed.start();
    expect(feed.prices()).toEqual({ "BTC-USD": "100" });
    clock.t += 2_000;
    expect(feed.prices()).toEqual({ "BTC-USD": "85" });
    clock.t += 1_000;
    expect(feed.prices()).toEqual({ "BTC-USD": "70" });
    await feed.stop();
  });

  it("with several sources, the first with a fresh price wins per market", async () => {
    const cfg = parseConfig({
      oracle: {
        sources: [
          {
            kind: "exchange",
            exchanges: ["binance"],
            markets: ["BTC-USD"],
            baseUrls: { binance: "http://127.0.0.1:9" },
            timeoutMs: 50,
          },
          {
            kind: "simulated",
            seed: "x",
            noisePpm: 0,
            markets: {
              "BTC-USD": { startPrice: "100", volatilityPpm: 0 },
              "ETH-USD": { startPrice: "5", volatilityPpm: 0 },
            },
          },
        ],
      },
    });
    const feed = createOracleFeed(cfg.oracle.sources, {
      validatorIndex: 0,
      clock: new FakeClock(),
    });
    await feed.start();
    // The exchange source has nothing (port 9 refuses): the simulated fallback answers both.
    expect(feed.prices()).toEqual({ "BTC-USD": "100", "ETH-USD": "5" });
    await feed.stop();
  });
});
