/**
 * The node's exchange source over an in-memory chain: what a resuming subscriber replays
 * equals what a connected one received; the trades ring; the replay window; book snapshots.
 */
import { describe, expect, it } from "vitest";
import type { StoredBlock } from "../consensus/blockStore.js";
import type { Block } from "../consensus/types/block.js";
import type { AppEvent, FinalizeBlockResponse, QueryRequest, QueryResponse } from "../lib/abci.js";
import { isPerpetuaError } from "../lib/errors.js";
import { silentLogger } from "../rpc/logger.js";
import type { WsConnection } from "../rpc/routes.js";
import { SubscriptionHub } from "../rpc/subscriptions.js";
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

/** A chain whose height h has one fill at price 100 + h and an ask of size h at 200. */
class FakeChain {
  blocks = new Map<number, StoredBlock>();
  results = new Map<number, FinalizeBlockResponse>();
  appHeight = 0;

  add(h: number): { block: Block; result: FinalizeBlockResponse } {
    const block = {
      header: {
        chainId: "t",
        height: h,
        timeMs: 1_000 * h,
        lastBlockHash: Z32,
        lastCommitHash: Z32,
        dataHash: Z32,
        validatorsHash: Z32,
        nextValidatorsHash: Z32,
        appHash: Z32,
        proposerAddress: new Uint8Array(20),
        evidenceHash: Z32,
      },
      txs: [new Uint8Array([h])],
      lastCommit: null,
      evidence: [],
    } as Block;
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
