/**
 * Bad input at the application level: every rejection path returns its stable code and a
 * readable message, and changes nothing but the nonce it consumed (balances, positions,
 * books, the fund and the fee pool are compared before and after).
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../lib/bytes.js";
import { decode } from "../lib/cbor.js";
import { ErrorCode } from "../lib/errors.js";
import { btcMarket, genesis, runBlock, setPrices, startChain, Trader } from "./testkit.js";
import type { Msg } from "./types/tx.js";

const ALICE = new Trader("rej-alice");
const BOB = new Trader("rej-bob");
const POOR = new Trader("rej-poor");

function fingerprint(chain: Awaited<ReturnType<typeof startChain>>): string {
  const ex = chain.app.exchange();
  const accounts = [...ex.accounts.values()]
    .map(
      (a) =>
        `${a.address}:${a.quoteBalance}:${a.positions.map((p) => `${p.market}/${p.sizeLots}`).join(",")}`,
    )
    .sort()
    .join(";");
  const books = ex.marketIds.map((id) => toHex(ex.markets.get(id)!.book.stateHash())).join(",");
  const triggers = ex.marketIds.map((id) => ex.markets.get(id)!.triggers.size).join(",");
  return `${accounts}|${books}|${triggers}|${ex.insuranceFundQuantums}|${ex.feePoolQuantums}|${ex.mintedQuantums}`;
}

const order = (o: Partial<Extract<Msg, { kind: "place_order" }>>): Msg => ({
  kind: "place_order",
  market: "BTC-USD",
  side: "buy",
  type: "limit",
  price: "49000",
  size: "0.1",
  tif: "gtc",
  reduceOnly: false,
  clientId: 77,
  ...o,
});

const CASES: [string, Trader, Msg, number][] = [
  ["unknown market", ALICE, order({ market: "DOGE-USD" }), ErrorCode.UNKNOWN_MARKET],
  ["price off the tick", ALICE, order({ price: "49000.5" }), ErrorCode.INVALID_PRICE],
  ["size off the step", ALICE, order({ size: "0.00001" }), ErrorCode.INVALID_SIZE],
  ["insufficient margin", POOR, order({ size: "10" }), ErrorCode.INSUFFICIENT_MARGIN],
  [
    "post-only that crosses",
    ALICE,
    order({ price: "51000", tif: "post_only" }),
    ErrorCode.POST_ONLY_WOULD_CROSS,
  ],
  [
    "FOK not fillable",
    ALICE,
    order({ price: "51000", tif: "fok", size: "5" }),
    ErrorCode.FOK_NOT_FILLABLE,
  ],
  [
    "market order on an empty side",
    ALICE,
    order({ side: "sell", type: "market", price: undefined, tif: "ioc" }),
    ErrorCode.NO_LIQUIDITY,
  ],
  [
    "duplicate clientId",
    BOB,
    order({ side: "sell", price: "51000", clientId: 1 }),
    ErrorCode.DUPLICATE_CLIENT_ID,
  ],
  [
    "reduce-only with no position",
    ALICE,
    order({ reduceOnly: true, tif: "ioc" }),
    ErrorCode.REDUCE_ONLY,
  ],
  ["goodTilBlock in the past", ALICE, order({ goodTilBlock: 1 }), ErrorCode.ORDER_EXPIRED],
  [
    "cancel of an unknown order",
    ALICE,
    { kind: "cancel_order", market: "BTC-USD", orderId: 999_999 },
    ErrorCode.UNKNOWN_ORDER,
  ],
  [
    "cancel of someone else's order",
    ALICE,
    { kind: "cancel_order", market: "BTC-USD", orderId: 1 },
    ErrorCode.UNKNOWN_ORDER,
  ],
  [
    "cancel-all in an unknown market",
    ALICE,
    { kind: "cancel_all", market: "XYZ-USD" },
    ErrorCode.UNKNOWN_MARKET,
  ],
  [
    "transfer above the balance",
    POOR,
    { kind: "transfer", to: ALICE.address, amount: "1000" },
    ErrorCode.INSUFFICIENT_FUNDS,
  ],
  [
    "transfer to yourself",
    ALICE,
    { kind: "transfer", to: ALICE.address, amount: "1" },
    ErrorCode.SELF_TRANSFER,
  ],
  [
    "faucet above its maximum",
    ALICE,
    { kind: "faucet", amount: "100001" },
    ErrorCode.INVALID_FIELD,
  ],
];

describe("rejections change nothing", () => {
  it.each(CASES)("%s", async (_, who, msg, code) => {
    const chain = await startChain(
      genesis({
        accounts: [
          { address: ALICE.address, collateral: "100000" },
          { address: BOB.address, collateral: "100000" },
          { address: POOR.address, collateral: "10" },
        ],
        markets: [btcMarket()],
      }),
    );
    setPrices(chain, { "BTC-USD": "50000" });
    // Bob's ask at 51,000 (order id 1, clientId 1) is the only resting order.
    await runBlock(chain, [BOB.tx([order({ side: "sell", price: "51000", clientId: 1 })])]);
    const before = fingerprint(chain);
    const res = await runBlock(chain, [who.tx([msg])]);
    const [r] = decode(res.txResults[0].data) as { code: number; log: string }[];
    expect(r.code).toBe(code);
    expect(r.log.length).toBeGreaterThan(5);
    expect(fingerprint(chain)).toBe(before);
  });

  it("a replayed transaction is rejected with bad_nonce and runs nothing", async () => {
    const chain = await startChain(
      genesis({
        accounts: [{ address: ALICE.address, collateral: "100" }],
        markets: [btcMarket()],
      }),
    );
    const t = ALICE.tx([{ kind: "faucet", amount: "5" }]);
    await runBlock(chain, [t]);
    const before = fingerprint(chain);
    const res = await runBlock(chain, [t]);
    expect(res.txResults[0].code).toBe(ErrorCode.BAD_NONCE);
    expect(fingerprint(chain)).toBe(before);
  });

  it("undecodable bytes in a block are rejected by processProposal", async () => {
    const chain = await startChain(genesis({ accounts: [], markets: [btcMarket()] }));
    const { nextBlock } = await import("./testkit.js");
    expect(chain.app.processProposal(nextBlock(chain, [new Uint8Array([1, 2, 3])]))).toBe(false);
  });
});
