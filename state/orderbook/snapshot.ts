/**
 * Snapshots: the canonical plain-data form of a book (see BookSnapshot), its hash, and the
 * check a snapshot must pass before a book is rebuilt from it. The state machine persists
 * books as snapshots; one that breaks a book invariant means corrupted state, so the node
 * halts with an InvariantError rather than trade on it.
 */
import { encode } from "../../lib/cbor.js";
import { InvariantError } from "../../lib/errors.js";
import { sha256 } from "../../lib/hash.js";
import {
  type BookSnapshot,
  MAX_CLIENT_ID,
  type RestingOrder,
  type Side,
  type SnapshotLevel,
  type SnapshotOrder,
} from "./types.js";
import { isNonNegativeSafeInt, isPositiveSafeInt } from "./validate.js";

/** A fresh plain copy with a fixed key set. */
export function copyOrder(o: Readonly<RestingOrder>): RestingOrder {
  return {
    id: o.id,
    owner: o.owner,
    clientId: o.clientId,
    side: o.side,
    priceTicks: o.priceTicks,
    sizeLots: o.sizeLots,
    remainingLots: o.remainingLots,
    goodTilBlock: o.goodTilBlock,
  };
}

export function toSnapshotOrder(o: Readonly<RestingOrder>): SnapshotOrder {
  return [o.id, o.owner, o.clientId, o.sizeLots, o.remainingLots, o.goodTilBlock];
}

export function fromSnapshotOrder(side: Side, priceTicks: number, t: SnapshotOrder): RestingOrder {
  const [id, owner, clientId, sizeLots, remainingLots, goodTilBlock] = t;
  return { id, owner, clientId, side, priceTicks, sizeLots, remainingLots, goodTilBlock };
}

/** The orders of one snapshot side in priority order, as RestingOrder objects. */
export function snapshotOrders(side: Side, levels: SnapshotLevel[]): RestingOrder[] {
  const out: RestingOrder[] = [];
  for (const [priceTicks, orders] of levels) {
    for (const t of orders) out.push(fromSnapshotOrder(side, priceTicks, t));
  }
  return out;
}

/** stateHash = sha256(canonical CBOR(snapshot)). */
export function hashSnapshot(snapshot: BookSnapshot): Uint8Array {
  return sha256(encode(snapshot));
}

function broken(message: string): never {
  throw new InvariantError("orderbook_snapshot", message);
}

function checkOrder(t: SnapshotOrder): void {
  if (!Array.isArray(t) || t.length !== 6) broken("malformed order");
  const [id, owner, clientId, sizeLots, remainingLots, goodTilBlock] = t;
  if (!isNonNegativeSafeInt(id)) broken(`bad id ${id}`);
  if (!isNonNegativeSafeInt(owner)) broken(`bad owner of ${id}`);
  if (!isNonNegativeSafeInt(clientId) || clientId > MAX_CLIENT_ID) broken(`bad clientId of ${id}`);
  if (!isPositiveSafeInt(sizeLots)) broken(`bad size of ${id}`);
  if (!isPositiveSafeInt(remainingLots) || remainingLots > sizeLots) {
    broken(`bad remaining size of ${id}`);
  }
  if (goodTilBlock !== null && !isNonNegativeSafeInt(goodTilBlock)) {
    broken(`bad goodTilBlock of ${id}`);
  }
}

/**
 * Requires: version 1; levels well formed and non-empty; bid prices strictly descending,
 * ask prices strictly ascending (priority order, one entry per price); the book not
 * crossed (best bid < best ask); order ids unique; (owner, clientId) unique.
 */
export function checkSnapshot(s: BookSnapshot): void {
  if (typeof s !== "object" || s === null || s.version !== 1) broken("unknown snapshot version");
  if (!Array.isArray(s.bids) || !Array.isArray(s.asks)) broken("missing sides");
  const ids = new Set<number>();
  const clientKeys = new Set<string>();
  const sides: [SnapshotLevel[], Side][] = [
    [s.bids, "buy"],
    [s.asks, "sell"],
  ];
  for (const [levels, side] of sides) {
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i];
      if (!Array.isArray(level) || level.length !== 2 || !Array.isArray(level[1])) {
        broken("malformed level");
      }
      const [price, orders] = level;
      if (!isPositiveSafeInt(price)) broken(`bad price ${price}`);
      if (orders.length === 0) broken(`empty level ${price}`);
      if (i > 0) {
        const prev = levels[i - 1][0];
        if (side === "buy" ? price >= prev : price <= prev) {
          broken(`${side} side out of priority order at price ${price}`);
        }
      }
      for (const t of orders) {
        checkOrder(t);
        if (ids.has(t[0])) broken(`duplicate order id ${t[0]}`);
        ids.add(t[0]);
        const key = `${t[1]}/${t[2]}`;
        if (clientKeys.has(key)) broken(`duplicate clientId ${key}`);
        clientKeys.add(key);
      }
    }
  }
  if (s.bids.length > 0 && s.asks.length > 0 && s.bids[0][0] >= s.asks[0][0]) {
    broken("crossed book");
  }
}
