/**
 * The fast book and the reference book run the same random command streams and must return
 * the same events (or throw the same error code) for every command and end with the same
 * state hash (exchange-core's approach). Owners come from a small set so that self-trade
 * prevention happens often; ids and clientIds from small ranges so that duplicates and
 * cancels of live orders happen often; a deterministic guard rejects some fills.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PerpetuaError } from "../../lib/errors.js";
import { FastBook } from "./book.js";
import { ReferenceBook } from "./reference.js";
import {
  type BookEvent,
  FillDecision,
  type FillGuard,
  type NewOrder,
  type OrderBook,
} from "./types.js";

type Command =
  | {
      t: "place";
      order: Omit<NewOrder, "goodTilBlock">;
      /** goodTilBlock = height + offset (negative offsets are rejected as expired). */
      gtbOffset: number | undefined;
      guarded: boolean;
    }
  | { t: "cancel"; id: number }
  | { t: "cancelByClientId"; owner: number; clientId: number }
  | { t: "cancelAll"; owner: number }
  | { t: "expire"; advance: number }
  | { t: "advance"; by: number };

interface Ranges {
  ids: number;
  prices: [number, number];
  sizes: number;
}

const SHORT: Ranges = { ids: 40, prices: [95, 105], sizes: 12 };
const LONG: Ranges = { ids: 400, prices: [90, 110], sizes: 20 };

/** Mostly valid values, sometimes invalid ones, so rejections are compared too. */
function sometimesInvalid(valid: fc.Arbitrary<number>, invalid: number[]): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 30, arbitrary: valid },
    { weight: 1, arbitrary: fc.constantFrom(...invalid) },
  );
}

function commandArb(r: Ranges): fc.Arbitrary<Command> {
  const place = fc.record({
    t: fc.constant("place" as const),
    order: fc.record({
      id: sometimesInvalid(fc.integer({ min: 1, max: r.ids }), [-1, 1.5]),
      owner: fc.integer({ min: 1, max: 4 }),
      clientId: sometimesInvalid(fc.integer({ min: 0, max: 6 }), [-1, 2 ** 32]),
      side: fc.oneof(
        { weight: 50, arbitrary: fc.constantFrom("buy" as const, "sell" as const) },
        { weight: 1, arbitrary: fc.constant("short" as never) },
      ),
      type: fc.oneof(
        { weight: 4, arbitrary: fc.constant("limit" as const) },
        { weight: 1, arbitrary: fc.constant("market" as const) },
      ),
      priceTicks: sometimesInvalid(
        fc.integer({ min: r.prices[0], max: r.prices[1] }),
        [0, -1, 99.5],
      ),
      sizeLots: sometimesInvalid(fc.integer({ min: 1, max: r.sizes }), [0, -2, 2.5, 2 ** 53]),
      tif: fc.constantFrom("gtc" as const, "ioc" as const, "fok" as const, "post_only" as const),
      stp: fc.constantFrom(
        undefined,
        "cancel_maker" as const,
        "cancel_taker" as const,
        "cancel_both" as const,
      ),
      maxFillLots: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: r.sizes }) },
      ),
    }),
    gtbOffset: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.integer({ min: -1, max: 6 }) },
    ),
    guarded: fc.boolean(),
  });
  return fc.oneof(
    { weight: 12, arbitrary: place },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant("cancel" as const),
        id: fc.integer({ min: 1, max: r.ids }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("cancelByClientId" as const),
        owner: fc.integer({ min: 1, max: 4 }),
        clientId: fc.integer({ min: 0, max: 6 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("cancelAll" as const),
        owner: fc.integer({ min: 1, max: 4 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("expire" as const),
        advance: fc.integer({ min: 0, max: 3 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("advance" as const),
        by: fc.integer({ min: 0, max: 2 }),
      }),
    },
  );
}

/**
 * A deterministic risk guard: a fixed hash of the fill decides. Rejects about one fill in
 * seven as maker and one in seven as taker.
 */
const GUARD: FillGuard = (maker, taker, priceTicks, sizeLots) => {
  const h = (maker.id * 31 + maker.remainingLots * 7 + taker.id * 17 + priceTicks + sizeLots) % 7;
  return h === 0
    ? FillDecision.RejectMaker
    : h === 1
      ? FillDecision.RejectTaker
      : FillDecision.Accept;
};

type Outcome = { ok: unknown } | { code: number };

function attempt(action: () => unknown): Outcome {
  try {
    return { ok: action() };
  } catch (e) {
    if (e instanceof PerpetuaError) return { code: e.code };
    throw e;
  }
}

/** Runs one command on one book at `height`; returns the new height and the outcome. */
function apply(book: OrderBook, c: Command, height: number): Outcome {
  switch (c.t) {
    case "place": {
      const order: NewOrder =
        c.gtbOffset === undefined
          ? { ...c.order }
          : { ...c.order, goodTilBlock: height + c.gtbOffset };
      return attempt(() => book.place(order, height, c.guarded ? GUARD : undefined));
    }
    case "cancel":
      return attempt(() => book.cancel(c.id));
    case "cancelByClientId":
      return attempt(() => book.cancelByClientId(c.owner, c.clientId));
    case "cancelAll":
      return attempt(() => book.cancelAll(c.owner));
    case "expire":
      return attempt(() => book.expire(height));
    case "advance":
      return { ok: height };
  }
}

function same(a: unknown, b: unknown): void {
  // Fast path; toEqual only to explain a difference (or accept a mere key-order one).
  if (JSON.stringify(a) !== JSON.stringify(b)) expect(a).toEqual(b);
}

function checkViews(fast: OrderBook, ref: OrderBook): void {
  same(fast.snapshot(), ref.snapshot());
  expect(fast.size()).toBe(ref.size());
  expect(fast.bestBid()).toBe(ref.bestBid());
  expect(fast.bestAsk()).toBe(ref.bestAsk());
  same(fast.depth(3), ref.depth(3));
  same([...fast.levels("buy")], [...ref.levels("buy")]);
  same([...fast.levels("sell")], [...ref.levels("sell")]);
  for (let owner = 1; owner <= 4; owner++) same(fast.ordersOf(owner), ref.ordersOf(owner));
}

/** Facts every event list must satisfy, whatever the implementation. */
function checkEvents(c: Command, outcome: Outcome): void {
  if (c.t !== "place" || !("ok" in outcome)) return;
  const events = outcome.ok as BookEvent[];
  let filled = 0;
  for (const e of events) {
    if (e.kind === "fill") {
      expect(e.makerOwner).not.toBe(e.takerOwner);
      filled += e.sizeLots;
    }
  }
  const last = events.at(-1);
  const unfilled =
    last !== undefined &&
    (last.kind === "rest" || (last.kind === "cancel" && last.orderId === c.order.id))
      ? last.remainingLots
      : 0;
  expect(filled + unfilled).toBe(c.order.sizeLots);
}

/** How often each event kind, cancel reason and error code was seen, to prove coverage. */
const seen = new Map<string, number>();

function tally(outcome: Outcome): void {
  const note = (key: string): void => {
    seen.set(key, (seen.get(key) ?? 0) + 1);
  };
  if ("code" in outcome) {
    note(`error:${outcome.code}`);
    return;
  }
  const events = Array.isArray(outcome.ok) ? outcome.ok : [outcome.ok];
  for (const e of events as BookEvent[]) {
    if (typeof e !== "object" || e === null) continue;
    note(e.kind === "cancel" ? `cancel:${e.reason}` : e.kind);
  }
}

function runStream(commands: Command[], checkEveryStep: boolean): void {
  const fast = new FastBook();
  const ref = new ReferenceBook();
  let height = 1;
  for (const c of commands) {
    if (c.t === "advance") height += c.by;
    if (c.t === "expire") height += c.advance;
    const a = apply(fast, c, height);
    const b = apply(ref, c, height);
    same(a, b);
    checkEvents(c, a);
    tally(a);
    if (checkEveryStep) {
      fast.checkInvariants(true);
      checkViews(fast, ref);
    }
  }
  fast.checkInvariants(true);
  checkViews(fast, ref);
  expect(fast.stateHash()).toEqual(ref.stateHash());
  // A restored copy of either book is the same book.
  expect(FastBook.restore(ref.snapshot()).stateHash()).toEqual(fast.stateHash());
}

describe("FastBook is equivalent to ReferenceBook", () => {
  it("on 10,000 short random command streams", () => {
    fc.assert(
      fc.property(fc.array(commandArb(SHORT), { minLength: 1, maxLength: 60 }), (commands) =>
        runStream(commands, false),
      ),
      { numRuns: 10_000 },
    );
    // The generator must reach every rule, or the comparison proves little.
    for (const key of [
      "fill",
      "rest",
      "expire",
      "cancel:user",
      "cancel:ioc_remainder",
      "cancel:stp_maker",
      "cancel:stp_taker",
      "cancel:guard_maker",
      "cancel:guard_taker",
      "cancel:reduce_only_cap",
      "cancel:market_remainder",
      "cancel:cancel_all",
      "error:302", // INVALID_SIZE
      "error:301", // INVALID_PRICE
      "error:303", // UNKNOWN_ORDER
      "error:304", // DUPLICATE_CLIENT_ID
      "error:305", // POST_ONLY_WOULD_CROSS
      "error:306", // NO_LIQUIDITY
      "error:307", // FOK_NOT_FILLABLE
      "error:309", // INVALID_ORDER
      "error:310", // DUPLICATE_ORDER_ID
      "error:311", // ORDER_EXPIRED
    ]) {
      expect(seen.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  });

  it("on 300 long random command streams", () => {
    fc.assert(
      fc.property(fc.array(commandArb(LONG), { minLength: 200, maxLength: 1_000 }), (commands) =>
        runStream(commands, false),
      ),
      { numRuns: 300 },
    );
  });

  it("on 500 short streams, checking invariants and views after every command", () => {
    fc.assert(
      fc.property(fc.array(commandArb(SHORT), { minLength: 1, maxLength: 40 }), (commands) =>
        runStream(commands, true),
      ),
      { numRuns: 500 },
    );
  });
});
