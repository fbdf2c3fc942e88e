/**
 * Determinism in the dYdX style: the same random run of blocks goes through three apps —
 * A plain, B restarted from its store before every block, C that also sees every
 * transaction through checkTx first — and all three must give the same app hash at every
 * height. The random run covers orders of every kind, cancels, transfers, the faucet and
 * oracle moves (with liquidations when prices move far), and finalizeBlock checks the
 * financial invariants at every block.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppEvent, FinalizeBlockResponse } from "../lib/abci.js";
import { toHex } from "../lib/bytes.js";
import { Prng } from "../test/sim/prng.js";
import { PerpetuaApp } from "./app.js";
import { MemoryKvStore } from "./store/memoryKv.js";
import {
  type Chain,
  genesis,
  nextBlock,
  runBlock,
  setPrices,
  startChain,
  Trader,
  validators,
} from "./testkit.js";
import type { Msg } from "./types/tx.js";

/** A height's results as clients read them: codes, logs, data and every event attribute. */
function resultsText(r: FinalizeBlockResponse): string {
  const events = (es: readonly AppEvent[]) =>
    es.map((e) => `${e.type}{${e.attributes.map((x) => `${x.key}=${x.value}`).join(",")}}`);
  return JSON.stringify([
    r.txResults.map((t) => [t.code, t.log, toHex(t.data), events(t.events)]),
    events(r.events),
  ]);
}

function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.float();
}

function traders(): Trader[] {
  return Array.from({ length: 8 }, (_, i) => new Trader(`det-${i}`));
}

function randomBlock(
  TRADERS: Trader[],
  r: () => number,
  height: number,
  btc: number,
  eth: number,
): { txs: Uint8Array[] } {
  const txs: Uint8Array[] = [];
  const n = Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const t = TRADERS[Math.floor(r() * TRADERS.length)];
    const msgs: Msg[] = [];
    const count = 1 + Math.floor(r() * 3);
    for (let j = 0; j < count; j++) {
      const x = r();
      const market = r() < 0.6 ? "BTC-USD" : "ETH-USD";
      const mid = market === "BTC-USD" ? btc : eth;
      const tick = market === "BTC-USD" ? 1 : 0.1;
      if (x < 0.6) {
        const side = r() < 0.5 ? "buy" : "sell";
        const off = Math.floor((r() - 0.3) * 20) * tick * (side === "buy" ? -1 : 1);
        const price = (Math.round((mid + off) / tick) * tick).toFixed(market === "BTC-USD" ? 0 : 1);
        const size =
          market === "BTC-USD"
            ? (0.0001 * (1 + Math.floor(r() * 5000))).toFixed(4)
            : (0.001 * (1 + Math.floor(r() * 20000))).toFixed(3);
        const kinds = ["gtc", "gtc", "ioc", "fok", "post_only"] as const;
        const isMarket = r() < 0.1;
        const tif = isMarket ? (r() < 0.5 ? "ioc" : "fok") : kinds[Math.floor(r() * kinds.length)];
        msgs.push({
          kind: "place_order",
          market,
          side,
          type: isMarket ? "market" : "limit",
          ...(isMarket ? {} : { price }),
          size,
          tif,
          reduceOnly: r() < 0.1,
          clientId: Math.floor(r() * 50),
          ...(r() < 0.2 ? { goodTilBlock: height + Math.floor(r() * 5) } : {}),
          ...(r() < 0.05 ? { trigger: { kind: r() < 0.5 ? "stop" : "take_profit", price } } : {}),
          ...(r() < 0.3
            ? {
                stp: (["cancel_maker", "cancel_taker", "cancel_both"] as const)[
                  Math.floor(r() * 3)
                ],
              }
            : {}),
        } as Msg);
      } else if (x < 0.8) {
        msgs.push({ kind: "cancel_order", market, clientId: Math.floor(r() * 50) });
      } else if (x < 0.85) {
        msgs.push(market === "BTC-USD" ? { kind: "cancel_all", market } : { kind: "cancel_all" });
      } else if (x < 0.93) {
        const to = TRADERS[Math.floor(r() * TRADERS.length)];
        msgs.push({
          kind: "transfer",
          to: to.address,
          amount: (1 + Math.floor(r() * 5000)).toString(),
        });
      } else {
        msgs.push({ kind: "faucet", amount: (1 + Math.floor(r() * 10000)).toString() });
      }
    }
    txs.push(t.tx(msgs));
  }
  return { txs };
}

function req(TRADERS: Trader[] = traders()) {
  return genesis({ accounts: TRADERS.map((t) => ({ address: t.address, collateral: "50000" })) });
}

async function run(blocks: number, seed: number) {
  const TRADERS = traders();
  const vals = validators();
  const a = await startChain(req(TRADERS), vals);
  const kvB = new MemoryKvStore();
  let b: Chain = await startChain(req(TRADERS), vals, kvB);
  const c = await startChain(req(TRADERS), vals);
  const r = rng(seed);
  let btc = 50_000;
  let eth = 3_000;
  const hashes: string[] = [];
  for (let h = 1; h <= blocks; h++) {
    // Oracle random walk with occasional jumps (liquidations).
    btc = Math.max(1000, Math.round(btc * (1 + (r() - 0.5) * (r() < 0.05 ? 0.3 : 0.01))));
    eth = Math.max(10, Math.round(eth * 10 * (1 + (r() - 0.5) * (r() < 0.05 ? 0.3 : 0.01))) / 10);
    const prices = { "BTC-USD": String(btc), "ETH-USD": eth.toFixed(1) };
    const { txs } = randomBlock(TRADERS, r, h, btc, eth);
    for (const ch of [a, b, c]) setPrices(ch, prices);
    for (const t of txs) c.app.checkTx(t, "new");
    // B restarts from its store before every block.
    const reopened = await PerpetuaApp.open(kvB);
    b = { ...b, app: reopened };
    const ra = await runBlock(a, txs);
    const rb = await runBlock(b, txs);
    const rc = await runBlock(c, txs);
    const ha = toHex(ra.appHash);
    expect(toHex(rb.appHash), `height ${h}: restarted app diverged`).toBe(ha);
    expect(toHex(rc.appHash), `height ${h}: checkTx'd app diverged`).toBe(ha);
    // What clients read (results and events, compact ones through their attributes) agrees too.
    expect(resultsText(rb), `height ${h}: restarted app's results differ`).toBe(resultsText(ra));
    expect(resultsText(rc), `height ${h}: checkTx'd app's results differ`).toBe(resultsText(ra));
    hashes.push(ha);
  }
  return { a, hashes };
}

describe("determinism", () => {
  it("1,000 random blocks: plain, restarted-every-block and checkTx'd apps agree at every height", async () => {
    const { a, hashes } = await run(1000, 7);
    expect(new Set(hashes).size).toBeGreaterThan(900);
    const ex = a.app.exchange();
    // The run really traded: positions exist and orders rested.
    let positions = 0;
    for (const acct of ex.accounts.values()) positions += acct.positions.length;
    expect(positions).toBeGreaterThan(0);
    expect(ex.nextOrderId).toBeGreaterThan(500);
  }, 240_000);

  it("equal inputs give equal app hashes, different inputs different ones (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
        const x = await run(15, seed);
        const y = await run(15, seed);
        expect(y.hashes).toEqual(x.hashes);
        const z = await run(15, seed + 1);
        expect(z.hashes.at(-1)).not.toEqual(x.hashes.at(-1));
      }),
      { numRuns: 3 },
    );
  }, 120_000);

  it("a block that reaches nextBlock twice is rejected as out of order", async () => {
    const chain = await startChain(req());
    const blk = nextBlock(chain, []);
    await chain.app.finalizeBlock(blk);
    await chain.app.commit();
    await expect(chain.app.finalizeBlock(blk)).rejects.toThrow(/expected 2/);
  });
});
