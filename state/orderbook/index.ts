/**
 * The order book of one market: public API.
 *
 * `createBook()` gives the fast implementation; `ReferenceBook` is the slow, obviously
 * correct one the fast book is tested against.
 */
import { FastBook } from "./book.js";
import type { BookSnapshot, OrderBook } from "./types.js";

export { FastBook } from "./book.js";
export { ReferenceBook } from "./reference.js";
export { checkSnapshot, hashSnapshot, snapshotOrders } from "./snapshot.js";
export * from "./types.js";

/** A new, empty book (the fast implementation). */
export function createBook(): OrderBook {
  return new FastBook();
}

/** Rebuilds a book from a snapshot; throws InvariantError if the snapshot is not a valid book. */
export function restoreBook(snapshot: BookSnapshot): OrderBook {
  return FastBook.restore(snapshot);
}
