/**
 * Writing what a block changed into the store, and rebuilding the exchange from it.
 *
 * Per block: dirty accounts and markets are encoded into the authenticated tree; dirty
 * orders are written as unauthenticated records and folded into their market's LtHash
 * (remove the old encoding, add the new), whose digest is part of the market record, so
 * the app hash covers every resting order at O(1) hashing per order change.
 */

import { equalBytes, utf8 } from "../../lib/bytes.js";
import { asBigInt, asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { InvariantError } from "../../lib/errors.js";
import { EMPTY_FUNDING_LEDGER } from "../funding/index.js";
import {
  type BookSnapshot,
  type RestingOrder,
  restoreBook,
  type SnapshotLevel,
} from "../orderbook/index.js";
import { LtHash } from "../store/lthash.js";
import { parseMarketParams } from "../types/market.js";
import {
  accountKey,
  addressFromAccountKey,
  decodeAccount,
  decodeMarket,
  decodeOrder,
  encodeAccount,
  encodeMarket,
  encodeOrder,
  KEY_GLOBALS,
  KEY_VALIDATORS,
  marketKey,
  orderKey,
  orderPrefix,
  PREFIX_ACCOUNT,
  PREFIX_PARAMS,
  paramsKey,
} from "./codec.js";
import type { Dirty, Exchange, MarketRec, OrderRec, ValidatorPower } from "./types.js";

/** Where persisted records go: the authenticated tree, and raw records beside it. */
export interface StateSink {
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  stageRaw(puts: [Uint8Array, Uint8Array][], dels: Uint8Array[]): void;
}

export interface StateSource {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  entries(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]>;
  rawEntries(prefix: Uint8Array): AsyncIterable<[Uint8Array, Uint8Array]>;
}

export function encodeGlobals(ex: Exchange): Uint8Array {
  return encode([
    ex.chainId,
    ex.height,
    ex.timeMs,
    ex.insuranceFundQuantums,
    ex.feePoolQuantums,
    ex.mintedQuantums,
    ex.nextOrderId,
    ex.nextRestSeq,
    ex.withdrawalsGatedUntil,
    [ex.faucet.enabled, ex.faucet.maxAmountQuantums],
    ex.marketIds,
  ]);
}

export function encodeValidators(vs: readonly ValidatorPower[]): Uint8Array {
  return encode(vs.map((v) => [v.address, v.pubKey, v.power]));
}

/** Folds the dirty orders into the LtHashes and stages their records; returns nothing. */
function persistOrders(ex: Exchange, dirty: Dirty, sink: StateSink): void {
  const puts: [Uint8Array, Uint8Array][] = [];
  const dels: Uint8Array[] = [];
  // Sorted ids: the staging order reaches the batch (not the hash, which is commutative).
  // Order ids are safe integers: a Float64Array sorts them numerically without a comparator.
  const ids = Float64Array.from(dirty.orders.keys()).sort();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const rec = dirty.orders.get(id);
    const m = rec ? ex.markets.get(rec.market)! : marketOfOrder(ex, id);
    if (!m) continue;
    const old = m.orderEncodings.get(id);
    if (old) m.ordersHash.remove(old);
    if (rec && (m.resting.has(id) || m.triggers.has(id))) {
      const remaining = m.resting.has(id)
        ? (m.book.getOrder(id)?.remainingLots ?? rec.sizeLots)
        : rec.sizeLots;
      const enc = encodeOrder(rec, remaining);
      m.ordersHash.add(enc);
      m.orderEncodings.set(id, enc);
      puts.push([orderKey(m.params.id, id), enc]);
      dirty.markets.add(m.params.id);
    } else if (old) {
      m.orderEncodings.delete(id);
      dels.push(orderKey(m.params.id, id));
      dirty.markets.add(m.params.id);
    }
  }
  sink.stageRaw(puts, dels);
}

function marketOfOrder(ex: Exchange, id: number): MarketRec | undefined {
  for (const mid of ex.marketIds) {
    const m = ex.markets.get(mid)!;
    if (m.orderEncodings.has(id)) return m;
  }
  return undefined;
}

export function persistDirty(ex: Exchange, dirty: Dirty, sink: StateSink): void {
  persistOrders(ex, dirty, sink);
  for (const address of [...dirty.accounts].sort()) {
    const a = ex.accounts.get(address);
    if (a) sink.set(accountKey(address), encodeAccount(a));
    else sink.delete(accountKey(address));
  }
  for (const id of [...dirty.markets].sort()) {
    const m = ex.markets.get(id)!;
    sink.set(marketKey(id), encodeMarket(m.state, m.fundingLedger, m.ordersHash.digest()));
  }
  if (dirty.globals) sink.set(KEY_GLOBALS, encodeGlobals(ex));
  if (dirty.validators) sink.set(KEY_VALIDATORS, encodeValidators(ex.validators));
}

/** Everything, for genesis. */
export function dirtyAll(ex: Exchange, dirty: Dirty, sink: StateSink): void {
  for (const id of ex.marketIds) {
    const m = ex.markets.get(id)!;
    sink.set(paramsKey(id), encode(m.paramsJson));
    dirty.markets.add(id);
  }
  for (const a of ex.accounts.keys()) dirty.accounts.add(a);
  dirty.globals = true;
  dirty.validators = true;
  persistDirty(ex, dirty, sink);
}

/** Rebuilds the exchange from committed state; checks every market's orders against its digest. */
export async function loadExchange(src: StateSource): Promise<Exchange | undefined> {
  const g = await src.get(KEY_GLOBALS);
  if (!g) return undefined;
  const f = decodeTrusted(g) as unknown[];
  const marketIds = f[10] as string[];
  const faucet = f[9] as unknown[];
  const ex: Exchange = {
    chainId: f[0] as string,
    height: asSafeInt(f[1], "height"),
    timeMs: asSafeInt(f[2], "timeMs"),
    accounts: new Map(),
    owners: [],
    markets: new Map(),
    marketIds: [...marketIds],
    insuranceFundQuantums: asBigInt(f[3], "insurance"),
    feePoolQuantums: asBigInt(f[4], "feePool"),
    mintedQuantums: asBigInt(f[5], "minted"),
    nextOrderId: asSafeInt(f[6], "nextOrderId"),
    nextRestSeq: asSafeInt(f[7], "nextRestSeq"),
    withdrawalsGatedUntil: asSafeInt(f[8], "gated"),
    faucet: { enabled: faucet[0] === true, maxAmountQuantums: asBigInt(faucet[1], "faucet") },
    validators: [],
    openOrders: new Map(),
  };
  const v = await src.get(KEY_VALIDATORS);
  if (v) {
    ex.validators = (decodeTrusted(v) as unknown[][]).map((r) => ({
      address: r[0] as string,
      pubKey: r[1] as Uint8Array,
      power: asSafeInt(r[2], "power"),
    }));
  }
  const owners: string[] = [];
  for await (const [k, val] of src.entries(PREFIX_ACCOUNT)) {
    const address = addressFromAccountKey(k);
    const a = decodeAccount(address, val);
    ex.accounts.set(address, a);
    owners[a.ownerId] = address;
  }
  for (let i = 0; i < owners.length; i++) {
    if (owners[i] === undefined)
      throw new InvariantError("owner_ids", `owner id ${i} has no account`);
    ex.owners.push(owners[i]);
  }
  for (const id of marketIds) {
    const pj = await src.get(paramsKey(id));
    const mk = await src.get(marketKey(id));
    if (!pj || !mk) throw new InvariantError("state_load", `market ${id} is missing`);
    const paramsJson = decodeTrusted(pj) as Record<string, unknown>;
    const params = parseMarketParams(paramsJson, `market ${id}`);
    const { state, ledger, digest } = decodeMarket(mk);
    const resting = new Map<number, OrderRec>();
    const triggers = new Map<number, OrderRec>();
    const orderEncodings = new Map<number, Uint8Array>();
    const ordersHash = new LtHash();
    const bids: (RestingOrder & { seq: number })[] = [];
    const asks: (RestingOrder & { seq: number })[] = [];
    for await (const [, val] of src.rawEntries(orderPrefix(id))) {
      const { rec, remainingLots } = decodeOrder(id, val);
      orderEncodings.set(rec.id, val);
      ordersHash.add(val);
      ex.openOrders.set(rec.owner, (ex.openOrders.get(rec.owner) ?? 0) + 1);
      if (rec.trigger) {
        triggers.set(rec.id, rec);
        continue;
      }
      resting.set(rec.id, rec);
      const ro = {
        id: rec.id,
        owner: rec.ownerId,
        clientId: rec.clientId,
        side: rec.side,
        priceTicks: rec.priceTicks,
        sizeLots: rec.sizeLots,
        remainingLots,
        goodTilBlock: rec.goodTilBlock ?? null,
        seq: rec.restSeq ?? 0,
      };
      (rec.side === "buy" ? bids : asks).push(ro);
    }
    if (!equalBytes(ordersHash.digest(), digest)) {
      throw new InvariantError(
        "orders_digest",
        `market ${id}: stored orders do not match the app hash`,
      );
    }
    // Priority order: best price first, then time priority (rest sequence).
    bids.sort((a, b) => b.priceTicks - a.priceTicks || a.seq - b.seq);
    asks.sort((a, b) => a.priceTicks - b.priceTicks || a.seq - b.seq);
    const snapshot: BookSnapshot = { version: 1, bids: toLevels(bids), asks: toLevels(asks) };
    ex.markets.set(id, {
      params,
      state,
      book: restoreBook(snapshot),
      resting,
      triggers,
      fundingLedger: ledger,
      ordersHash,
      orderEncodings,
      paramsJson,
    });
  }
  return ex;
}

export const PARAMS_PREFIX = PREFIX_PARAMS;
export const GLOBALS_KEY_TEXT = utf8("g");
export { EMPTY_FUNDING_LEDGER };

/** Groups orders already in priority order into the book's snapshot levels. */
function toLevels(orders: readonly RestingOrder[]): SnapshotLevel[] {
  const levels: SnapshotLevel[] = [];
  for (const o of orders) {
    const last = levels[levels.length - 1];
    const entry: SnapshotLevel[1][number] = [
      o.id,
      o.owner,
      o.clientId,
      o.sizeLots,
      o.remainingLots,
      o.goodTilBlock,
    ];
    if (last && last[0] === o.priceTicks) last[1].push(entry);
    else levels.push([o.priceTicks, [entry]]);
  }
  return levels;
}
