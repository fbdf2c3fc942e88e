/**
 * End to end (issue 6, exchange RPC), real processes on loopback: a 4-validator testnet
 * serves the exchange methods and topics. A trade is seen by `trades`, `account` (with a
 * proof checked against the app hash), the `trades:`/`account:`/`book:` topics; a client
 * that disconnects for several blocks resumes from a height and gets exactly what a client
 * that stayed connected got: no gap and no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64, fromHex, toBase64 } from "../lib/bytes.js";
import { WsClient } from "../rpc/testkit.js";
import { decodeProof, verifyProof } from "../state/store/proof.js";
import { limitOrder } from "../state/testkit.js";
import type { Msg } from "../state/types/tx.js";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

let net: RunningTestnet;

beforeAll(async () => {
  net = await startLiveTestnet();
}, 120_000);

afterAll(async () => {
  await net?.stopAll();
}, 60_000);

interface Notification {
  subscription: string;
  topic: string;
  seq: number;
  height: number;
  data: unknown;
}

function wsUrl(i: number): string {
  return `${net.layout.nodes[i].rpc.replace("http://", "ws://")}/websocket`;
}

async function committed(i: number, account: number, msgs: Msg[]): Promise<number> {
  const r = await net.sendTx(i, account, msgs);
  expect(r.code, r.log).toBe(0);
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    const t = (await net.rpc(i, "tx", { hash: toBase64(fromHex(r.hash)) }).catch(() => null)) as {
      height: string;
      tx_result: { code: number; log: string };
    } | null;
    if (t) {
      expect(t.tx_result.code, t.tx_result.log).toBe(0);
      return Number(t.height);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`tx ${r.hash} not committed`);
}

const order = (side: "buy" | "sell", price: string, size: string, clientId: number) =>
  limitOrder(side, price, size, clientId);

async function rpcError(i: number, method: string, params: unknown) {
  const res = await fetch(net.layout.nodes[i].rpc, {
    method: "POST",
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await res.json()) as { error: { code: number; message: string } }).error;
}

/** Subscribes and returns the subscription id (throws on an error answer). */
async function subscribe(c: WsClient, topic: string, from?: number): Promise<string> {
  const r = await c.call("subscribe", from === undefined ? { topic } : { topic, from });
  if (r.error) throw new Error(`subscribe ${topic}: ${r.error.message}`);
  return (r.result as { subscription: string }).subscription;
}

function of(c: WsClient, sub: string): Notification[] {
  return c.notifications().filter((n) => n.subscription === sub) as Notification[];
}

function expectContiguousSeq(ns: Notification[]): void {
  expect(ns.map((n) => n.seq)).toEqual(ns.map((_, k) => k + 1));
}

describe("exchange RPC on a 4-validator testnet", () => {
  const MAKER = 0;
  const TAKER = 1;

  it("serves a trade through trades, orderbook, account (with a verified proof) and the topics", async () => {
    const maker = net.layout.accounts[MAKER].address;
    const taker = net.layout.accounts[TAKER].address;
    const ws = await WsClient.connect(wsUrl(2));
    const trades = await subscribe(ws, "trades:BTC-USD");
    const book = await subscribe(ws, "book:BTC-USD");
    const acct = await subscribe(ws, `account:${taker}`);
    await ws.until(() => of(ws, book).length >= 1);
    expect(of(ws, book)[0].data).toMatchObject({ type: "snapshot", market: "BTC-USD" });

    await committed(0, MAKER, [
      { kind: "faucet", amount: "100000" },
      order("sell", "60100", "0.5", 1),
      order("buy", "59900", "0.5", 2),
    ]);
    const h = await committed(1, TAKER, [
      { kind: "faucet", amount: "100000" },
      order("buy", "60100", "0.2", 1),
    ]);
    await net.waitHeight(2, h);

    const t = (await net.rpc(2, "trades", { market: "BTC-USD", limit: 10 })) as {
      trades: {
        price: string;
        size: string;
        side: string;
        maker: string;
        taker: string;
        height: number;
      }[];
    };
    expect(t.trades[0]).toMatchObject({
      price: "60100",
      size: "0.2",
      side: "buy",
      maker,
      taker,
      height: h,
    });

    const ob = (await net.rpc(2, "orderbook", { market: "BTC-USD", depth: 5 })) as {
      bids: string[][];
      asks: string[][];
    };
    expect(ob.asks[0]).toEqual(["60100", "0.3"]);
    expect(ob.bids[0]).toEqual(["59900", "0.5"]);

    const a = (await net.rpc(2, "account", { address: taker, prove: true })) as {
      positions: { market: string; side: string; size: string }[];
      proof: { key: string; value: string | null; proof: string; root: string; height: number };
    };
    expect(a.positions[0]).toMatchObject({ market: "BTC-USD", side: "long", size: "0.2" });
    const p = a.proof;
    expect(p.value).not.toBeNull();
    expect(
      verifyProof(
        fromHex(p.root),
        fromHex(p.key),
        fromBase64(p.value!),
        decodeProof(fromBase64(p.proof)),
      ),
    ).toBe(true);
    // The proof may be of the height being finalized: its results are stored a moment later.
    await net.waitHeight(2, p.height + 1);
    const results = (await net.rpc(2, "block_results", { height: String(p.height) })) as {
      app_hash: string;
    };
    expect(toBase64(fromHex(p.root))).toBe(results.app_hash);

    await ws.until(() => of(ws, trades).length >= 1 && of(ws, acct).length >= 1, 10_000);
    expect(of(ws, trades).at(-1)!.data).toEqual([
      expect.objectContaining({ price: "60100", taker, height: h }),
    ]);
    const fills = of(ws, acct).flatMap(
      (n) => (n.data as { fills: { role: string; price: string }[] }).fills,
    );
    expect(fills).toContainEqual(expect.objectContaining({ role: "taker", price: "60100" }));
    // The book: the snapshot, then diffs that rebuild the same book the orderbook method shows.
    const levels = new Map<string, Map<string, string>>([
      ["bids", new Map()],
      ["asks", new Map()],
    ]);
    for (const n of of(ws, book)) {
      const d = n.data as { type: string; bids: string[][]; asks: string[][] };
      for (const side of ["bids", "asks"] as const) {
        if (d.type === "snapshot") levels.get(side)!.clear();
        for (const [price, size] of d[side]) {
          if (size === "0") levels.get(side)!.delete(price);
          else levels.get(side)!.set(price, size);
        }
      }
    }
    expect(levels.get("asks")!.get("60100")).toBe("0.3");
    expect(levels.get("bids")!.get("59900")).toBe("0.5");
    for (const s of [trades, book, acct]) expectContiguousSeq(of(ws, s));
    ws.close();
  }, 40_000);

  it("resumes from a height after a disconnect: exactly what a connected client got", async () => {
    const taker = net.layout.accounts[TAKER].address;
    const topics = ["blocks", `account:${taker}`, "trades:BTC-USD", "book:BTC-USD"];
    // A client that stays connected the whole time is the reference.
    const steady = await WsClient.connect(wsUrl(3));
    const steadySubs = new Map<string, string>();
    for (const t of topics) steadySubs.set(t, await subscribe(steady, t));
    const flaky = await WsClient.connect(wsUrl(3));
    const flakyBlocks = await subscribe(flaky, "blocks");
    await flaky.until(() => of(flaky, flakyBlocks).length >= 2, 10_000);
    const last = of(flaky, flakyBlocks).at(-1)!.height;
    flaky.close();

    // Trading while the client is away, over several blocks.
    let top = 0;
    for (let k = 0; k < 3; k++) {
      top = await committed(k % 4, TAKER, [
        order(k % 2 ? "sell" : "buy", k % 2 ? "59900" : "60100", "0.01", 10 + k),
      ]);
    }
    await net.waitHeight(3, top + 2);

    const back = await WsClient.connect(wsUrl(3));
    const backSubs = new Map<string, string>();
    for (const t of topics) backSubs.set(t, await subscribe(back, t, last + 1));
    const now = await net.height(3);
    await back.until(() => of(back, backSubs.get("blocks")!).some((n) => n.height >= now), 15_000);
    await steady.until(
      () => of(steady, steadySubs.get("blocks")!).some((n) => n.height >= now),
      15_000,
    );

    const blocks = of(back, backSubs.get("blocks")!).filter((n) => n.height <= now);
    expect(blocks.map((n) => n.height)).toEqual(
      Array.from({ length: now - last }, (_, k) => last + 1 + k),
    );
    for (const t of topics) {
      const got = of(back, backSubs.get(t)!);
      expectContiguousSeq(got);
      const heights = got.map((n) => n.height);
      expect(new Set(heights).size, `${t}: one event per height`).toBe(heights.length);
      // Same events, height for height, as the client that never left.
      const ref = of(steady, steadySubs.get(t)!).filter(
        (n) =>
          n.height > last && n.height <= now && (n.data as { type?: string }).type !== "snapshot",
      );
      const mine = got.filter((n) => n.height <= now);
      expect(
        mine.map((n) => [n.height, n.data]),
        t,
      ).toEqual(ref.map((n) => [n.height, n.data]));
    }
    // The trades made while away are all there.
    const awayFills = of(back, backSubs.get(`account:${taker}`)!).flatMap(
      (n) => (n.data as { fills: unknown[] }).fills,
    );
    expect(awayFills.length).toBeGreaterThanOrEqual(3);
    back.close();
    steady.close();
  }, 60_000);

  it("bad params and unknown markets get precise errors over HTTP and WebSocket", async () => {
    expect(await rpcError(0, "orderbook", { market: "BTC-USD", depth: 0 })).toMatchObject({
      code: -32602,
      message: "Invalid params: depth: must be 1..500",
    });
    expect(await rpcError(0, "trades", { market: "XRP-USD" })).toMatchObject({
      code: 300,
      message: "unknown market XRP-USD",
    });
    expect(await rpcError(0, "account", { address: "0x12" })).toMatchObject({ code: -32602 });
    expect(await rpcError(0, "explain", { kind: "liquidation", height: 2 })).toMatchObject({
      code: -32602,
      message: "Invalid params: height: no liquidation at height 2",
    });
    expect(
      (await rpcError(0, "explain", { kind: "oracle", height: 10_000_000 })).message,
    ).toContain("is above the latest height");
    const ws = await WsClient.connect(wsUrl(0));
    expect((await ws.call("subscribe", { topic: "trades:XRP-USD" })).error).toMatchObject({
      code: 300,
    });
    expect((await ws.call("subscribe", { topic: "book:btc" })).error).toMatchObject({
      code: -32602,
    });
    expect((await ws.call("subscribe", { topic: "blocks", from: 0 })).error).toMatchObject({
      code: -32602,
    });
    ws.close();
  }, 20_000);

  it("explain returns the oracle inputs recorded at a height", async () => {
    const h = (await net.height(0)) - 1; // the tip's results are stored just after its block
    const r = (await net.rpc(0, "explain", { kind: "oracle", height: h, market: "ETH-USD" })) as {
      records: { data: { markets: { market: string; reportingPower: string }[] } }[];
    };
    expect(r.records[0].data.markets.map((m) => m.market)).toEqual(["ETH-USD"]);
    expect(Number(r.records[0].data.markets[0].reportingPower)).toBeGreaterThan(0);
  }, 20_000);
});
