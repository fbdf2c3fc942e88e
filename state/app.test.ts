import { describe, expect, it } from "vitest";
import { toHex } from "../lib/bytes.js";
import { decode } from "../lib/cbor.js";
import { ErrorCode } from "../lib/errors.js";
import { PerpetuaApp } from "./app.js";
import { genesis, runBlock, startChain, Trader } from "./testkit.js";

const ALICE = new Trader("alice");
const BOB = new Trader("bob");

function msgResults(
  data: Uint8Array,
): { code: number; log: string; status?: string; orderId?: number }[] {
  return decode(data) as { code: number; log: string }[];
}

describe("PerpetuaApp basics", () => {
  it("ALICE_BIDS_1BTC_AT_50000_BOB_SELLS_INTO_IT: fills, positions, fees and a restart with the same hash", async () => {
    const chain = await startChain(
      genesis({
        accounts: [
          { address: ALICE.address, collateral: "100000" },
          { address: BOB.address, collateral: "100000" },
        ],
      }),
    );
    const bid = ALICE.tx([
      {
        kind: "place_order",
        market: "BTC-USD",
        side: "buy",
        type: "limit",
        price: "50000",
        size: "1",
        tif: "gtc",
        reduceOnly: false,
        clientId: 1,
      },
    ]);
    expect(chain.app.checkTx(bid, "new").ok).toBe(true);
    const r1 = await runBlock(chain, [bid]);
    expect(r1.txResults[0].code).toBe(0);
    expect(msgResults(r1.txResults[0].data)[0].status).toBe("resting");

    const sell = BOB.tx([
      {
        kind: "place_order",
        market: "BTC-USD",
        side: "sell",
        type: "market",
        size: "1",
        tif: "ioc",
        reduceOnly: false,
        clientId: 1,
      },
    ]);
    const r2 = await runBlock(chain, [sell]);
    expect(msgResults(r2.txResults[0].data)[0]).toMatchObject({ code: 0, status: "filled" });
    const ex = chain.app.exchange();
    const alice = ex.accounts.get(ALICE.address)!;
    const bob = ex.accounts.get(BOB.address)!;
    expect(alice.positions[0].sizeLots).toBe(10_000n);
    expect(bob.positions[0].sizeLots).toBe(-10_000n);
    // Alice paid 50,000 USDC notional (maker fee 0); Bob received it less a 0.05 % taker fee (25 USDC).
    expect(alice.quoteBalance).toBe((100_000n - 50_000n) * 1_000_000n);
    expect(bob.quoteBalance).toBe((100_000n + 50_000n - 25n) * 1_000_000n);
    expect(ex.feePoolQuantums).toBe(25_000_000n);

    // Restart from the store: same app hash, same accounts.
    const again = await PerpetuaApp.open(chain.kv);
    expect(toHex(again.info().appHash)).toBe(toHex(chain.app.info().appHash));
    expect(again.info().height).toBe(2);
    expect(again.exchange().accounts.get(ALICE.address)!.positions).toEqual(alice.positions);
  });

  it("rejects a replayed nonce and a bad signature in checkTx, changing nothing", async () => {
    const chain = await startChain(
      genesis({ accounts: [{ address: ALICE.address, collateral: "1000" }] }),
    );
    const t = ALICE.tx([{ kind: "faucet", amount: "10" }], 5);
    expect(chain.app.checkTx(t, "new").ok).toBe(true);
    expect(chain.app.checkTx(t, "new").code).toBe(ErrorCode.BAD_NONCE);
    const forged = Uint8Array.from(t);
    forged[forged.length - 1] ^= 1;
    expect(chain.app.checkTx(forged, "new").code).toBe(ErrorCode.BAD_SIGNATURE);
    expect(chain.app.checkTx(new Uint8Array([0xff, 0x00]), "new").code).toBe(ErrorCode.MALFORMED);
  });

  it("drops committed transactions from its verified cache and bounds it by bytes", async () => {
    const chain = await startChain(
      genesis({
        accounts: [
          { address: ALICE.address, collateral: "1000" },
          { address: BOB.address, collateral: "1000" },
        ],
      }),
    );
    const a = ALICE.tx([{ kind: "faucet", amount: "10" }]);
    const b = BOB.tx([{ kind: "faucet", amount: "10" }]);
    expect(chain.app.checkTx(a, "new").ok).toBe(true);
    expect(chain.app.checkTx(b, "new").ok).toBe(true);
    expect(chain.app.txCacheSize()).toEqual({ entries: 2, bytes: a.length + b.length });
    // Only `a` is committed: `b` stays verified for the mempool's recheck.
    await runBlock(chain, [a]);
    expect(chain.app.txCacheSize()).toEqual({ entries: 1, bytes: b.length });
    expect(chain.app.checkTx(b, "recheck").ok).toBe(true);
    // A replay of the committed bytes is verified again and refused by its nonce.
    expect(chain.app.checkTx(a, "new").code).toBe(ErrorCode.BAD_NONCE);
    expect(chain.app.txCacheSize().entries).toBe(2);

    // Past 32 MiB of cached transactions the oldest go: batches of 128 orders, ~14 KB each.
    const order = (i: number) => ({
      kind: "place_order" as const,
      market: "BTC-USD",
      side: "buy" as const,
      type: "limit" as const,
      price: "1",
      size: "0.001",
      tif: "ioc" as const,
      reduceOnly: false,
      clientId: i,
    });
    const batch = Array.from({ length: 128 }, (_, i) => order(i));
    let total = 0;
    for (let n = 0; total < 40 << 20; n++) {
      const t = ALICE.tx(batch, 1000 + n);
      total += t.length;
      chain.app.checkTx(t, "new"); // verified and cached whatever the nonce window says
    }
    const { entries, bytes } = chain.app.txCacheSize();
    expect(bytes).toBeLessThanOrEqual(32 << 20);
    expect(bytes).toBeGreaterThan(30 << 20);
    expect(entries).toBeLessThan(total / 10_000);
  });
});

describe("proofs", () => {
  it("account queries with prove return a proof that the standalone verifier accepts against the app hash", async () => {
    const { verifyProof, decodeProof, encodeProof } = await import("./store/proof.js");
    const { accountKey } = await import("./exchange/codec.js");
    const chain = await startChain(
      genesis({ accounts: [{ address: ALICE.address, collateral: "100" }] }),
    );
    await runBlock(chain, [ALICE.tx([{ kind: "faucet", amount: "5" }])]);
    const root = chain.app.info().appHash;
    const q = await chain.app.query({
      path: "account",
      params: { address: ALICE.address },
      prove: true,
    });
    const p = q.proof as {
      value: Uint8Array;
      proof: Parameters<typeof verifyProof>[3];
      root: Uint8Array;
    };
    expect(toHex(p.root)).toBe(toHex(root));
    const key = accountKey(ALICE.address);
    // The proof survives its wire encoding and verifies; tampering with anything fails.
    const proof = decodeProof(encodeProof(p.proof));
    expect(verifyProof(root, key, p.value, proof)).toBe(true);
    const tampered = Uint8Array.from(p.value);
    tampered[tampered.length - 1] ^= 1;
    expect(verifyProof(root, key, tampered, proof)).toBe(false);
    // An account that does not exist gets a non-inclusion proof.
    const nobody = `0x${"00".repeat(20)}`;
    const q2 = await chain.app.query({ path: "account", params: { address: nobody }, prove: true });
    const p2 = q2.proof as {
      value: Uint8Array | undefined;
      proof: Parameters<typeof verifyProof>[3];
    };
    expect(p2.value).toBeUndefined();
    expect(verifyProof(root, accountKey(nobody), undefined, p2.proof)).toBe(true);
    expect(verifyProof(root, accountKey(nobody), p.value, p2.proof)).toBe(false);
  });
});
