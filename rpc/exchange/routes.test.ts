/** Exchange methods over a fake source: shapes, defaults, and a precise error for bad input. */
import { describe, expect, it } from "vitest";
import type { AppEvent, QueryRequest, QueryResponse } from "../../lib/abci.js";
import { RpcCode } from "../errors.js";
import { type RouteContext, Router } from "../routes.js";
import type { CommittedHeight, TradeView } from "./events.js";
import { type ExchangeSource, registerExchangeRoutes } from "./routes.js";

const ctx: RouteContext = {
  transport: "http",
  remoteAddress: "127.0.0.1",
  requestId: 1,
  afterResponse: () => {},
};

const ALICE = "0x00000000000000000000000000000000000a11ce";
const BOB = "0x0000000000000000000000000000000000000b0b";

function ev(type: string, attrs: Record<string, string>): AppEvent {
  return { type, attributes: Object.entries(attrs).map(([key, value]) => ({ key, value })) };
}

/** Height 7: one liquidation of ALICE (BTC-USD), one funding of ETH-USD, an oracle round. */
const HEIGHT_7_WITH_ALICE_LIQUIDATED: CommittedHeight = {
  height: 7,
  timeMs: Date.UTC(2026, 0, 1),
  hash: new Uint8Array(32),
  txs: 0,
  result: {
    txResults: [],
    appHash: new Uint8Array(32),
    events: [
      ev("explain", {
        kind: "oracle",
        key: "",
        data: JSON.stringify({
          height: 6,
          markets: [{ market: "BTC-USD" }, { market: "ETH-USD" }],
        }),
      }),
      ev("explain", {
        kind: "funding",
        key: "ETH-USD",
        data: JSON.stringify({ ratePpm: "12" }),
      }),
      ev("explain", {
        kind: "liquidation",
        key: ALICE,
        data: JSON.stringify({ account: ALICE, steps: [{ market: "BTC-USD" }] }),
      }),
    ],
  },
};

const TRADE: TradeView = {
  market: "BTC-USD",
  height: 5,
  blockSeq: 0,
  time: "2026-01-01T00:00:00.000Z",
  price: "60000",
  size: "0.1",
  side: "buy",
  maker: ALICE,
  taker: BOB,
  makerOrderId: 1,
  takerOrderId: 2,
  makerFee: "-0.66",
  takerFee: "3",
  kind: "book",
  liquidation: false,
};

function source(queries: QueryRequest[] = []): ExchangeSource {
  return {
    query(req): QueryResponse {
      queries.push(req);
      const ok = (value: unknown, proof?: unknown) => ({
        code: 0,
        log: "",
        height: 9,
        value,
        proof,
      });
      switch (req.path) {
        case "markets":
          return ok([{ id: "BTC-USD" }]);
        case "orderbook":
          if (req.params.market !== "BTC-USD") {
            return {
              code: 300,
              log: `unknown market ${req.params.market}`,
              height: 9,
              value: null,
            };
          }
          return ok({ market: "BTC-USD", height: 9, bids: [["59900", "1"]], asks: [] });
        case "account":
          return ok(
            { address: req.params.address, exists: false },
            req.prove ? { root: "AB" } : undefined,
          );
        case "oracle_prices":
          return ok([{ market: "BTC-USD", price: "60000", height: 9, stale: false }]);
        case "insurance_fund":
          return ok({ balance: "1000", feePool: "1" });
        default:
          return { code: 104, log: "unknown path", height: 9, value: null };
      }
    },
    latestHeight: () => 9,
    committed: (h) =>
      h === 7
        ? HEIGHT_7_WITH_ALICE_LIQUIDATED
        : h === 6
          ? {
              ...HEIGHT_7_WITH_ALICE_LIQUIDATED,
              height: 6,
              result: { ...HEIGHT_7_WITH_ALICE_LIQUIDATED.result, events: [] },
            }
          : undefined,
    trades: (m, limit) => (m === "BTC-USD" ? [TRADE].slice(0, limit) : undefined),
  };
}

function router(queries?: QueryRequest[]): Router {
  const r = new Router();
  registerExchangeRoutes(r, source(queries));
  return r;
}

async function err(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; message: string };
  }
  throw new Error("expected an error");
}

describe("exchange routes: results", () => {
  it("markets, oracle_prices and insurance_fund carry the height they were read at", async () => {
    const r = router();
    expect(await r.call("markets", undefined, ctx)).toEqual({
      height: 9,
      markets: [{ id: "BTC-USD" }],
    });
    expect(await r.call("oracle_prices", [], ctx)).toMatchObject({
      height: 9,
      prices: [{ price: "60000" }],
    });
    expect(await r.call("insurance_fund", {}, ctx)).toEqual({
      height: 9,
      balance: "1000",
      feePool: "1",
    });
  });

  it("orderbook defaults to depth 50 and keeps the application's unknown-market code", async () => {
    const queries: QueryRequest[] = [];
    const r = router(queries);
    expect(await r.call("orderbook", { market: "BTC-USD" }, ctx)).toMatchObject({
      bids: [["59900", "1"]],
    });
    expect(queries[0].params).toEqual({ market: "BTC-USD", depth: 50 });
    await r.call("orderbook", ["BTC-USD", 3], ctx);
    expect(queries[1].params.depth).toBe(3);
    const e = await err(r.call("orderbook", { market: "XRP-USD" }, ctx));
    expect(e).toMatchObject({ code: 300, message: "unknown market XRP-USD" });
  });

  it("trades: newest first, limited; unknown market is 300", async () => {
    const r = router();
    expect(await r.call("trades", { market: "BTC-USD", limit: 1 }, ctx)).toEqual({
      market: "BTC-USD",
      height: 9,
      trades: [TRADE],
    });
    expect(await err(r.call("trades", { market: "XRP-USD" }, ctx))).toMatchObject({ code: 300 });
  });

  it("account: lower-cases the address; the proof only with prove", async () => {
    const queries: QueryRequest[] = [];
    const r = router(queries);
    const plain = (await r.call(
      "account",
      { address: ALICE.toUpperCase().replace("0X", "0x") },
      ctx,
    )) as Record<string, unknown>;
    expect(plain.address).toBe(ALICE);
    expect(plain.proof).toBeUndefined();
    const proven = (await r.call("account", { address: ALICE, prove: true }, ctx)) as Record<
      string,
      unknown
    >;
    expect(proven.proof).toEqual({ root: "AB" });
    expect(queries[1].prove).toBe(true);
  });

  it("explain returns the recorded inputs, filtered by account or market", async () => {
    const r = router();
    const liq = (await r.call(
      "explain",
      { kind: "liquidation", height: 7, account: ALICE },
      ctx,
    )) as {
      records: { key: string; data: unknown }[];
    };
    expect(liq.records).toEqual([
      { kind: "liquidation", key: ALICE, data: { account: ALICE, steps: [{ market: "BTC-USD" }] } },
    ]);
    const byMarket = (await r.call(
      "explain",
      { kind: "liquidation", height: "7", market: "BTC-USD" },
      ctx,
    )) as {
      records: unknown[];
    };
    expect(byMarket.records).toHaveLength(1);
    const oracle = (await r.call(
      "explain",
      { kind: "oracle", height: 7, market: "ETH-USD" },
      ctx,
    )) as {
      records: { data: { markets: unknown[] } }[];
    };
    expect(oracle.records[0].data.markets).toEqual([{ market: "ETH-USD" }]);
    const funding = (await r.call("explain", { kind: "funding", height: 7 }, ctx)) as {
      records: { key: string }[];
    };
    expect(funding.records.map((x) => x.key)).toEqual(["ETH-USD"]);
  });
});

describe("exchange routes: bad params name the field (-32602)", () => {
  const cases: [method: string, params: unknown, message: string][] = [
    ["markets", { x: 1 }, "x: unknown param (expected none)"],
    ["oracle_prices", [1], "params: expected at most 0 positional params"],
    ["insurance_fund", { market: "BTC-USD" }, "market: unknown param"],
    ["orderbook", {}, "market: required"],
    ["orderbook", { market: "btc-usd" }, "market: expected a market id like BTC-USD"],
    ["orderbook", { market: 5 }, "market: expected a string"],
    ["orderbook", { market: "BTC-USD", depth: 0 }, "depth: must be 1..500"],
    ["orderbook", { market: "BTC-USD", depth: 501 }, "depth: must be 1..500"],
    ["orderbook", { market: "BTC-USD", depth: "ten" }, "depth: expected an integer"],
    ["trades", { limit: 5 }, "market: required"],
    ["trades", { market: "BTC-USD", limit: 1001 }, "limit: must be 1..1000"],
    ["trades", { market: "BTC-USD", limit: 1.5 }, "limit: expected an integer"],
    ["trades", { market: "BTC-USD", since: 3 }, "since: unknown param (expected market, limit)"],
    ["account", {}, "address: required"],
    ["account", { address: "0x1234" }, "address: length must be 42..42"],
    ["account", { address: `0x${"g".repeat(40)}` }, "address: expected an address 0x + 40 hex"],
    ["account", { address: ALICE, prove: "yes" }, "prove: expected a boolean"],
    ["explain", { height: 7 }, "kind: required"],
    [
      "explain",
      { kind: "margin", height: 7 },
      "kind: expected one of liquidation, oracle, funding",
    ],
    ["explain", { kind: "oracle" }, "height: required"],
    ["explain", { kind: "oracle", height: 0 }, "height: must be 1.."],
    ["explain", { kind: "oracle", height: 10 }, "height: 10 is above the latest height 9"],
    ["explain", { kind: "oracle", height: 8 }, "height: 8 is not stored on this node"],
    [
      "explain",
      { kind: "funding", height: 7, account: ALICE },
      "account: only with kind liquidation",
    ],
    ["explain", { kind: "liquidation", height: 6 }, "height: no liquidation at height 6"],
    [
      "explain",
      { kind: "funding", height: 6 },
      "height: no funding payment (funding settles once per funding interval) at height 6",
    ],
    [
      "explain",
      { kind: "oracle", height: 6 },
      "height: no oracle aggregation (the block carried no vote extensions) at height 6",
    ],
    [
      "explain",
      { kind: "liquidation", height: 7, account: BOB },
      `account: no liquidation record for account ${BOB} at height 7 (1 other liquidation record(s) there)`,
    ],
    [
      "explain",
      { kind: "liquidation", height: 7, market: "ETH-USD" },
      "market: no liquidation record for market ETH-USD at height 7",
    ],
    [
      "explain",
      { kind: "funding", height: 7, market: "BTC-USD" },
      "market: no funding record for market BTC-USD at height 7",
    ],
    [
      "explain",
      { kind: "oracle", height: 7, market: "SOL-USD" },
      "market: no oracle record for market SOL-USD at height 7",
    ],
    [
      "explain",
      { kind: "liquidation", height: 7, market: "BTC" },
      "market: expected a market id like BTC-USD",
    ],
  ];
  for (const [method, params, message] of cases) {
    it(`${method} ${JSON.stringify(params)}`, async () => {
      const e = await err(router().call(method, params, ctx));
      expect(e.code).toBe(RpcCode.INVALID_PARAMS);
      expect(e.message).toContain(`Invalid params: ${message}`);
    });
  }

  it("the URI form validates the same way", async () => {
    const e = await err(
      router().callUri("orderbook", new URLSearchParams("market=BTC-USD&depth=0"), ctx),
    );
    expect(e).toMatchObject({
      code: RpcCode.INVALID_PARAMS,
      message: "Invalid params: depth: must be 1..500",
    });
  });
});
