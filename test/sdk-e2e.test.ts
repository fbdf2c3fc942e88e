/**
 * The new user's path through the SDK against a real 4-process testnet: a fresh key signed
 * with the pure-JS (noble) signer, faucet, a resting order and a crossing order sent
 * concurrently (the nonce window), a fill against another demo account's quotes (a batch of
 * two orders in one transaction), the fill seen on the `account:` and `trades:`
 * subscriptions, the position from `account`, and closing it after a dropped WebSocket,
 * whose events arrive after the automatic resume with no duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountUpdate,
  accountFromView,
  generateSeed,
  loadRiskMarkets,
  nobleSigner,
  PerpetuaClient,
  placeOrder,
  previewOrder,
  SubscriptionClient,
  seedFromHex,
  type TopicEvent,
  type Trade,
  Wallet,
} from "../rpc/client/index.js";
import { nodeSigner } from "../rpc/client/nodeSigner.js";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

let net: RunningTestnet;
let subs: SubscriptionClient | undefined;

beforeAll(async () => {
  net = await startLiveTestnet();
}, 100_000);

afterAll(async () => {
  subs?.close();
  await net?.stopAll();
});

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the SDK against a live 4-validator testnet", () => {
  it("faucet, rest, fill against another account, see it on account: and trades:, close it across a reconnect", async () => {
    const client = new PerpetuaClient(net.layout.nodes[0].rpc);
    const alice = new Wallet(client, nobleSigner(generateSeed()));
    const maker = new Wallet(
      new PerpetuaClient(net.layout.nodes[1].rpc),
      nodeSigner(seedFromHex(net.layout.accounts[2].seed)),
    );

    // Subscriptions on a third node, opened before trading.
    subs = new SubscriptionClient(new PerpetuaClient(net.layout.nodes[2].rpc).wsUrl, {
      reconnectMinMs: 50,
    });
    const accountEvents: TopicEvent<AccountUpdate>[] = [];
    const tradeEvents: TopicEvent<Trade[]>[] = [];
    await subs.subscribe<AccountUpdate>(`account:${alice.address}`, (e) => accountEvents.push(e));
    await subs.subscribe<Trade[]>("trades:BTC-USD", (e) => tradeEvents.push(e));

    const funded = await alice.faucet("1000");
    expect(funded.results).toMatchObject([{ code: 0 }]);

    const quotes = await maker.send([
      placeOrder({ market: "BTC-USD", side: "sell", price: "61000", size: "0.01", clientId: 21 }),
      placeOrder({ market: "BTC-USD", side: "buy", price: "59500", size: "0.01", clientId: 22 }),
    ]);
    expect(quotes.results.map((r) => r.status)).toEqual(["resting", "resting"]);

    // Preview with the chain's formulas before sending. 0.01 BTC on 1000 USDC can never be
    // liquidated (no liquidation price); 0.3 BTC at 61000 on 1000 USDC can:
    // −17300 + 0.3 p = 0.03 × 0.3 p  ⇒  p ≈ 59450.
    const risk = await loadRiskMarkets(client);
    const flat = accountFromView(await client.account(alice.address), risk);
    const order = { market: "BTC-USD", side: "buy", price: "61000" } as const;
    const small = previewOrder(risk, flat, { ...order, size: "0.01" });
    expect(small).toMatchObject({ positionSize: "0.01", initialMarginFraction: "0.05" });
    expect(small.liquidationPrice).toBeNull();
    const big = previewOrder(risk, flat, { ...order, size: "0.3" });
    expect(Number(big.initialMargin)).toBeGreaterThan(850);
    expect(Number(big.liquidationPrice)).toBeGreaterThan(59_400);
    expect(Number(big.liquidationPrice)).toBeLessThan(59_500);

    // Two sends at once: distinct, increasing nonces, both accepted.
    const [rest, fill] = await Promise.all([
      alice.placeOrder({
        market: "BTC-USD",
        side: "buy",
        price: "50000",
        size: "0.01",
        clientId: 1,
      }),
      alice.placeOrder({
        market: "BTC-USD",
        side: "buy",
        price: "61000",
        size: "0.01",
        clientId: 2,
      }),
    ]);
    expect(rest.results[0]).toMatchObject({ code: 0, status: "resting" });
    expect(fill.results[0]).toMatchObject({ code: 0, status: "filled", filled: "0.01" });

    await until("the fill on account:", () =>
      accountEvents.some((e) => e.data.fills.some((f) => f.price === "61000")),
    );
    await until("the fill on trades:", () =>
      tradeEvents.some((e) => e.data.some((t) => t.taker === alice.address)),
    );
    const fillEvent = accountEvents.find((e) => e.data.fills.length > 0)!;
    expect(fillEvent.height).toBe(fill.height);
    expect(fillEvent.data.fills[0]).toMatchObject({ role: "taker", size: "0.01", side: "buy" });

    const acct = await client.account(alice.address);
    expect(acct.positions).toMatchObject([{ market: "BTC-USD", side: "long", size: "0.01" }]);
    expect(acct.openOrders.map((o) => o.clientId)).toEqual([1]);

    // Drop the socket, close the position while it is down; the resume delivers it.
    const before = accountEvents.length;
    subs.dropConnection();
    const close = await alice.placeOrder({
      market: "BTC-USD",
      side: "sell",
      type: "market",
      price: "59000",
      size: "0.01",
      reduceOnly: true,
    });
    expect(close.results[0]).toMatchObject({ code: 0, status: "filled", filled: "0.01" });
    await until("the closing fill after the resume", () =>
      accountEvents.slice(before).some((e) => e.data.fills.some((f) => f.price === "59500")),
    );
    const heights = accountEvents.map((e) => e.height);
    expect(heights).toEqual([...new Set(heights)].sort((a, b) => a - b));

    const after = await client.account(alice.address);
    expect(after.positions.filter((p) => p.size !== "0")).toEqual([]);
    const { trades } = await client.trades("BTC-USD", 2);
    expect(trades.map((t) => [t.price, t.taker])).toEqual([
      ["59500", alice.address],
      ["61000", alice.address],
    ]);
  }, 60_000);
});
