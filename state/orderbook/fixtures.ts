/**
 * Test fixtures: accounts and orders named for what they are. Used by the tests next to
 * this file and by other modules' tests that need a book with known contents.
 */
import { FastBook } from "./book.js";
import { ReferenceBook } from "./reference.js";
import type { BookSnapshot, NewOrder, OrderBook } from "./types.js";

export const ALICE = 1;
export const BOB = 2;
export const CAROL = 3;
export const DAVE = 4;

/** The two implementations, for `describe.each`. */
export const IMPLEMENTATIONS: {
  name: string;
  create: () => OrderBook;
  restore: (s: BookSnapshot) => OrderBook;
}[] = [
  { name: "FastBook", create: () => new FastBook(), restore: (s) => FastBook.restore(s) },
  {
    name: "ReferenceBook",
    create: () => new ReferenceBook(),
    restore: (s) => ReferenceBook.restore(s),
  },
];

let nextFixtureId = 1_000;

/**
 * A gtc limit order; `id` and `clientId` default to fresh values so fixtures never
 * collide with each other.
 */
export function limit(
  owner: number,
  side: "buy" | "sell",
  sizeLots: number,
  priceTicks: number,
  extra: Partial<NewOrder> = {},
): NewOrder {
  const id = extra.id ?? nextFixtureId++;
  return {
    id,
    owner,
    clientId: id,
    side,
    type: "limit",
    priceTicks,
    sizeLots,
    tif: "gtc",
    ...extra,
  };
}

/** A market order (ioc) without price protection unless `extra.priceTicks` is given. */
export function market(
  owner: number,
  side: "buy" | "sell",
  sizeLots: number,
  extra: Partial<NewOrder> = {},
): NewOrder {
  return limit(owner, side, sizeLots, 0, { type: "market", tif: "ioc", ...extra });
}

export const ALICE_SELL_10_AT_100 = (): NewOrder => limit(ALICE, "sell", 10, 100, { id: 1 });
export const ALICE_SELL_5_AT_101 = (): NewOrder => limit(ALICE, "sell", 5, 101, { id: 2 });
export const BOB_SELL_7_AT_100 = (): NewOrder => limit(BOB, "sell", 7, 100, { id: 3 });
export const CAROL_SELL_4_AT_102 = (): NewOrder => limit(CAROL, "sell", 4, 102, { id: 4 });
export const BOB_BUY_6_AT_99 = (): NewOrder => limit(BOB, "buy", 6, 99, { id: 5 });
export const CAROL_BUY_3_AT_98 = (): NewOrder => limit(CAROL, "buy", 3, 98, { id: 6 });

/**
 * A two-sided book: asks 100 (ALICE 10 then BOB 7), 101 (ALICE 5), 102 (CAROL 4);
 * bids 99 (BOB 6), 98 (CAROL 3). Orders ids 1..6.
 */
export function seededBook(create: () => OrderBook): OrderBook {
  const book = create();
  for (const o of [
    ALICE_SELL_10_AT_100(),
    ALICE_SELL_5_AT_101(),
    BOB_SELL_7_AT_100(),
    CAROL_SELL_4_AT_102(),
    BOB_BUY_6_AT_99(),
    CAROL_BUY_3_AT_98(),
  ]) {
    book.place(o, 1);
  }
  return book;
}
