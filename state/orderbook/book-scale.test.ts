/**
 * FastBook at scale and in its internal corners: wide books, empty-level sweeps, expiry heap
 * churn, snapshot round trips of large books. Behaviour is compared with the reference book
 * where that is affordable; otherwise with the book's own invariants and hash.
 */
import { describe, expect, it } from "vitest";
import { FastBook } from "./book.js";
import { limit } from "./fixtures.js";
import { ReferenceBook } from "./reference.js";
import { FillDecision, type RestingOrder } from "./types.js";

/** mulberry32: deterministic test data without Math.random. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

const OWNERS = 50;

describe("FastBook at scale", () => {
  it("holds 60,000 orders over a wide price range and round-trips through a snapshot", () => {
    const rand = prng(7);
    const book = new FastBook();
    for (let id = 1; id <= 60_000; id++) {
      const buy = rand(2) === 0;
      // Bids in [1, 500_000], asks in [500_001, 1_000_000]: never crossing, ~55k levels.
      const price = buy ? 1 + rand(500_000) : 500_001 + rand(500_000);
      book.place(limit(rand(OWNERS), buy ? "buy" : "sell", 1 + rand(50), price, { id }), 1);
    }
    expect(book.size()).toBe(60_000);
    book.checkInvariants(true);
    // Cancel a third of the orders at random depths: empty levels stay until swept.
    for (let id = 3; id <= 60_000; id += 3) book.cancel(id);
    book.checkInvariants(true);
    const copy = FastBook.restore(book.snapshot());
    expect(copy.stateHash()).toEqual(book.stateHash());
    copy.checkInvariants(true);
    // A market order through the whole bid side behaves the same on both.
    const sweep = limit(OWNERS + 1, "sell", 10_000_000, 1, { id: 200_000, tif: "ioc" });
    expect(copy.place({ ...sweep }, 1)).toEqual(book.place({ ...sweep }, 1));
    expect(book.bestBid()).toBeUndefined();
    expect(copy.stateHash()).toEqual(book.stateHash());
    book.checkInvariants(true);
  });

  it("revives and sweeps empty levels without changing behaviour", () => {
    const rand = prng(11);
    const fast = new FastBook();
    const ref = new ReferenceBook();
    const live: number[] = [];
    let nextId = 1;
    for (let step = 0; step < 6_000; step++) {
      if (live.length > 0 && rand(2) === 0) {
        const at = rand(live.length);
        const id = live[at];
        live[at] = live[live.length - 1];
        live.pop();
        expect(fast.cancel(id)).toEqual(ref.cancel(id));
      } else {
        const buy = rand(2) === 0;
        const price = buy ? 900 - rand(300) : 1_000 + rand(300);
        const order = limit(rand(OWNERS), buy ? "buy" : "sell", 1 + rand(9), price, {
          id: nextId++,
        });
        expect(fast.place({ ...order }, 1)).toEqual(ref.place({ ...order }, 1));
        live.push(order.id);
      }
      if (step % 500 === 0) fast.checkInvariants(true);
    }
    fast.checkInvariants(true);
    expect(fast.stateHash()).toEqual(ref.stateHash());
    expect([...fast.levels("buy")]).toEqual([...ref.levels("buy")]);
    expect(fast.depth(50)).toEqual(ref.depth(50));
  });

  it("recycles nodes and sweeps owners' empty clientId maps without changing behaviour", () => {
    const fast = new FastBook();
    const ref = new ReferenceBook();
    // 3,000 owners come and go twice (their maps empty and get swept), then 70,000 orders
    // pass through the book (more than the node free list keeps).
    for (let round = 0; round < 2; round++) {
      for (let owner = 1; owner <= 3_000; owner++) {
        const order = limit(owner, "buy", 1, 100 + (owner % 7), { id: owner, clientId: 5 });
        expect(fast.place({ ...order }, 1)).toEqual(ref.place({ ...order }, 1));
      }
      fast.checkInvariants(true);
      for (let owner = 1; owner <= 3_000; owner++) {
        expect(fast.cancelByClientId(owner, 5)).toEqual(ref.cancelByClientId(owner, 5));
      }
      fast.checkInvariants(true);
    }
    for (let id = 1; id <= 70_000; id++)
      fast.place(limit(id % 10, "sell", 1, 200 + (id % 50), { id }), 1);
    const taker = limit(99, "buy", 70_000, 250, { id: 100_000, tif: "ioc" });
    const fills = fast.place(taker, 1).filter((e) => e.kind === "fill");
    expect(fills).toHaveLength(70_000);
    fast.checkInvariants(true);
    expect(fast.size()).toBe(0);
    expect(fast.stateHash()).toEqual(ref.stateHash());
    // Recycled nodes carry nothing over.
    fast.place(limit(1, "buy", 3, 90, { id: 7, clientId: 5, goodTilBlock: 4 }), 1);
    expect(fast.getOrder(7)).toEqual({
      id: 7,
      owner: 1,
      clientId: 5,
      side: "buy",
      priceTicks: 90,
      sizeLots: 3,
      remainingLots: 3,
      goodTilBlock: 4,
    });
    expect(fast.ordersOf(1).map((o) => o.id)).toEqual([7]);
    fast.checkInvariants(true);
  });

  it("checkInvariants notices a level total that disagrees with its orders", () => {
    const book = new FastBook();
    book.place(limit(1, "sell", 5, 100, { id: 1 }), 1);
    book.checkInvariants();
    // The guard is shown the book's own node; a guard that writes to it (which it must
    // not) corrupts the book, and the shallow check catches it.
    book.place(limit(2, "buy", 1, 100, { id: 2, tif: "ioc" }), 1, (maker) => {
      (maker as RestingOrder).remainingLots = 4;
      return FillDecision.RejectTaker;
    });
    expect(() => book.checkInvariants()).toThrow(/total of level 100/);
  });

  it("keeps expiry exact through heavy place/cancel churn over many heights", () => {
    const rand = prng(13);
    const fast = new FastBook();
    const ref = new ReferenceBook();
    let nextId = 1;
    for (let height = 1; height <= 300; height++) {
      for (let k = 0; k < 40; k++) {
        const order = limit(rand(OWNERS), "buy", 1 + rand(5), 100 + rand(50), {
          id: nextId++,
          goodTilBlock: height + rand(400),
        });
        fast.place({ ...order }, height);
        ref.place({ ...order }, height);
        // Cancel most orders right away so their expiry heights go stale.
        if (rand(4) !== 0) expect(fast.cancel(order.id)).toEqual(ref.cancel(order.id));
      }
      expect(fast.expire(height)).toEqual(ref.expire(height));
    }
    fast.checkInvariants(true);
    expect(fast.stateHash()).toEqual(ref.stateHash());
    expect(fast.expire(10_000)).toEqual(ref.expire(10_000));
    expect(fast.size()).toBe(0);
  });
});

describe("FastBook.checkChanged (the per-block check)", () => {
  type Node = { id: number; prev: Node | null; next: Node | null };
  type Level = { totalLots: number; head: Node | null; tail: Node | null };
  /** The level record at `price` on `side`, reached through the private index. */
  function levelAt(book: FastBook, side: "bids" | "asks", price: number): Level {
    const s = (book as unknown as Record<string, { byPrice: Map<number, Level> }>)[side];
    return s.byPrice.get(price)!;
  }

  it("looks at what changed since the last check and catches a broken link there", () => {
    const book = new FastBook();
    for (let id = 1; id <= 200; id++) {
      book.place(limit(id % 7, "buy", 3, 100 + (id % 20), { id }), 1);
    }
    book.checkChanged();
    // A partial fill of the best bid's first order: that order is checked next time.
    book.place(limit(99, "sell", 2, 119, { id: 1000, tif: "ioc" }), 1);
    const level = levelAt(book, "bids", 119);
    level.head!.next!.prev = null;
    expect(() => book.checkChanged()).toThrow(/links of order/);
    expect(() => book.checkInvariants()).toThrow(/links of order/);
  });

  it("trusts untouched levels, which the full check still walks", () => {
    const book = new FastBook();
    for (let id = 1; id <= 200; id++)
      book.place(limit(id % 7, "buy", 3, 100 + (id % 20), { id }), 1);
    book.checkChanged();
    // Corrupt a level no operation touches afterwards: the incremental check cannot see
    // it (by design); the full check, run every FULL_CHECK_BLOCKS blocks, does.
    levelAt(book, "bids", 105).totalLots += 1;
    book.place(limit(3, "buy", 1, 110, { id: 500 }), 1);
    expect(() => book.checkChanged()).not.toThrow();
    expect(() => book.checkInvariants()).toThrow(/total of level 105/);
  });

  it("agrees with the full check on a random stream", () => {
    const rand = prng(23);
    const book = new FastBook();
    const live: number[] = [];
    for (let id = 1; id <= 5_000; id++) {
      if (live.length > 0 && rand(3) === 0) {
        const victim = live.splice(rand(live.length), 1)[0];
        // It may have been filled or cancelled by self-trade prevention since.
        if (book.getOrder(victim)) book.cancel(victim);
      } else {
        const buy = rand(2) === 0;
        const price = buy ? 900 + rand(120) : 1000 + rand(120);
        book.place(limit(rand(OWNERS), buy ? "buy" : "sell", 1 + rand(9), price, { id }), 1);
        if (book.getOrder(id)) live.push(id);
      }
      if (id % 97 === 0) book.checkChanged();
      if (id % 1000 === 0) book.checkInvariants(true);
    }
  });
});

describe("FastBook's change log", () => {
  it("stays bounded in a book nobody checks, and the next check is then a full one", () => {
    const book = new FastBook();
    const internals = book as unknown as { changedNodes: unknown[]; changedOverflow: boolean };
    for (let id = 1; id <= 300_000; id++) {
      book.place(limit(id % 50, id % 2 ? "buy" : "sell", 1, id % 2 ? 100 : 200, { id }), 1);
    }
    expect(internals.changedNodes.length).toBeLessThanOrEqual(1 << 18);
    expect(internals.changedOverflow).toBe(true);
    book.checkChanged();
    expect(internals.changedOverflow).toBe(false);
    expect(internals.changedNodes.length).toBe(0);
  });
});
