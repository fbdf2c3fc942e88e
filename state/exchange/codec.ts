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
import { RecordWriter } from "../../lib/cborEncode.js";
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

/** "o" || market || 0x00 per market id, built once (a key is made per order change). */
const orderPrefixes = new Map<string, Uint8Array>();

export function orderKey(market: string, id: number): Uint8Array {
  let prefix = orderPrefixes.get(market);
  if (prefix === undefined) {
    prefix = orderPrefix(market);
    orderPrefixes.set(market, prefix);
  }
  const n = prefix.length;
  const out = new Uint8Array(n + 8);
  out.set(prefix, 0);
  // id is a non-negative safe integer: big-endian u64 as two exact 32-bit halves.
  const lo = id % 0x100000000;
  const hi = (id - lo) / 0x100000000;
  out[n] = hi >>> 24;
  out[n + 1] = (hi >>> 16) & 0xff;
  out[n + 2] = (hi >>> 8) & 0xff;
  out[n + 3] = hi & 0xff;
  out[n + 4] = lo >>> 24;
  out[n + 5] = (lo >>> 16) & 0xff;
  out[n + 6] = (lo >>> 8) & 0xff;
  out[n + 7] = lo & 0xff;
  return out;
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

const orderWriter = new RecordWriter();

/**
 * An order record with its remaining size (resting) or its full size (untriggered):
 *   [id, owner, ownerId, side, type, priceTicks, sizeLots, remainingLots, tif, reduceOnly,
 *    clientId, goodTilBlock | null, stp, [triggerKind, triggerPriceTicks] | null,
 *    placedHeight, restSeq | null]
 * written field by field (the same bytes as `encode` of that array; codec.test.ts checks).
 */
export function encodeOrder(o: OrderRec, remainingLots: number): Uint8Array {
  const w = orderWriter.begin();
  try {
    w.array(16)
      .int(o.id)
      .text(o.owner)
      .int(o.ownerId)
      .text(o.side)
      .text(o.type)
      .int(o.priceTicks)
      .int(o.sizeLots)
      .int(remainingLots)
      .text(o.tif)
      .bool(o.reduceOnly)
      .int(o.clientId);
    if (o.goodTilBlock === undefined || o.goodTilBlock === null) w.null();
    else w.int(o.goodTilBlock);
    w.text(o.stp);
    if (o.trigger) w.array(2).text(o.trigger.kind).value(o.trigger.priceTicks);
    else w.null();
    w.int(o.placedHeight);
    if (o.restSeq === undefined || o.restSeq === null) w.null();
    else w.int(o.restSeq);
  } catch (e) {
    w.end();
    throw e;
  }
  return w.end();
}

/** encodeOrder through the generic encoder: the reference the field writer must match. */
export function encodeOrderGeneric(o: OrderRec, remainingLots: number): Uint8Array {
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
