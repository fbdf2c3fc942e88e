/** Topic payloads derived from stored FinalizeBlock results, and book level diffs. */
import { describe, expect, it } from "vitest";
import type { AppEvent } from "../../lib/abci.js";
import {
  accountUpdatesOf,
  blockSummary,
  type CommittedHeight,
  diffLevels,
  explainRecordsOf,
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
    expect(all[0]).toEqual({
      market: "BTC-USD",
      height: 12,
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
      liquidation: true,
    });
    const byMarket = tradesByMarket(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS);
    expect([...byMarket.keys()]).toEqual(["BTC-USD", "ETH-USD"]);
    expect(tradesOf(HEIGHT_12_LIQUIDATION_THEN_TWO_TXS, "ETH-USD")).toHaveLength(1);
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
