/** Topic payloads derived from stored FinalizeBlock results, and book level diffs. */
import { describe, expect, it } from "vitest";
import type { AppEvent } from "../../lib/abci.js";
import { parseUnit } from "../../lib/fixed.js";
import {
  accountUpdatesOf,
  blockSummary,
  type CommittedHeight,
  diffLevels,
  explainRecordsOf,
  fundingPaymentsOf,
  fundingTicksOf,
  type MarketUnits,
  positionDeltasOf,
  tradesByMarket,
  tradesOf,
} from "./events.js";

const MAKER = "0x000000000000000000000000000000000000a0a0";
const TAKER = "0x000000000000000000000000000000000000b0b0";
const LIQUIDATED = "0x000000000000000000000000000000000000dead";

function ev(type: string, attrs: Record<string, string | number | boolean>): AppEvent {
  return {
    type,
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value: String(value) })),
  };
}

function fill(market: string, maker: string, taker: string, price: string, liquidation = false) {
  return ev("fill", {
    market,
    maker,
    taker,
    makerOrderId: 1,
    takerOrderId: 2,
    takerSide: "buy",
    price,
    size: "0.5",
    makerFee: -1322200,
    takerFee: 6010000,
    liquidation,
  });
}

/** Height 12: a liquidation fill in the block events, then two txs with fills and a transfer. */
const HEIGHT_12_LIQUIDATION_THEN_TWO_TXS: CommittedHeight = {
  height: 12,
  timeMs: Date.UTC(2026, 10, 29, 0, 0, 1),
  hash: Uint8Array.from({ length: 32 }, (_, i) => i),
  txs: 2,
  result: {
    appHash: new Uint8Array(32).fill(0xab),
    events: [
      fill("BTC-USD", MAKER, LIQUIDATED, "59000", true),
      ev("liquidation", {
        market: "BTC-USD",
        account: LIQUIDATED,
        size: "0.5",
        limitPrice: "58900",
        insuranceFee: 5000000,
        insurancePaid: 0,
      }),
      ev("explain", { kind: "liquidation", key: LIQUIDATED, data: '{"account":"x"}' }),
      ev("block", { height: 12, insuranceFund: "1005" }),
    ],
    txResults: [
      {
        code: 0,
        log: "",
        data: new Uint8Array(),
        events: [
          ev("tx", { signer: TAKER, msgs: 1, failed: 0 }),
          fill("BTC-USD", MAKER, TAKER, "60100"),
          ev("order", {
            market: "BTC-USD",
            owner: TAKER,
            orderId: 2,
            clientId: 7,
            side: "buy",
            price: "60100",
            size: "0.5",
            remaining: "0",
            status: "filled",
            reason: "",
          }),
        ],
      },
      {
        code: 0,
        log: "",
        data: new Uint8Array(),
        events: [
          fill("ETH-USD", TAKER, TAKER, "3000"),
          ev("transfer", { from: MAKER, to: TAKER, amount: "10" }),
        ],
      },
    ],
  },
};

describe("trades", () => {
  it("in execution order: block-level (liquidation) fills first, then by transaction; fees in USDC", () => {
    const all = tradesOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS);
    expect(all.map((t) => t.price)).toEqual(["59000", "60100", "3000"]);
    expect(all.map((t) => t.blockSeq)).toEqual([0, 1, 2]);
    expect(all[0]).toEqual({
      market: "BTC-USD",
      height: 12,
      blockSeq: 0,
      time: "2026-11-29T00:00:01.000Z",
      price: "59000",
      size: "0.5",
      side: "buy",
      maker: MAKER,
      taker: LIQUIDATED,
      makerOrderId: 1,
      takerOrderId: 2,
      makerFee: "-1.3222",
      takerFee: "6.01",
      kind: "liquidation",
      liquidation: true,
    });
    const byMarket = tradesByMarket(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS);
    expect([...byMarket.keys()]).toEqual(["BTC-USD", "ETH-USD"]);
    // One market's trades keep their place in the whole block's sequence.
    expect(tradesOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, "ETH-USD").map((t) => t.blockSeq)).toEqual([
      2,
    ]);
  });
});

describe("account updates", () => {
  it("gathers fills by role, orders, transfers, liquidations, only for wanted addresses", () => {
    const all = accountUpdatesOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, () => true);
    const taker = all.get(TAKER)!;
    expect(taker.fills.map((f) => [f.price, f.role])).toEqual([
      ["60100", "taker"],
      ["3000", "both"],
    ]);
    expect(taker.orders).toEqual([
      {
        market: "BTC-USD",
        owner: TAKER,
        orderId: 2,
        clientId: 7,
        side: "buy",
        price: "60100",
        size: "0.5",
        remaining: "0",
        status: "filled",
        reason: "",
      },
    ]);
    expect(taker.transfers).toEqual([{ from: MAKER, to: TAKER, amount: "10" }]);
    expect(all.get(MAKER)!.fills.map((f) => f.role)).toEqual(["maker", "maker"]);
    expect(all.get(MAKER)!.transfers).toHaveLength(1);
    expect(all.get(LIQUIDATED)!.liquidations).toEqual([
      {
        market: "BTC-USD",
        account: LIQUIDATED,
        size: "0.5",
        limitPrice: "58900",
        insuranceFee: "5",
        insurancePaid: "0",
      },
    ]);
    const one = accountUpdatesOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, (a) => a === MAKER);
    expect([...one.keys()]).toEqual([MAKER]);
  });
});

const CAROL = "0x00000000000000000000000000000000000c0c0c";
const DAVE = "0x00000000000000000000000000000000000d0d0d";
const ERIN = "0x00000000000000000000000000000000000e0e0e";

/** BTC-USD: tick 1, step 0.0001 (quantumsPerTickLot 100); ETH-USD: tick 0.1, step 0.001. */
const UNITS: ReadonlyMap<string, MarketUnits> = new Map([
  ["BTC-USD", { tickSize: parseUnit("1"), stepSize: parseUnit("0.0001") }],
  ["ETH-USD", { tickSize: parseUnit("0.1"), stepSize: parseUnit("0.001") }],
]);

function attrOf(e: AppEvent, key: string): string | undefined {
  return e.attributes.find((a) => a.key === key)?.value;
}

function tradeFill(o: {
  maker: string;
  taker: string;
  side: "buy" | "sell";
  price: string;
  size: string;
  liquidation?: boolean;
}): AppEvent {
  return ev("fill", {
    market: "BTC-USD",
    maker: o.maker,
    taker: o.taker,
    makerOrderId: 3,
    takerOrderId: 9,
    takerSide: o.side,
    price: o.price,
    size: o.size,
    makerFee: 0,
    takerFee: 0,
    liquidation: o.liquidation ?? false,
  });
}

/**
 * Height 40, every phase of finalizeBlock: a funding boundary (+100 ppm at 47,000), DAVE's
 * stop sell triggered into MAKER's bid, CAROL_2BTC_LONG liquidated (0.5 in the book, the
 * rest deleveraged against MAKER's short at the bankruptcy price 47,500), then ERIN's order
 * in a transaction that also carries a transfer.
 */
const HEIGHT_40_EVERY_PHASE: CommittedHeight = {
  height: 40,
  timeMs: Date.UTC(2026, 10, 29, 0, 0, 40),
  hash: new Uint8Array(32),
  txs: 1,
  result: {
    appHash: new Uint8Array(32),
    events: [
      ev("oracle", { market: "BTC-USD", status: "updated", price: "47000" }),
      ev("funding", { market: "BTC-USD", ratePpm: 100, index: 1_470_000_000 }),
      ev("explain", {
        kind: "funding",
        key: "BTC-USD",
        // index step = 100 ppm × 47,000 ticks × 100 quantums per tick×lot.
        data: JSON.stringify({
          market: "BTC-USD",
          ratePpm: "100",
          oraclePriceTicks: "47000",
          indexBefore: "1000000000",
          indexAfter: "1470000000",
          intervals: 1,
        }),
      }),
      ev("order", { market: "BTC-USD", owner: DAVE, orderId: 9, status: "triggered" }),
      tradeFill({ maker: MAKER, taker: DAVE, side: "sell", price: "47950", size: "0.1" }),
      tradeFill({
        maker: MAKER,
        taker: CAROL,
        side: "sell",
        price: "46900",
        size: "0.5",
        liquidation: true,
      }),
      ev("deleverage", {
        market: "BTC-USD",
        account: CAROL,
        counterparty: MAKER,
        size: "1.5",
        price: "47500",
        quote: 7_125_000_000,
      }),
      ev("liquidation", {
        market: "BTC-USD",
        account: CAROL,
        size: "0.5",
        limitPrice: "46859",
        insuranceFee: 0,
        insurancePaid: 300_000_000,
      }),
      ev("explain", {
        kind: "liquidation",
        key: CAROL,
        data: JSON.stringify({
          account: CAROL,
          steps: [{ market: "BTC-USD", positionLots: "20000" }],
        }),
      }),
      ev("block", { height: 40, insuranceFund: "0" }),
    ],
    txResults: [
      {
        code: 0,
        log: "",
        data: new Uint8Array(),
        events: [
          ev("tx", { signer: ERIN, msgs: 2, failed: 0 }),
          ev("transfer", { from: ERIN, to: DAVE, amount: "1" }),
          tradeFill({ maker: MAKER, taker: ERIN, side: "buy", price: "50000", size: "0.1" }),
        ],
      },
    ],
  },
};

describe("execution order across the phases of a block", () => {
  it("trigger, liquidation, deleveraging, then transaction fills, numbered 0..n-1", () => {
    const trades = tradesOf(HEIGHT_40_EVERY_PHASE);
    expect(trades.map((t) => [t.blockSeq, t.kind, t.taker, t.side, t.price, t.size])).toEqual([
      [0, "book", DAVE, "sell", "47950", "0.1"],
      [1, "liquidation", CAROL, "sell", "46900", "0.5"],
      [2, "deleverage", CAROL, "sell", "47500", "1.5"],
      [3, "book", ERIN, "buy", "50000", "0.1"],
    ]);
    // Deleveraging: the bankrupt account takes, the counterparty makes, no order, no fee.
    expect(trades[2]).toMatchObject({
      maker: MAKER,
      makerOrderId: 0,
      takerOrderId: 0,
      makerFee: "0",
      takerFee: "0",
      liquidation: true,
    });
    expect(tradesByMarket(HEIGHT_40_EVERY_PHASE).get("BTC-USD")).toEqual(trades);
  });

  it("a deleveraged short buys (its side read from the liquidation record)", () => {
    const shortRecord = ev("explain", {
      kind: "liquidation",
      key: CAROL,
      data: JSON.stringify({
        account: CAROL,
        steps: [{ market: "BTC-USD", positionLots: "-20000" }],
      }),
    });
    const r = HEIGHT_40_EVERY_PHASE.result;
    const short: CommittedHeight = {
      ...HEIGHT_40_EVERY_PHASE,
      result: {
        ...r,
        events: r.events.map((e) =>
          e.type === "explain" && attrOf(e, "key") === CAROL ? shortRecord : e,
        ),
      },
    };
    expect(tradesOf(short).find((t) => t.kind === "deleverage")?.side).toBe("buy");
  });

  it("account fills follow the same order and numbers, deleveraging included", () => {
    const all = accountUpdatesOf(HEIGHT_40_EVERY_PHASE, () => true);
    expect(all.get(MAKER)!.fills.map((f) => [f.blockSeq, f.kind, f.role])).toEqual([
      [0, "book", "maker"],
      [1, "liquidation", "maker"],
      [2, "deleverage", "maker"],
      [3, "book", "maker"],
    ]);
    expect(all.get(CAROL)!.fills.map((f) => [f.blockSeq, f.role])).toEqual([
      [1, "taker"],
      [2, "taker"],
    ]);
    expect(all.get(CAROL)!.deleverages).toHaveLength(1);
    expect(all.get(ERIN)!.fills.map((f) => f.blockSeq)).toEqual([3]);
  });

  it("position changes of the height per account, in lots", () => {
    const deltas = (a: string) => positionDeltasOf(HEIGHT_40_EVERY_PHASE, a, UNITS);
    expect(deltas(DAVE)).toEqual(new Map([["BTC-USD", -1_000n]]));
    expect(deltas(CAROL)).toEqual(new Map([["BTC-USD", -20_000n]]));
    // Bought 0.1 + 0.5 + 1.5, sold 0.1.
    expect(deltas(MAKER)).toEqual(new Map([["BTC-USD", 20_000n]]));
    expect(deltas(ERIN)).toEqual(new Map([["BTC-USD", 1_000n]]));
    expect(deltas(TAKER)).toEqual(new Map());
  });
});

describe("funding on account:", () => {
  const ticks = fundingTicksOf(HEIGHT_40_EVERY_PHASE);

  it("reads the boundary from the funding explain record", () => {
    expect(ticks).toEqual([
      {
        market: "BTC-USD",
        ratePpm: 100n,
        oraclePriceTicks: 47_000n,
        indexBefore: 1_000_000_000n,
        indexAfter: 1_470_000_000n,
      },
    ]);
    expect(fundingTicksOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS)).toEqual([]);
  });

  it("a long of 2 BTC pays 0.01 % of 94,000 = 9.4 USDC, a short of 0.0001 receives 0.00047", () => {
    expect(fundingPaymentsOf(ticks, new Map([["BTC-USD", 20_000n]]), UNITS)).toEqual([
      { market: "BTC-USD", size: "2", rate: "0.0001", price: "47000", amount: "-9.4" },
    ]);
    expect(fundingPaymentsOf(ticks, new Map([["BTC-USD", -1n]]), UNITS)).toEqual([
      { market: "BTC-USD", size: "-0.0001", rate: "0.0001", price: "47000", amount: "0.00047" },
    ]);
    // No position in the market, or a market without a boundary: nothing.
    expect(fundingPaymentsOf(ticks, new Map([["ETH-USD", 5n]]), UNITS)).toEqual([]);
  });

  it("an amount below a quantum is written exactly (the balance settles it later, floored)", () => {
    const tiny = [{ ...ticks[0], indexAfter: ticks[0].indexBefore + 7n }];
    expect(fundingPaymentsOf(tiny, new Map([["BTC-USD", 3n]]), UNITS)[0].amount).toBe(
      "-0.000000000021",
    );
  });

  it("is carried on the account's update, which exists for funding alone", () => {
    const funding = new Map([
      [TAKER, fundingPaymentsOf(ticks, new Map([["BTC-USD", -5_000n]]), UNITS)],
    ]);
    const u = accountUpdatesOf(HEIGHT_40_EVERY_PHASE, (a) => a === TAKER, funding).get(TAKER)!;
    expect(u).toMatchObject({ address: TAKER, height: 40, fills: [], orders: [] });
    expect(u.funding).toEqual([
      { market: "BTC-USD", size: "-0.5", rate: "0.0001", price: "47000", amount: "2.35" },
    ]);
    // Not for an address the caller does not want.
    expect(accountUpdatesOf(HEIGHT_40_EVERY_PHASE, (a) => a === ERIN, funding).get(TAKER)).toBe(
      undefined,
    );
  });
});

describe("blocks and explain", () => {
  it("summarises a block with upper-case hex hashes", () => {
    const s = blockSummary(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS);
    expect(s).toMatchObject({ height: 12, txs: 2, time: "2026-11-29T00:00:01.000Z" });
    expect(s.hash).toMatch(/^000102/);
    expect(s.appHash).toBe("AB".repeat(32));
  });

  it("reads explain records of one kind from the block events", () => {
    expect(explainRecordsOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, "liquidation")).toEqual([
      { kind: "liquidation", key: LIQUIDATED, data: { account: "x" } },
    ]);
    expect(explainRecordsOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, "funding")).toEqual([]);
  });
});

describe("diffLevels", () => {
  it("reports new and resized levels, and removed ones with size 0", () => {
    expect(
      diffLevels(
        [
          ["100", "1"],
          ["99", "2"],
          ["98", "3"],
        ],
        [
          ["101", "1"],
          ["100", "1"],
          ["99", "5"],
        ],
      ),
    ).toEqual([
      ["101", "1"],
      ["99", "5"],
      ["98", "0"],
    ]);
    expect(diffLevels([["1", "1"]], [["1", "1"]])).toEqual([]);
  });

  it("applying a diff to the old levels gives the new levels", () => {
    const before: [string, string][] = [
      ["5", "1"],
      ["4", "1"],
      ["3", "1"],
    ];
    const after: [string, string][] = [
      ["6", "2"],
      ["4", "3"],
    ];
    const book = new Map(before);
    for (const [p, s] of diffLevels(before, after)) {
      if (s === "0") book.delete(p);
      else book.set(p, s);
    }
    expect(new Map(after)).toEqual(book);
  });
});
