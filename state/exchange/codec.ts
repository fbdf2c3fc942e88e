/**
 * Canonical CBOR records of the state, and the keys they live under.
 *
 * Authenticated (in the sparse Merkle tree, proofs available):
 *   "a" || address (20 bytes)  account: [quoteBalance, positions, nonces, ownerId]
 *   "m" || market id           market: [state..., fundingLedger..., ordersDigest]
 *   "p" || market id           market params, as their genesis JSON
 *   "g"                        globals
 *   "v"                        validator powers
 * Not in the tree (one LevelDB write per order change would not keep up with a Merkle path
 * each): "o" || market id || 0x00 || order id (8 bytes) -> resting or untriggered order.
 * Their integrity is covered by the market record's `ordersDigest`, an LtHash of every
 * order record of the market (docs/state.md).
 */
import { fromHex, toHex, utf8 } from "../../lib/bytes.js";
import { asBigInt, asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { InvariantError } from "../../lib/errors.js";
import type { FundingLedger } from "../funding/index.js";
import type { Position } from "../types/account.js";
import type { MarketState } from "../types/market.js";
import type { AccountRec, OrderRec } from "./types.js";

export const KEY_GLOBALS = utf8("g");
export const KEY_VALIDATORS = utf8("v");
export const PREFIX_ACCOUNT = utf8("a");
export const PREFIX_MARKET = utf8("m");
export const PREFIX_PARAMS = utf8("p");
export const PREFIX_ORDER = utf8("o");

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function accountKey(address: string): Uint8Array {
  return cat(PREFIX_ACCOUNT, fromHex(address));
}

export function addressFromAccountKey(key: Uint8Array): string {
  return `0x${toHex(key.subarray(1))}`;
}

export function marketKey(id: string): Uint8Array {
  return cat(PREFIX_MARKET, utf8(id));
}

export function paramsKey(id: string): Uint8Array {
  return cat(PREFIX_PARAMS, utf8(id));
}

export function orderKey(market: string, id: number): Uint8Array {
  const idBytes = new Uint8Array(8);
  new DataView(idBytes.buffer).setBigUint64(0, BigInt(id));
  return cat(cat(PREFIX_ORDER, utf8(`${market}\0`)), idBytes);
}

export function orderPrefix(market: string): Uint8Array {
  return cat(PREFIX_ORDER, utf8(`${market}\0`));
}

function bad(what: string): never {
  throw new InvariantError("state_decode", `malformed ${what} record`);
}

function arr(v: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== n) bad(what);
  return v;
}

export function encodeAccount(a: AccountRec): Uint8Array {
  return encode([
    a.quoteBalance,
    a.positions.map((p) => [p.market, p.sizeLots, p.entryNotional, p.fundingIndex]),
    a.nonces,
    a.ownerId,
  ]);
}

export function decodeAccount(address: string, bytes: Uint8Array): AccountRec {
  const [q, ps, ns, owner] = arr(decodeTrusted(bytes), 4, "account");
  if (!Array.isArray(ps) || !Array.isArray(ns)) bad("account");
  const positions: Position[] = ps.map((p) => {
    const [market, size, entry, idx] = arr(p, 4, "position");
    if (typeof market !== "string") bad("position");
    return {
      market,
      sizeLots: asBigInt(size, "size"),
      entryNotional: asBigInt(entry, "entry"),
      fundingIndex: asBigInt(idx, "fundingIndex"),
    };
  });
  return {
    address,
    ownerId: asSafeInt(owner, "ownerId"),
    quoteBalance: asBigInt(q, "quoteBalance"),
    positions,
    nonces: ns.map((n) => asSafeInt(n, "nonce")),
  };
}

export function encodeMarket(
  s: MarketState,
  l: FundingLedger,
  ordersDigest: Uint8Array,
): Uint8Array {
  return encode([
    [
      s.oraclePriceTicks,
      s.oracleHeight,
      s.cumulativeFundingIndex,
      s.premiumSampleSumPpm,
      s.premiumSampleCount,
      s.lastFundingTimeMs,
      s.openInterestLots,
      s.lastFundingRatePpm,
    ],
    [l.paidQuantums, l.receivedQuantums, l.netExactScaled, l.dustScaled, l.sweptQuantums],
    ordersDigest,
  ]);
}

export function decodeMarket(bytes: Uint8Array): {
  state: MarketState;
  ledger: FundingLedger;
  digest: Uint8Array;
} {
  const [s, l, d] = arr(decodeTrusted(bytes), 3, "market");
  const st = arr(s, 8, "market state");
  const le = arr(l, 5, "funding ledger");
  if (!(d instanceof Uint8Array)) bad("market digest");
  return {
    state: {
      oraclePriceTicks: asBigInt(st[0], "oracle"),
      oracleHeight: asSafeInt(st[1], "oracleHeight"),
      cumulativeFundingIndex: asBigInt(st[2], "fundingIndex"),
      premiumSampleSumPpm: asBigInt(st[3], "premiumSum"),
      premiumSampleCount: asSafeInt(st[4], "premiumCount"),
      lastFundingTimeMs: asSafeInt(st[5], "lastFundingTime"),
      openInterestLots: asBigInt(st[6], "openInterest"),
      lastFundingRatePpm: asBigInt(st[7], "lastFundingRate"),
    },
    ledger: {
      paidQuantums: asBigInt(le[0], "paid"),
      receivedQuantums: asBigInt(le[1], "received"),
      netExactScaled: asBigInt(le[2], "netExact"),
      dustScaled: asBigInt(le[3], "dust"),
      sweptQuantums: asBigInt(le[4], "swept"),
    },
    digest: d,
  };
}

/** An order record with its remaining size (resting) or its full size (untriggered). */
export function encodeOrder(o: OrderRec, remainingLots: number): Uint8Array {
  return encode([
    o.id,
    o.owner,
    o.ownerId,
    o.side,
    o.type,
    o.priceTicks,
    o.sizeLots,
    remainingLots,
    o.tif,
    o.reduceOnly,
    o.clientId,
    o.goodTilBlock ?? null,
    o.stp,
    o.trigger ? [o.trigger.kind, o.trigger.priceTicks] : null,
    o.placedHeight,
    o.restSeq ?? null,
  ]);
}

export function decodeOrder(
  market: string,
  bytes: Uint8Array,
): { rec: OrderRec; remainingLots: number } {
  const f = arr(decodeTrusted(bytes), 16, "order");
  const trigger = f[13] === null ? undefined : arr(f[13], 2, "trigger");
  const rec: OrderRec = {
    id: asSafeInt(f[0], "id"),
    market,
    owner: f[1] as string,
    ownerId: asSafeInt(f[2], "ownerId"),
    side: f[3] as OrderRec["side"],
    type: f[4] as OrderRec["type"],
    priceTicks: asSafeInt(f[5], "price"),
    sizeLots: asSafeInt(f[6], "size"),
    tif: f[8] as OrderRec["tif"],
    reduceOnly: f[9] === true,
    clientId: asSafeInt(f[10], "clientId"),
    goodTilBlock: f[11] === null ? undefined : asSafeInt(f[11], "goodTilBlock"),
    stp: f[12] as OrderRec["stp"],
    trigger: trigger
      ? { kind: trigger[0] as "stop" | "take_profit", priceTicks: asBigInt(trigger[1], "trigger") }
      : undefined,
    placedHeight: asSafeInt(f[14], "placedHeight"),
    restSeq: f[15] === null ? undefined : asSafeInt(f[15], "restSeq"),
  };
  return { rec, remainingLots: asSafeInt(f[7], "remaining") };
}
