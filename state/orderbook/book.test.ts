import { describe, expect, it } from "vitest";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import {
  ALICE,
  ALICE_SELL_10_AT_100,
  BOB,
  BOB_BUY_6_AT_99,
  CAROL,
  DAVE,
  IMPLEMENTATIONS,
  limit,
  market,
  seededBook,
} from "./fixtures.js";
import {
  type BookEvent,
  type BookSnapshot,
  FillDecision,
  type FillGuard,
  type NewOrder,
  type OrderBook,
  type RestingOrder,
} from "./types.js";

/** Asserts `action` throws a PerpetuaError with `code` and leaves the book's state hash as it was. */
function expectRejected(book: OrderBook, action: () => unknown, code: number): void {
  const before = book.stateHash();
  let thrown: unknown;
  try {
    action();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PerpetuaError);
  expect((thrown as PerpetuaError).code).toBe(code);
  expect(book.stateHash()).toEqual(before);
  book.checkInvariants(true);
}

function fills(events: BookEvent[]): [makerId: number, price: number, lots: number][] {
  return events.flatMap((e) => (e.kind === "fill" ? [[e.makerId, e.priceTicks, e.sizeLots]] : []));
}

function kinds(events: BookEvent[]): string[] {
  return events.map((e) => (e.kind === "cancel" ? `cancel:${e.reason}` : e.kind));
}

describe.each(IMPLEMENTATIONS)("$name", ({ create, restore }) => {
  describe("limit orders", () => {
    it("rests a gtc order on an empty book", () => {
      const book = create();
      const events = book.place(ALICE_SELL_10_AT_100(), 1);
      expect(events).toEqual([
        {
          kind: "rest",
          orderId: 1,
          owner: ALICE,
          side: "sell",
          priceTicks: 100,
          remainingLots: 10,
        },
      ]);
      expect(book.bestAsk()).toBe(100);
      expect(book.bestBid()).toBeUndefined();
      expect(book.size()).toBe(1);
      expect(book.levelTotal("sell", 100)).toBe(10);
      expect(book.getOrder(1)).toEqual<RestingOrder>({
        id: 1,
        owner: ALICE,
        clientId: 1,
        side: "sell",
        priceTicks: 100,
        sizeLots: 10,
        remainingLots: 10,
        goodTilBlock: null,
      });
      book.checkInvariants(true);
    });

    it("fills by price then time, at the maker's price, and rests the remainder", () => {
      const book = seededBook(create);
      // Asks: 100 ALICE 10 (id 1) then BOB 7 (id 3), 101 ALICE 5 (id 2), 102 CAROL 4 (id 4).
      const events = book.place(limit(DAVE, "buy", 25, 101, { id: 50 }), 1);
      expect(fills(events)).toEqual([
        [1, 100, 10],
        [3, 100, 7],
        [2, 101, 5],
      ]);
      expect(events.at(-1)).toEqual({
        kind: "rest",
        orderId: 50,
        owner: DAVE,
        side: "buy",
        priceTicks: 101,
        remainingLots: 3,
      });
      expect(book.bestBid()).toBe(101);
      expect(book.bestAsk()).toBe(102);
      expect(book.getOrder(1)).toBeUndefined();
      book.checkInvariants(true);
    });

    it("reports the maker's remaining size on a partial fill", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 4, 100, { id: 50 }), 1);
      expect(events).toEqual([
        {
          kind: "fill",
          makerId: 1,
          makerOwner: ALICE,
          takerId: 50,
          takerOwner: DAVE,
          takerSide: "buy",
          priceTicks: 100,
          sizeLots: 4,
          makerRemainingLots: 6,
        },
      ]);
      expect(book.getOrder(1)?.remainingLots).toBe(6);
      expect(book.levelTotal("sell", 100)).toBe(13);
    });

    it("a sell taker walks the bids best first", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "sell", 8, 98, { id: 50, tif: "ioc" }), 1);
      expect(fills(events)).toEqual([
        [5, 99, 6],
        [6, 98, 2],
      ]);
      expect(book.levelTotal("buy", 98)).toBe(1);
    });

    it("ioc cancels its remainder instead of resting", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 20, 100, { id: 50, tif: "ioc" }), 1);
      expect(kinds(events)).toEqual(["fill", "fill", "cancel:ioc_remainder"]);
      expect(events.at(-1)).toMatchObject({ orderId: 50, remainingLots: 3 });
      expect(book.getOrder(50)).toBeUndefined();
    });

    it("ioc that does not reach the book is cancelled whole", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 3, 99, { id: 50, tif: "ioc" }), 1);
      expect(events).toEqual([
        { kind: "cancel", orderId: 50, owner: DAVE, remainingLots: 3, reason: "ioc_remainder" },
      ]);
    });
  });

  describe("fill or kill", () => {
    it("fills when exactly fillable within the limit", () => {
      const book = seededBook(create);
      // 10 + 7 at 100 and 5 at 101 = 22 lots up to 101.
      const events = book.place(limit(DAVE, "buy", 22, 101, { id: 50, tif: "fok" }), 1);
      expect(fills(events).reduce((sum, f) => sum + f[2], 0)).toBe(22);
      expect(kinds(events)).toEqual(["fill", "fill", "fill"]);
      expect(book.bestAsk()).toBe(102);
    });

    it("rejects one lot short with the book unchanged", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(limit(DAVE, "buy", 23, 101, { id: 50, tif: "fok" }), 1),
        ErrorCode.FOK_NOT_FILLABLE,
      );
    });

    it("does not count own orders under cancel_maker, and cancels them when it fills", () => {
      const book = seededBook(create);
      // ALICE's own asks (10 at 100, 5 at 101) do not count: BOB 7 + CAROL 4 = 11 up to 102.
      expectRejected(
        book,
        () => book.place(limit(ALICE, "buy", 12, 102, { id: 50, tif: "fok" }), 1),
        ErrorCode.FOK_NOT_FILLABLE,
      );
      const events = book.place(limit(ALICE, "buy", 11, 102, { id: 50, tif: "fok" }), 1);
      expect(kinds(events)).toEqual(["cancel:stp_maker", "fill", "cancel:stp_maker", "fill"]);
      expect(book.size()).toBe(2);
    });

    it("stops counting at the first own order under cancel_taker and cancel_both", () => {
      for (const stp of ["cancel_taker", "cancel_both"] as const) {
        const book = create();
        book.place(limit(BOB, "sell", 5, 100, { id: 1 }), 1);
        book.place(limit(ALICE, "sell", 5, 100, { id: 2 }), 1);
        book.place(limit(BOB, "sell", 5, 101, { id: 3 }), 1);
        expectRejected(
          book,
          () => book.place(limit(ALICE, "buy", 6, 101, { id: 50, tif: "fok", stp }), 1),
          ErrorCode.FOK_NOT_FILLABLE,
        );
        const events = book.place(limit(ALICE, "buy", 5, 101, { id: 50, tif: "fok", stp }), 1);
        expect(fills(events)).toEqual([[1, 100, 5]]);
      }
    });

    it("counts the reduce-only cap", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(limit(DAVE, "buy", 5, 100, { id: 50, tif: "fok", maxFillLots: 4 }), 1),
        ErrorCode.FOK_NOT_FILLABLE,
      );
    });

    it("cancels the remainder when the guard rejects a maker during execution", () => {
      const book = seededBook(create);
      const rejectAlice: FillGuard = (maker) =>
        maker.owner === ALICE ? FillDecision.RejectMaker : FillDecision.Accept;
      const events = book.place(
        limit(DAVE, "buy", 20, 101, { id: 50, tif: "fok" }),
        1,
        rejectAlice,
      );
      expect(kinds(events)).toEqual([
        "cancel:guard_maker",
        "fill",
        "cancel:guard_maker",
        "cancel:ioc_remainder",
      ]);
      expect(events.at(-1)).toMatchObject({ orderId: 50, remainingLots: 13 });
    });
  });

  describe("post-only", () => {
    it("rests when it does not reach the other side", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 2, 99, { id: 50, tif: "post_only" }), 1);
      expect(kinds(events)).toEqual(["rest"]);
      expect(book.levelTotal("buy", 99)).toBe(8);
    });

    it("is rejected when touching the best price, book unchanged", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(limit(DAVE, "buy", 2, 100, { id: 50, tif: "post_only" }), 1),
        ErrorCode.POST_ONLY_WOULD_CROSS,
      );
      expectRejected(
        book,
        () => book.place(limit(DAVE, "sell", 2, 99, { id: 51, tif: "post_only" }), 1),
        ErrorCode.POST_ONLY_WOULD_CROSS,
      );
      expectRejected(
        book,
        () => book.place(limit(DAVE, "sell", 2, 90, { id: 52, tif: "post_only" }), 1),
        ErrorCode.POST_ONLY_WOULD_CROSS,
      );
    });
  });

  describe("market orders", () => {
    it("walks the book and cancels the remainder", () => {
      const book = seededBook(create);
      const events = book.place(market(DAVE, "buy", 30, { id: 50 }), 1);
      expect(fills(events)).toEqual([
        [1, 100, 10],
        [3, 100, 7],
        [2, 101, 5],
        [4, 102, 4],
      ]);
      expect(events.at(-1)).toEqual({
        kind: "cancel",
        orderId: 50,
        owner: DAVE,
        remainingLots: 4,
        reason: "market_remainder",
      });
      expect(book.bestAsk()).toBeUndefined();
    });

    it("stops at its protection price", () => {
      const book = seededBook(create);
      const events = book.place(market(DAVE, "sell", 10, { id: 50, priceTicks: 99 }), 1);
      expect(fills(events)).toEqual([[5, 99, 6]]);
      expect(kinds(events)).toEqual(["fill", "cancel:market_remainder"]);
    });

    it("fails with NO_LIQUIDITY on an empty side, book unchanged", () => {
      const book = create();
      book.place(BOB_BUY_6_AT_99(), 1);
      expectRejected(book, () => book.place(market(DAVE, "buy", 1), 1), ErrorCode.NO_LIQUIDITY);
    });

    it("cannot be gtc or post-only", () => {
      const book = seededBook(create);
      for (const tif of ["gtc", "post_only"] as const) {
        expectRejected(
          book,
          () => book.place(market(DAVE, "buy", 1, { tif }), 1),
          ErrorCode.INVALID_ORDER,
        );
      }
    });

    it("can be fill-or-kill", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(market(DAVE, "sell", 10, { tif: "fok" }), 1),
        ErrorCode.FOK_NOT_FILLABLE,
      );
      expect(fills(book.place(market(DAVE, "sell", 9, { tif: "fok", id: 50 }), 1))).toEqual([
        [5, 99, 6],
        [6, 98, 3],
      ]);
    });
  });

  describe("self-trade prevention", () => {
    /** Asks: 100 BOB 2 (id 1), ALICE 3 (id 2); 101 ALICE 4 (id 3), CAROL 5 (id 4). */
    function interleaved(): OrderBook {
      const book = create();
      book.place(limit(BOB, "sell", 2, 100, { id: 1 }), 1);
      book.place(limit(ALICE, "sell", 3, 100, { id: 2 }), 1);
      book.place(limit(ALICE, "sell", 4, 101, { id: 3 }), 1);
      book.place(limit(CAROL, "sell", 5, 101, { id: 4 }), 1);
      return book;
    }

    it("cancel_maker (default) cancels own makers at every level and keeps matching", () => {
      const book = interleaved();
      const events = book.place(limit(ALICE, "buy", 6, 101, { id: 50 }), 1);
      expect(kinds(events)).toEqual(["fill", "cancel:stp_maker", "cancel:stp_maker", "fill"]);
      expect(events[1]).toEqual({
        kind: "cancel",
        orderId: 2,
        owner: ALICE,
        remainingLots: 3,
        reason: "stp_maker",
      });
      expect(fills(events)).toEqual([
        [1, 100, 2],
        [4, 101, 4],
      ]);
      expect(book.getOrder(2)).toBeUndefined();
      expect(book.getOrder(3)).toBeUndefined();
      expect(book.getOrder(4)?.remainingLots).toBe(1);
    });

    it("cancel_taker stops at the first own maker and leaves it resting", () => {
      const book = interleaved();
      const events = book.place(limit(ALICE, "buy", 6, 101, { id: 50, stp: "cancel_taker" }), 1);
      expect(events).toEqual([
        expect.objectContaining({ kind: "fill", makerId: 1, sizeLots: 2 }),
        { kind: "cancel", orderId: 50, owner: ALICE, remainingLots: 4, reason: "stp_taker" },
      ]);
      expect(book.getOrder(2)?.remainingLots).toBe(3);
      expect(book.getOrder(50)).toBeUndefined();
    });

    it("cancel_both cancels the own maker and the taker", () => {
      const book = interleaved();
      const events = book.place(limit(ALICE, "buy", 6, 101, { id: 50, stp: "cancel_both" }), 1);
      expect(kinds(events)).toEqual(["fill", "cancel:stp_maker", "cancel:stp_taker"]);
      expect(events[1]).toMatchObject({ orderId: 2 });
      expect(events[2]).toMatchObject({ orderId: 50, remainingLots: 4 });
      expect(book.getOrder(2)).toBeUndefined();
      expect(book.getOrder(3)?.remainingLots).toBe(4);
    });

    it("never fills two orders of the same owner", () => {
      for (const stp of ["cancel_maker", "cancel_taker", "cancel_both"] as const) {
        const book = interleaved();
        const events = book.place(market(ALICE, "buy", 20, { stp }), 1);
        for (const e of events) if (e.kind === "fill") expect(e.makerOwner).not.toBe(ALICE);
      }
    });
  });

  describe("reduce-only cap", () => {
    it("fills at most the cap and cancels the rest", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 15, 101, { id: 50, maxFillLots: 12 }), 1);
      expect(fills(events)).toEqual([
        [1, 100, 10],
        [3, 100, 2],
      ]);
      expect(events.at(-1)).toEqual({
        kind: "cancel",
        orderId: 50,
        owner: DAVE,
        remainingLots: 3,
        reason: "reduce_only_cap",
      });
    });

    it("never rests, even below the cap", () => {
      const book = seededBook(create);
      const events = book.place(limit(DAVE, "buy", 5, 95, { id: 50, maxFillLots: 5 }), 1);
      expect(kinds(events)).toEqual(["cancel:reduce_only_cap"]);
      expect(book.getOrder(50)).toBeUndefined();
    });

    it("a zero cap fills nothing", () => {
      const book = seededBook(create);
      const events = book.place(market(DAVE, "buy", 5, { id: 50, maxFillLots: 0 }), 1);
      expect(events).toEqual([
        { kind: "cancel", orderId: 50, owner: DAVE, remainingLots: 5, reason: "reduce_only_cap" },
      ]);
    });

    it("an ioc order that runs out of book before the cap says ioc_remainder", () => {
      const book = seededBook(create);
      const events = book.place(
        limit(DAVE, "buy", 30, 100, { id: 50, tif: "ioc", maxFillLots: 25 }),
        1,
      );
      expect(events.at(-1)).toMatchObject({ reason: "ioc_remainder", remainingLots: 13 });
    });
  });

  describe("fill guard", () => {
    it("sees each prospective fill with the maker before it and can reject makers", () => {
      const book = seededBook(create);
      const seen: [number, number, number, number][] = [];
      const guard: FillGuard = (maker, taker, price, lots) => {
        seen.push([maker.id, taker.id, price, lots]);
        return maker.id === 3 ? FillDecision.RejectMaker : FillDecision.Accept;
      };
      const events = book.place(limit(DAVE, "buy", 14, 101, { id: 50 }), 1, guard);
      expect(seen).toEqual([
        [1, 50, 100, 10],
        [3, 50, 100, 4],
        [2, 50, 101, 4],
      ]);
      expect(kinds(events)).toEqual(["fill", "cancel:guard_maker", "fill"]);
      expect(events[1]).toMatchObject({ orderId: 3, remainingLots: 7, reason: "guard_maker" });
      expect(book.getOrder(3)).toBeUndefined();
      expect(book.getOrder(2)?.remainingLots).toBe(1);
    });

    it("rejecting the taker cancels its remainder and stops matching", () => {
      const book = seededBook(create);
      let calls = 0;
      const guard: FillGuard = () =>
        ++calls === 2 ? FillDecision.RejectTaker : FillDecision.Accept;
      const events = book.place(limit(DAVE, "buy", 14, 101, { id: 50 }), 1, guard);
      expect(events).toEqual([
        expect.objectContaining({ kind: "fill", makerId: 1, sizeLots: 10 }),
        { kind: "cancel", orderId: 50, owner: DAVE, remainingLots: 4, reason: "guard_taker" },
      ]);
      expect(book.getOrder(3)?.remainingLots).toBe(7);
      expect(book.getOrder(50)).toBeUndefined();
    });

    it("is not called for self-trades", () => {
      const book = seededBook(create);
      const seen: number[] = [];
      book.place(limit(ALICE, "buy", 3, 100, { id: 50 }), 1, (maker) => {
        seen.push(maker.id);
        return FillDecision.Accept;
      });
      expect(seen).toEqual([3]);
    });
  });

  describe("cancels", () => {
    it("cancels a partially filled order with its remaining size", () => {
      const book = seededBook(create);
      book.place(limit(DAVE, "buy", 4, 100, { id: 50 }), 1);
      expect(book.cancel(1)).toEqual({
        kind: "cancel",
        orderId: 1,
        owner: ALICE,
        remainingLots: 6,
        reason: "user",
      });
      expect(book.levelTotal("sell", 100)).toBe(7);
      expect(book.getOrder(1)).toBeUndefined();
      book.checkInvariants(true);
    });

    it("cancels by clientId", () => {
      const book = create();
      book.place(limit(ALICE, "buy", 3, 90, { id: 7, clientId: 42 }), 1);
      expect(book.getOrderByClientId(ALICE, 42)?.id).toBe(7);
      expect(book.getOrderByClientId(BOB, 42)).toBeUndefined();
      expectRejected(book, () => book.cancelByClientId(BOB, 42), ErrorCode.UNKNOWN_ORDER);
      expect(book.cancelByClientId(ALICE, 42)).toMatchObject({ orderId: 7, reason: "user" });
      expect(book.size()).toBe(0);
    });

    it("keeps clientIds apart for any owner index, including beyond 2^21", () => {
      const book = create();
      const owners = [0, 2 ** 21 - 1, 2 ** 21, 2 ** 21 + 1, 2 ** 40, Number.MAX_SAFE_INTEGER];
      owners.forEach((owner, i) => {
        book.place(limit(owner, "buy", 1, 90 + i, { id: 100 + i, clientId: 0xffff_ffff }), 1);
        book.place(limit(owner, "sell", 1, 200 + i, { id: 200 + i, clientId: 0 }), 1);
      });
      owners.forEach((owner, i) => {
        expect(book.getOrderByClientId(owner, 0xffff_ffff)?.id).toBe(100 + i);
        expect(book.ordersOf(owner).map((o) => o.id)).toEqual([100 + i, 200 + i]);
      });
      expectRejected(
        book,
        () => book.place(limit(2 ** 40, "buy", 1, 80, { clientId: 0 }), 1),
        ErrorCode.DUPLICATE_CLIENT_ID,
      );
      expect(book.cancelByClientId(2 ** 21, 0)).toMatchObject({ orderId: 202 });
      expect(book.cancelAll(2 ** 40).map((e) => e.orderId)).toEqual([104, 204]);
      expect(book.size()).toBe(9);
      book.checkInvariants(true);
    });

    it("rejects an unknown order id, book unchanged", () => {
      const book = seededBook(create);
      expectRejected(book, () => book.cancel(999), ErrorCode.UNKNOWN_ORDER);
      book.cancel(1);
      expectRejected(book, () => book.cancel(1), ErrorCode.UNKNOWN_ORDER);
    });

    it("cancelAll removes every order of an owner by id ascending", () => {
      const book = create();
      book.place(limit(ALICE, "sell", 1, 105, { id: 9 }), 1);
      book.place(limit(ALICE, "buy", 1, 95, { id: 3 }), 1);
      book.place(limit(BOB, "buy", 1, 96, { id: 4 }), 1);
      book.place(limit(ALICE, "sell", 1, 104, { id: 6 }), 1);
      expect(book.ordersOf(ALICE).map((o) => o.id)).toEqual([3, 6, 9]);
      const events = book.cancelAll(ALICE);
      expect(events.map((e) => [e.orderId, e.reason])).toEqual([
        [3, "cancel_all"],
        [6, "cancel_all"],
        [9, "cancel_all"],
      ]);
      expect(book.cancelAll(ALICE)).toEqual([]);
      expect(book.ordersOf(ALICE)).toEqual([]);
      expect(book.size()).toBe(1);
    });
  });

  describe("duplicates", () => {
    it("rejects a live order id and a live clientId of the same owner", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(limit(DAVE, "buy", 1, 90, { id: 1, clientId: 77 }), 1),
        ErrorCode.DUPLICATE_ORDER_ID,
      );
      expectRejected(
        book,
        () => book.place(limit(ALICE, "buy", 1, 90, { id: 60, clientId: 1 }), 1),
        ErrorCode.DUPLICATE_CLIENT_ID,
      );
      // Another owner may use the same clientId; a cancelled order frees its ids.
      book.place(limit(DAVE, "buy", 1, 90, { id: 61, clientId: 1 }), 1);
      book.cancel(1);
      book.place(limit(ALICE, "buy", 1, 90, { id: 1, clientId: 1 }), 1);
      expect(book.getOrderByClientId(ALICE, 1)?.priceTicks).toBe(90);
    });

    it("a filled order frees its clientId", () => {
      const book = seededBook(create);
      book.place(limit(DAVE, "buy", 10, 100, { id: 50 }), 1);
      book.place(limit(ALICE, "buy", 1, 90, { id: 51, clientId: 1 }), 1);
      expect(book.getOrderByClientId(ALICE, 1)?.id).toBe(51);
    });
  });

  describe("expiry", () => {
    it("keeps an order live through its goodTilBlock and expires it after", () => {
      const book = create();
      book.place(limit(ALICE, "buy", 2, 90, { id: 1, goodTilBlock: 10 }), 5);
      book.place(limit(BOB, "buy", 2, 91, { id: 2 }), 5);
      expect(book.expire(10)).toEqual([]);
      expect(book.getOrder(1)?.goodTilBlock).toBe(10);
      expect(book.expire(11)).toEqual([
        { kind: "expire", orderId: 1, owner: ALICE, remainingLots: 2 },
      ]);
      expect(book.getOrder(1)).toBeUndefined();
      expect(book.size()).toBe(1);
      book.checkInvariants(true);
    });

    it("rejects goodTilBlock below the current height, accepts it equal", () => {
      const book = create();
      expectRejected(
        book,
        () => book.place(limit(ALICE, "buy", 2, 90, { goodTilBlock: 9 }), 10),
        ErrorCode.ORDER_EXPIRED,
      );
      expect(kinds(book.place(limit(ALICE, "buy", 2, 90, { goodTilBlock: 10 }), 10))).toEqual([
        "rest",
      ]);
    });

    it("expires several heights at once, by id ascending, with partial fills", () => {
      const book = create();
      book.place(limit(ALICE, "sell", 5, 100, { id: 8, goodTilBlock: 3 }), 1);
      book.place(limit(BOB, "sell", 5, 101, { id: 2, goodTilBlock: 4 }), 1);
      book.place(limit(CAROL, "sell", 5, 102, { id: 5, goodTilBlock: 3 }), 1);
      book.place(limit(CAROL, "sell", 5, 103, { id: 1, goodTilBlock: 9 }), 1);
      book.place(limit(DAVE, "buy", 2, 100, { id: 20 }), 1);
      expect(book.expire(5)).toEqual([
        { kind: "expire", orderId: 2, owner: BOB, remainingLots: 5 },
        { kind: "expire", orderId: 5, owner: CAROL, remainingLots: 5 },
        { kind: "expire", orderId: 8, owner: ALICE, remainingLots: 3 },
      ]);
      expect(book.bestAsk()).toBe(103);
      expect(book.expire(5)).toEqual([]);
      book.checkInvariants(true);
    });

    it("a cancelled order does not expire", () => {
      const book = create();
      book.place(limit(ALICE, "sell", 5, 100, { id: 1, goodTilBlock: 3 }), 1);
      book.cancel(1);
      book.place(limit(ALICE, "sell", 5, 100, { id: 1, goodTilBlock: 3 }), 1);
      expect(book.expire(4)).toHaveLength(1);
      expect(book.expire(100)).toEqual([]);
    });
  });

  describe("bad input", () => {
    const bad: [string, Partial<NewOrder>, number][] = [
      ["size 0", { sizeLots: 0 }, ErrorCode.INVALID_SIZE],
      ["negative size", { sizeLots: -1 }, ErrorCode.INVALID_SIZE],
      ["fractional size", { sizeLots: 1.5 }, ErrorCode.INVALID_SIZE],
      ["size 2^53", { sizeLots: 2 ** 53 }, ErrorCode.INVALID_SIZE],
      ["NaN size", { sizeLots: Number.NaN }, ErrorCode.INVALID_SIZE],
      ["price 0", { priceTicks: 0 }, ErrorCode.INVALID_PRICE],
      ["negative price", { priceTicks: -5 }, ErrorCode.INVALID_PRICE],
      ["fractional price", { priceTicks: 99.5 }, ErrorCode.INVALID_PRICE],
      ["price 2^53", { priceTicks: 2 ** 53 }, ErrorCode.INVALID_PRICE],
      ["market price -1", { type: "market", tif: "ioc", priceTicks: -1 }, ErrorCode.INVALID_PRICE],
      ["negative cap", { maxFillLots: -1 }, ErrorCode.INVALID_SIZE],
      ["unknown side", { side: "long" as never }, ErrorCode.INVALID_ORDER],
      ["unknown type", { type: "stop" as never }, ErrorCode.INVALID_ORDER],
      ["unknown tif", { tif: "day" as never }, ErrorCode.INVALID_ORDER],
      ["unknown stp", { stp: "none" as never }, ErrorCode.INVALID_ORDER],
      ["clientId above uint32", { clientId: 2 ** 32 }, ErrorCode.INVALID_ORDER],
      ["negative clientId", { clientId: -1 }, ErrorCode.INVALID_ORDER],
      ["fractional id", { id: 1.5 }, ErrorCode.INVALID_ORDER],
      ["negative owner", { owner: -1 }, ErrorCode.INVALID_ORDER],
      ["fractional goodTilBlock", { goodTilBlock: 3.5 }, ErrorCode.INVALID_ORDER],
    ];
    it.each(bad)("rejects %s with the book unchanged", (_name, patch, code) => {
      const book = seededBook(create);
      expectRejected(book, () => book.place(limit(DAVE, "buy", 3, 100, patch), 1), code);
    });

    it("rejects a bad height", () => {
      const book = seededBook(create);
      expectRejected(
        book,
        () => book.place(limit(DAVE, "buy", 3, 100), -1),
        ErrorCode.INVALID_ORDER,
      );
      expectRejected(book, () => book.expire(1.5), ErrorCode.INVALID_ORDER);
    });
  });

  describe("views and snapshots", () => {
    it("depth and levels list price levels best first", () => {
      const book = seededBook(create);
      expect(book.depth(2)).toEqual({
        bids: [
          [99, 6],
          [98, 3],
        ],
        asks: [
          [100, 17],
          [101, 5],
        ],
      });
      expect(book.depth(0)).toEqual({ bids: [], asks: [] });
      expect([...book.levels("sell")]).toEqual([
        [100, 17],
        [101, 5],
        [102, 4],
      ]);
      expect([...book.levels("buy")]).toEqual([
        [99, 6],
        [98, 3],
      ]);
      expect(book.levelTotal("buy", 100)).toBe(0);
    });

    it("snapshot lists orders in priority order and restore rebuilds an equal book", () => {
      const book = seededBook(create);
      book.place(limit(DAVE, "buy", 4, 100, { id: 50 }), 1);
      book.place(limit(DAVE, "buy", 1, 99, { id: 51, goodTilBlock: 7 }), 1);
      const snap = book.snapshot();
      expect(snap).toEqual({
        version: 1,
        bids: [
          [
            99,
            [
              [5, BOB, 5, 6, 6, null],
              [51, DAVE, 51, 1, 1, 7],
            ],
          ],
          [98, [[6, CAROL, 6, 3, 3, null]]],
        ],
        asks: [
          [
            100,
            [
              [1, ALICE, 1, 10, 6, null],
              [3, BOB, 3, 7, 7, null],
            ],
          ],
          [101, [[2, ALICE, 2, 5, 5, null]]],
          [102, [[4, CAROL, 4, 4, 4, null]]],
        ],
      });
      for (const { restore: restoreOther } of IMPLEMENTATIONS) {
        const copy = restoreOther(snap);
        expect(copy.stateHash()).toEqual(book.stateHash());
        expect(copy.snapshot()).toEqual(snap);
        copy.checkInvariants(true);
        // Same behaviour afterwards: priority within a level survives the round trip.
        const taker = limit(CAROL, "buy", 12, 100, { id: 70 });
        expect(copy.place({ ...taker }, 2)).toEqual(restore(snap).place({ ...taker }, 2));
        expect(copy.expire(8)).toEqual([
          { kind: "expire", orderId: 51, owner: DAVE, remainingLots: 1 },
        ]);
      }
    });

    it("restore rejects a crossed or malformed snapshot", () => {
      const book = seededBook(create);
      const snap = book.snapshot();
      const crossed = { ...snap, bids: [[100, snap.bids[0][1]], ...snap.bids.slice(1)] };
      expect(() => restore(crossed as BookSnapshot)).toThrow(/crossed/);
      const unordered = { ...snap, asks: [...snap.asks].reverse() };
      expect(() => restore(unordered)).toThrow(/priority order/);
      const twoLevelsAtOnePrice = { ...snap, asks: [snap.asks[0], ...snap.asks] };
      expect(() => restore(twoLevelsAtOnePrice)).toThrow(/priority order/);
      const duplicate = { ...snap, asks: [...snap.asks, [200, snap.asks[0][1]]] };
      expect(() => restore(duplicate as BookSnapshot)).toThrow(/duplicate/);
      const emptyLevel = { ...snap, asks: [...snap.asks, [200, []]] };
      expect(() => restore(emptyLevel as BookSnapshot)).toThrow(/empty level/);
      const overfilled = structuredClone(snap);
      overfilled.bids[0][1][0][4] = 7;
      expect(() => restore(overfilled)).toThrow(/remaining size/);
      expect(() => restore({ ...snap, version: 2 as 1 })).toThrow(/version/);
    });

    it("returned orders are copies", () => {
      const book = seededBook(create);
      const order = book.getOrder(1)!;
      order.remainingLots = 1;
      expect(book.getOrder(1)?.remainingLots).toBe(10);
      const before = book.stateHash();
      book.snapshot().asks[0][1][0][4] = 1;
      expect(book.stateHash()).toEqual(before);
    });

    it("an empty book has a stable hash and no best prices", () => {
      const a = create();
      const b = seededBook(create);
      const snap = b.snapshot();
      for (const [, orders] of snap.bids.concat(snap.asks)) for (const [id] of orders) b.cancel(id);
      expect(b.stateHash()).toEqual(a.stateHash());
      expect(b.bestBid()).toBeUndefined();
      expect(b.bestAsk()).toBeUndefined();
      expect(b.size()).toBe(0);
    });
  });
});

describe("the two implementations agree on fixtures", () => {
  it("produce the same hash for the seeded book", () => {
    const [fast, reference] = IMPLEMENTATIONS.map(({ create }) => seededBook(create));
    expect(fast.stateHash()).toEqual(reference.stateHash());
    expect(ALICE_SELL_10_AT_100()).toEqual(ALICE_SELL_10_AT_100());
  });
});
