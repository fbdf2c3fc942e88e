/**
 * SDK units: signers agree (noble and node:crypto), signed transactions decode and verify as
 * the chain's, nonces stay strictly increasing and bounded by the window under concurrent
 * sends, msg results decode, typed errors carry codes, and subscriptions resume after a
 * dropped connection with no gap and no duplicate (against a real RpcServer and hub).
 */
import { afterEach, describe, expect, it } from "vitest";
import { addressOf } from "../lib/address.js";
import { toBase64 } from "../lib/bytes.js";
import { encode } from "../lib/cbor.js";
import { verify } from "../lib/ed25519.js";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import {
  decodeMsgResults,
  margin,
  NONCE_WINDOW,
  NonceManager,
  nobleSigner,
  PerpetuaClient,
  PerpetuaClientError,
  placeOrder,
  SubscriptionClient,
  seedFromHex,
  signTx,
  type TopicEvent,
  Wallet,
} from "../rpc/client/index.js";
import { nodeSigner } from "../rpc/client/nodeSigner.js";
import { bytes, market } from "../rpc/params.js";
import { Router } from "../rpc/routes.js";
import type { HubEvent, ReplaySource } from "../rpc/subscriptions.js";
import { type Running, startServer } from "../rpc/testkit.js";
import { accountRisk } from "../state/margin/index.js";
import { decodeTx, txSignBytes } from "../state/types/tx.js";

const SEED_1 = seedFromHex("11".repeat(32));

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe("signers and transactions", () => {
  it("noble and node:crypto signers give the same key, address and signature", async () => {
    const a = nobleSigner(SEED_1);
    const b = nodeSigner(SEED_1);
    expect(a.publicKey).toEqual(b.publicKey);
    expect(a.address).toBe(addressOf(b.publicKey));
    const m = new TextEncoder().encode("perpetua");
    expect(await a.sign(m)).toEqual(await b.sign(m));
  });

  it("signTx output decodes with the chain's decoder and its signature verifies", async () => {
    const s = nobleSigner(SEED_1);
    const msg = placeOrder({ market: "BTC-USD", side: "buy", price: "50000", size: "0.1" });
    expect(msg).toEqual({
      kind: "place_order",
      market: "BTC-USD",
      side: "buy",
      type: "limit",
      price: "50000",
      size: "0.1",
      tif: "gtc",
      reduceOnly: false,
      clientId: 0,
    });
    const t = await signTx(s, "perpetua-1", 42, [msg]);
    const tx = decodeTx(t.bytes);
    expect(tx.body.nonce).toBe(42);
    expect(verify(s.publicKey, txSignBytes(tx.body), tx.signature)).toBe(true);
    expect(t.hash).toMatch(/^[0-9A-F]{64}$/);
  });

  it("rejects a bad message before signing with the chain's field path", async () => {
    const bad = placeOrder({ market: "btc", side: "buy", price: "1", size: "1" });
    await expect(signTx(nobleSigner(SEED_1), "perpetua-1", 1, [bad])).rejects.toThrow(
      /tx\.body\.msgs\[0\]\.market/,
    );
  });

  it("decodes per-message results from a tx result's data", () => {
    const data = toBase64(
      encode([{ code: 0, log: "resting", orderId: 3, status: "resting", filled: "0" }]),
    );
    expect(decodeMsgResults(data)).toEqual([
      { code: 0, log: "resting", orderId: 3, status: "resting", filled: "0" },
    ]);
    expect(decodeMsgResults("")).toEqual([]);
  });

  it("re-exports the chain's margin functions", () => {
    expect(margin.accountRisk).toBe(accountRisk);
  });
});

describe("nonces", () => {
  it("are strictly increasing even when the clock stands still or goes back", () => {
    let t = 1000;
    const n = new NonceManager(() => t);
    expect([n.next(), n.next()]).toEqual([1000, 1001]);
    t = 900;
    expect(n.next()).toBe(1002);
    t = 5000;
    expect(n.next()).toBe(5000);
    n.observe([9000, "8000"]);
    expect(n.next()).toBe(9001);
  });

  it("never has more than the window in flight", async () => {
    const n = new NonceManager(() => 1);
    const got: number[] = [];
    const waiters = Array.from({ length: NONCE_WINDOW + 5 }, () =>
      n.acquire().then((x) => got.push(x)),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(NONCE_WINDOW);
    for (let i = 0; i < 5; i++) n.release();
    await Promise.all(waiters);
    expect(got).toHaveLength(NONCE_WINDOW + 5);
    expect(new Set(got).size).toBe(got.length);
  });
});

describe("client errors and sends against an RpcServer", () => {
  it("carries JSON-RPC and application codes; a checkTx refusal is kind tx with its name", async () => {
    const router = new Router();
    router.register("status", {
      handler: () => ({ node_info: { network: "perpetua-unit" } }),
    });
    router.register("broadcast_tx_sync", {
      params: { tx: bytes({ max: 1 << 16 }) },
      handler: () => ({
        code: 200,
        data: "",
        log: "nonce 1 already used",
        codespace: "",
        hash: "AB",
      }),
    });
    router.register("orderbook", {
      params: { market: market() },
      handler: () => {
        throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, "unknown market X-USD");
      },
    });
    running = await startServer(router);
    const c = new PerpetuaClient(running.url);
    const e1 = await c.orderbook("X-USD").catch((e) => e);
    expect(e1).toBeInstanceOf(PerpetuaClientError);
    expect(e1).toMatchObject({ kind: "rpc", code: 300, codeName: "unknown_market" });
    const e2 = await c.call("nope").catch((e) => e);
    expect(e2).toMatchObject({ kind: "rpc", code: -32601 });
    const w = new Wallet(c, nobleSigner(SEED_1));
    const e3 = await w.faucet("1").catch((e) => e);
    expect(e3).toMatchObject({ kind: "tx", code: 200, codeName: "bad_nonce" });
    expect(w.nonces.pending).toBe(0);
    const e4 = await new PerpetuaClient("http://127.0.0.1:1").status().catch((e) => e);
    expect(e4).toMatchObject({ kind: "transport" });
  });
});

describe("subscriptions", () => {
  it("resume after a dropped connection from the last height: no gap, no duplicate", async () => {
    // A store of committed events (one per height), as the node's replay source reads it.
    const store: HubEvent[] = [];
    const replay: ReplaySource = {
      async *replay(_topic, from) {
        for (const e of [...store]) if (e.height >= from) yield e;
      },
    };
    running = await startServer(new Router(), {}, { replay });
    const hub = running.server.hub;
    const commit = (h: number) => {
      const ev = { height: h, data: { h } };
      store.push(ev);
      hub.publish("blocks", ev);
    };
    const seen: TopicEvent<{ h: number }>[] = [];
    const states: string[] = [];
    const sc = new SubscriptionClient(running.wsUrl, {
      reconnectMinMs: 20,
      onStatus: (s) => states.push(s.state),
    });
    for (let h = 1; h <= 3; h++) commit(h);
    await sc.subscribe<{ h: number }>("blocks", (e) => seen.push(e), { from: 1 });
    const until = async (n: number) => {
      for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(3);
    commit(4);
    await until(4);
    sc.dropConnection();
    // Committed while we are away: the resume must replay these.
    for (let h = 5; h <= 8; h++) commit(h);
    await until(8);
    commit(9);
    await until(9);
    sc.close();
    expect(seen.map((e) => e.height)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(states).toContain("reconnecting");
  });

  it("a refused subscription rejects with the node's code", async () => {
    running = await startServer(new Router());
    const sc = new SubscriptionClient(running.wsUrl);
    const e = await sc.subscribe("nonsense-topic", () => {}).catch((x) => x);
    expect(e).toBeInstanceOf(PerpetuaClientError);
    expect((e as PerpetuaClientError).code).toBe(-32602);
    sc.close();
  });
});
