/**
 * The node's exchange source over an in-memory chain: what a resuming subscriber replays
 * equals what a connected one received; the trades ring; the replay window; book snapshots.
 * Then over the real state machine (state/testkit.ts), stored and published as the node
 * does: trades in the order they executed across the phases of finalizeBlock, numbered per
 * block; the fills rebuild every position; funding pushed on `account:` at each boundary,
 * worth what the chain settles, the same live and replayed.
 */
import { describe, expect, it } from "vitest";
import type { StoredBlock } from "../consensus/blockStore.js";
import type { Block } from "../consensus/types/block.js";
import type { AppEvent, FinalizeBlockResponse, QueryRequest, QueryResponse } from "../lib/abci.js";
import { isPerpetuaError } from "../lib/errors.js";
import { parseUnit, parseUsdc } from "../lib/fixed.js";
import { type PlaceOrderInput, placeOrder } from "../rpc/client/tx.js";
import {
  type AccountUpdate,
  type CommittedHeight,
  type MarketUnits,
  positionDeltasOf,
  type TradeView,
} from "../rpc/exchange/events.js";
import { silentLogger } from "../rpc/logger.js";
import type { WsConnection } from "../rpc/routes.js";
import { SubscriptionHub } from "../rpc/subscriptions.js";
import {
  btcMarket,
  type Chain,
  genesis,
  NO_FEES,
  nextBlock,
  setPrices,
  startChain,
  Trader,
} from "../state/testkit.js";
import type { Msg } from "../state/types/tx.js";
import { NodeExchangeSource } from "./exchangeSource.js";

const MAKER = "0x00000000000000000000000000000000000000aa";
const TAKER = "0x00000000000000000000000000000000000000bb";
const Z32 = new Uint8Array(32);

function ev(type: string, attrs: Record<string, string | number | boolean>): AppEvent {
  return {
    type,
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value: String(value) })),
  };
}

function fillAt(price: number): AppEvent {
  return ev("fill", {
    market: "BTC-USD",
    maker: MAKER,
    taker: TAKER,
    makerOrderId: 1,
    takerOrderId: price,
    takerSide: "buy",
    price,
    size: "0.1",
    makerFee: 0,
    takerFee: 100,
    liquidation: false,
  });
}

/** A block of `txs` at `height`, with zero hashes (the source only reads height and time). */
function blockAt(height: number, timeMs: number, txs: Uint8Array[]): Block {
  return {
    header: {
      chainId: "t",
      height,
      timeMs,
      lastBlockHash: Z32,
      lastCommitHash: Z32,
      dataHash: Z32,
      validatorsHash: Z32,
      nextValidatorsHash: Z32,
      appHash: Z32,
      proposerAddress: new Uint8Array(20),
      evidenceHash: Z32,
    },
    txs,
    lastCommit: null,
    evidence: [],
  } as Block;
}

/** A chain whose height h has one fill at price 100 + h and an ask of size h at 200. */
class FakeChain {
  blocks = new Map<number, StoredBlock>();
  results = new Map<number, FinalizeBlockResponse>();
  appHeight = 0;

  add(h: number): { block: Block; result: FinalizeBlockResponse } {
    const block = blockAt(h, 1_000 * h, [new Uint8Array([h])]);
    const result: FinalizeBlockResponse = {
      txResults: [{ code: 0, log: "", data: new Uint8Array(), events: [fillAt(100 + h)] }],
      events: [],
      validatorUpdates: [],
      appHash: Z32,
    };
    this.blocks.set(h, { block, commit: {} as StoredBlock["commit"] });
    this.results.set(h, result);
    this.appHeight = h;
    return { block, result };
  }

  deps() {
    return {
      app: {
        info: () => ({ height: this.appHeight, appHash: Z32 }),
        query: async (req: QueryRequest): Promise<QueryResponse> => {
          const h = this.appHeight;
          const value =
            req.path === "markets"
              ? [{ id: "BTC-USD" }]
              : { market: "BTC-USD", height: h, bids: [], asks: h > 0 ? [["200", String(h)]] : [] };
          return { code: 0, log: "", height: h, value };
        },
      },
      blocks: {
        height: () => Math.max(0, ...this.blocks.keys()),
        load: (h: number) => this.blocks.get(h) ?? null,
        loadFinalizeResult: (h: number) => this.results.get(h) ?? null,
        hasFinalizeResult: (h: number) => this.results.has(h),
      },
      logger: silentLogger,
    };
  }
}

class FakeConn implements WsConnection {
  readonly messages: { topic: string; seq: number; height: number; data: unknown }[] = [];
  readonly open = true;
  constructor(readonly id: string) {}
  send(m: unknown): boolean {
    const p = (m as { params?: { topic: string; seq: number; height: number; data: unknown } })
      .params;
    if (p) this.messages.push(p);
    return true;
  }
  async drained(): Promise<void> {}
  close(): void {}
  of(topic: string) {
    return this.messages.filter((m) => m.topic === topic);
  }
}

const TOPICS = ["blocks", "trades:BTC-USD", "book:BTC-USD", `account:${TAKER}`];
const settle = () => new Promise((r) => setTimeout(r, 10));

describe("NodeExchangeSource", () => {
  it("a subscriber resuming from a height gets what a connected one got, then live events", async () => {
    const chain = new FakeChain();
    for (let h = 1; h <= 3; h++) chain.add(h);
    const source = new NodeExchangeSource(chain.deps(), { replayHeights: 100 });
    await source.start();
    // The ring was rebuilt from the stored heights.
    expect(source.trades("BTC-USD", 10)?.map((t) => t.price)).toEqual(["103", "102", "101"]);

    const hub = new SubscriptionHub({}, { logger: silentLogger, source });
    const steady = new FakeConn("steady");
    for (const t of TOPICS) (await hub.subscribeTopic(steady, t, undefined)).start();
    await settle();
    for (let h = 4; h <= 6; h++) {
      const { block, result } = chain.add(h);
      source.onCommit(hub, block, result);
    }
    await source.settled();

    const back = new FakeConn("back");
    for (const t of TOPICS) (await hub.subscribeTopic(back, t, 4)).start();
    await settle();
    // One more block arrives after the replay: both get it live.
    const { block, result } = chain.add(7);
    source.onCommit(hub, block, result);
    await source.settled();

    for (const t of TOPICS) {
      const ref = steady.of(t).filter((m) => (m.data as { type?: string }).type !== "snapshot");
      const got = back.of(t);
      expect(got.map((m) => m.seq)).toEqual(got.map((_, k) => k + 1));
      expect(
        got.map((m) => [m.height, m.data]),
        t,
      ).toEqual(ref.map((m) => [m.height, m.data]));
      expect(got.map((m) => m.height)).toEqual([4, 5, 6, 7]);
    }
    expect(steady.of("book:BTC-USD")[0].data).toMatchObject({ type: "snapshot", height: 3 });
    expect(back.of("book:BTC-USD")[0].data).toEqual({
      type: "diff",
      market: "BTC-USD",
      height: 4,
      bids: [],
      asks: [["200", "4"]],
    });
    expect(source.trades("BTC-USD", 2)?.map((t) => t.price)).toEqual(["107", "106"]);
  });

  it("refuses a from older than the window, except on book: (a fresh snapshot)", async () => {
    const chain = new FakeChain();
    for (let h = 1; h <= 10; h++) chain.add(h);
    const source = new NodeExchangeSource(chain.deps(), { replayHeights: 5 });
    await source.start();
    let err: unknown;
    try {
      source.check("trades:BTC-USD", 5);
    } catch (e) {
      err = e;
    }
    expect(isPerpetuaError(err) && err.message).toContain(
      "from: height 5 is older than the replay window",
    );
    expect(() => source.check("trades:BTC-USD", 6)).not.toThrow();
    expect(() => source.check("book:BTC-USD", 1)).not.toThrow();
    expect(() => source.check("trades:ETH-USD", undefined)).toThrow("unknown market ETH-USD");

    const hub = new SubscriptionHub({}, { logger: silentLogger, source });
    const conn = new FakeConn("c");
    (await hub.subscribeTopic(conn, "book:BTC-USD", 2)).start();
    await settle();
    expect(conn.of("book:BTC-USD").map((m) => m.data)).toEqual([
      { type: "snapshot", market: "BTC-USD", height: 10, bids: [], asks: [["200", "10"]] },
    ]);
  });
});

const CAROL = new Trader("carol");
const BOOK_MAKER = new Trader("maker");
const DAVE = new Trader("dave");
const ERIN = new Trader("erin");

/** A BTC-USD limit order (the SDK's builder and defaults: gtc, not reduce-only). */
function order(
  side: "buy" | "sell",
  price: string,
  size: string,
  clientId: number,
  extra: Partial<PlaceOrderInput> = {},
): Msg {
  return placeOrder({ market: "BTC-USD", side, price, size, clientId, ...extra });
}

/** A chain whose blocks and results are stored, and published as the node does. */
class StoredChain {
  readonly blocks = new Map<number, StoredBlock>();
  readonly results = new Map<number, FinalizeBlockResponse>();
  readonly hub: SubscriptionHub;
  readonly source: NodeExchangeSource;

  constructor(readonly chain: Chain) {
    this.source = new NodeExchangeSource({
      app: chain.app,
      blocks: {
        height: () => Math.max(0, ...this.blocks.keys()),
        load: (h) => this.blocks.get(h) ?? null,
        loadFinalizeResult: (h) => this.results.get(h) ?? null,
        hasFinalizeResult: (h) => this.results.has(h),
      },
      logger: silentLogger,
    });
    this.hub = new SubscriptionHub({}, { logger: silentLogger, source: this.source });
  }

  /** Runs a block as the driver does: store it, finalize, store the results, commit, publish. */
  async run(txs: Uint8Array[] = []): Promise<FinalizeBlockResponse> {
    const req = nextBlock(this.chain, txs);
    const block = blockAt(req.height, req.timeMs, txs);
    this.blocks.set(req.height, { block, commit: {} as StoredBlock["commit"] });
    expect(this.chain.app.processProposal(req)).toBe(true);
    const result = await this.chain.app.finalizeBlock(req);
    this.results.set(req.height, result);
    await this.chain.app.commit();
    this.chain.height = req.height;
    this.source.onCommit(this.hub, block, result);
    await this.source.settled();
    return result;
  }

  committed(h: number): CommittedHeight {
    const c = this.source.committed(h);
    if (!c) throw new Error(`height ${h} not stored`);
    return c;
  }
}

/** The events of one topic a connection received, with their payload type. */
function eventsOf<T>(conn: FakeConn, topic: string): { height: number; data: T }[] {
  return conn.of(topic).map((m) => ({ height: m.height, data: m.data as T }));
}

async function subscribe(s: StoredChain, conn: FakeConn, topic: string, from?: number) {
  (await s.hub.subscribeTopic(conn, topic, from)).start();
  await settle();
}

const BTC_UNITS: ReadonlyMap<string, MarketUnits> = new Map([
  ["BTC-USD", { tickSize: parseUnit("1"), stepSize: parseUnit("0.0001") }],
]);

describe("trades in execution order (the real state machine)", () => {
  it("trigger, liquidation, deleveraging, then transactions; blockSeq 0..n-1; fills rebuild every position", async () => {
    const s = new StoredChain(
      await startChain(
        genesis({
          accounts: [
            { address: CAROL.address, collateral: "5000" },
            { address: BOOK_MAKER.address, collateral: "1000000" },
            { address: DAVE.address, collateral: "10000" },
            { address: ERIN.address, collateral: "10000" },
          ],
          markets: [btcMarket(NO_FEES)],
          insuranceFund: "300",
        }),
      ),
    );
    await s.source.start();
    const conn = new FakeConn("c");
    await subscribe(s, conn, "trades:BTC-USD");
    for (const t of [CAROL, BOOK_MAKER, DAVE, ERIN])
      await subscribe(s, conn, `account:${t.address}`);
    setPrices(s.chain, { "BTC-USD": "50000" });

    await s.run([BOOK_MAKER.tx([order("sell", "50000", "2.2", 1)])]);
    // CAROL_2BTC_LONG_AT_50000 on 5,000 USDC (exactly at initial margin); DAVE long 0.1.
    await s.run([
      CAROL.tx([order("buy", "50000", "2", 1, { tif: "ioc" })]),
      DAVE.tx([order("buy", "50000", "0.1", 1, { tif: "ioc" })]),
    ]);
    // DAVE's stop-loss below 48,000; BOOK_MAKER's bids: 0.1 at 47,950, then 0.5 and 1.5 at 46,900.
    await s.run([
      DAVE.tx([
        order("sell", "47900", "0.1", 2, {
          reduceOnly: true,
          tif: "ioc",
          trigger: { kind: "stop", price: "48000" },
        }),
      ]),
      BOOK_MAKER.tx([
        order("buy", "47950", "0.1", 2),
        order("buy", "46900", "0.5", 3),
        order("buy", "46900", "1.5", 4),
      ]),
    ]);
    // The oracle drops to 47,000 and, in the same block, ERIN lifts BOOK_MAKER's last ask. A
    // transfer rides in an earlier transaction (it executes first, as non-order messages do).
    setPrices(s.chain, { "BTC-USD": "47000" });
    const height = s.chain.height + 1;
    await s.run([
      ERIN.tx([order("buy", "50000", "0.1", 1, { tif: "ioc" })]),
      DAVE.tx([{ kind: "transfer", to: ERIN.address, amount: "1" }]),
    ]);

    const trades = eventsOf<TradeView[]>(conn, "trades:BTC-USD").find(
      (e) => e.height === height,
    )!.data;
    expect(
      trades.map((t) => [t.blockSeq, t.kind, t.side, t.price, t.size, t.taker, t.maker]),
    ).toEqual([
      // Phase 2: DAVE's stop sell triggers and fills against the 47,950 bid.
      [0, "book", "sell", "47950", "0.1", DAVE.address, BOOK_MAKER.address],
      // Phase 3: CAROL (equity −1,000) sells 0.5 at 46,900, the fund paying its 300 shortfall;
      // the next 1.5 would need 900 more, so the rest is deleveraged against BOOK_MAKER's short
      // at the bankruptcy price 47,500.
      [1, "liquidation", "sell", "46900", "0.5", CAROL.address, BOOK_MAKER.address],
      [2, "deleverage", "sell", "47500", "1.5", CAROL.address, BOOK_MAKER.address],
      // Phase 4: ERIN's order, though its transaction is listed first.
      [3, "book", "buy", "50000", "0.1", ERIN.address, BOOK_MAKER.address],
    ]);
    // The `trades` method lists the same fills, newest first.
    expect(s.source.trades("BTC-USD", 4)?.map((t) => t.blockSeq)).toEqual([3, 2, 1, 0]);
    // account:BOOK_MAKER sees its four fills in the same order with the same numbers.
    const maker = eventsOf<AccountUpdate>(conn, `account:${BOOK_MAKER.address}`).find(
      (e) => e.height === height,
    )!.data;
    expect(maker.fills.map((f) => [f.blockSeq, f.role])).toEqual([
      [0, "maker"],
      [1, "maker"],
      [2, "maker"],
      [3, "maker"],
    ]);

    // Every position is the sum of the account's fills over the chain (deleveraging sides
    // included): what funding on account: relies on.
    const ex = s.chain.app.exchange();
    for (const t of [CAROL, BOOK_MAKER, DAVE, ERIN]) {
      let lots = 0n;
      for (let h = 1; h <= s.chain.height; h++) {
        lots += positionDeltasOf(s.committed(h), t.address, BTC_UNITS).get("BTC-USD") ?? 0n;
      }
      const p = ex.accounts.get(t.address)!.positions.find((x) => x.market === "BTC-USD");
      expect(lots, t.name).toBe(p?.sizeLots ?? 0n);
    }
    expect(ex.accounts.get(BOOK_MAKER.address)!.positions[0].sizeLots).toBe(-1_000n);
  });
});

describe("funding on account: (the real state machine)", () => {
  it("a +100 ppm baseline every 10 s: the long pays 5 USDC, the short receives 5, per boundary; live = replay", async () => {
    const s = new StoredChain(
      await startChain(
        genesis({
          accounts: [
            { address: CAROL.address, collateral: "10000" },
            { address: BOOK_MAKER.address, collateral: "100000" },
          ],
          markets: [btcMarket({ ...NO_FEES, fundingIntervalSeconds: 10, fundingBaselinePpm: 100 })],
        }),
      ),
    );
    await s.source.start();
    const live = new FakeConn("live");
    await subscribe(s, live, `account:${CAROL.address}`);
    await subscribe(s, live, `account:${BOOK_MAKER.address}`);
    setPrices(s.chain, { "BTC-USD": "50000" });
    await s.run([BOOK_MAKER.tx([order("sell", "50000", "1.5", 1)])]);
    await s.run([CAROL.tx([order("buy", "50000", "1", 1, { tif: "ioc" })])]);
    // Blocks are 1 s apart from genesis: boundaries at heights 10, 20, 30. At 20 CAROL buys
    // 0.5 more; funding applies first (block step 2), on the 1 BTC she held.
    while (s.chain.height < 19) await s.run();
    await s.run([CAROL.tx([order("buy", "50000", "0.5", 2, { tif: "ioc" })])]);
    while (s.chain.height < 32) await s.run();

    const fundingOf = (c: FakeConn, t: Trader) =>
      eventsOf<AccountUpdate>(c, `account:${t.address}`)
        .filter((e) => e.data.funding.length > 0)
        .map((e) => [
          e.height,
          ...e.data.funding.map((f) => `${f.size} ${f.rate} ${f.price} ${f.amount}`),
        ]);
    expect(fundingOf(live, CAROL)).toEqual([
      [10, "1 0.0001 50000 -5"],
      [20, "1 0.0001 50000 -5"],
      [30, "1.5 0.0001 50000 -7.5"],
    ]);
    expect(fundingOf(live, BOOK_MAKER)).toEqual([
      [10, "-1 0.0001 50000 5"],
      [20, "-1 0.0001 50000 5"],
      [30, "-1.5 0.0001 50000 7.5"],
    ]);
    // At 20 CAROL's update carries both the funding and the fill.
    const at20 = eventsOf<AccountUpdate>(live, `account:${CAROL.address}`).find(
      (e) => e.height === 20,
    )!;
    expect(at20.data.fills.map((f) => f.size)).toEqual(["0.5"]);

    // What was pushed is what the chain owes: settled at the fill of height 20 (−10) plus the
    // unsettled −7.5 since, exactly (no rounding at these sizes).
    const ex = s.chain.app.exchange();
    const q = await s.chain.app.query({
      path: "account",
      params: { address: CAROL.address },
      prove: false,
    });
    expect((q.value as { unsettledFunding: string }).unsettledFunding).toBe("-7.5");
    expect(ex.accounts.get(CAROL.address)!.quoteBalance).toBe(
      parseUsdc("10000") - parseUsdc("75000") - parseUsdc("10"),
    );

    // A client resuming from height 5 replays the same account events, funding included.
    for (const t of [CAROL, BOOK_MAKER]) {
      const back = new FakeConn(`back-${t.name}`);
      await subscribe(s, back, `account:${t.address}`, 5);
      const topic = `account:${t.address}`;
      const replayed = eventsOf(back, topic);
      expect(replayed).toEqual(eventsOf(live, topic).filter((e) => e.height >= 5));
    }
  });
});
