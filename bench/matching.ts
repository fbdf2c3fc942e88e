/**
 * Matching benchmark: perpetua's fast book (state/orderbook/book.ts) against the npm package
 * nodejs-order-book on identical, pre-generated operation streams, in one process.
 *
 * Workloads (1,000,000 timed operations each, fixed seeds, prices around a random-walk mid):
 * - bounded: about 5,000 live orders; limit orders (30 % of them crossing the spread) and
 *   cancels of live orders. Crossing orders consume makers, so holding 5,000 live orders
 *   takes about 64 % limits and 36 % cancels rather than half and half;
 * - growing: 80 % limit orders (30 % crossing), 20 % cancels; the book grows to hundreds of
 *   thousands of orders.
 *
 * Both books see gtc limit orders and cancels only, with an account per order and
 * self-trade prevention "cancel maker" on both (nodejs-order-book: EXPIRE_MAKER), where the
 * two books' semantics agree exactly: the bench checks that both report the same number of
 * fills (maker-taker pairs), the same traded lots and the same number of live orders at the
 * end, that no cancel misses, and exits non-zero otherwise.
 *
 * Prints details to stderr and, last, one JSON line to stdout. Run: npm run bench:matching
 */

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  OrderBook as PeerBook,
  Side as PeerSide,
  SelfTradePreventionMode,
} from "nodejs-order-book";
import { FastBook } from "../state/orderbook/book.js";
import type { BookEvent, NewOrder } from "../state/orderbook/types.js";

// BENCH_OPS shortens a run while developing; the recorded figures use the default.
const TIMED_OPS = Number(process.env.BENCH_OPS ?? 1_000_000);
const WARMUP_OPS = 200_000;
/**
 * Each book runs each stream this many times on a fresh book, interleaved with the other
 * book, and the fastest run counts: on a shared 2-core machine, other processes only ever
 * slow a run down, so the minimum is the least disturbed measurement.
 */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const BOUNDED_TARGET_LIVE = 5_000;
const OWNERS = 2_000;
const START_MID = 1_000_000;

const OP_LIMIT = 0;
const OP_CANCEL = 1;

/**
 * A full garbage collection before every timed run, so that neither book pays on its clock
 * for collecting the other's previous book (hundreds of MB after a growing run). The npm
 * script passes no node flags, so --expose-gc is switched on at run time.
 */
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** mulberry32: a small, fast 32-bit PRNG; returns a uniform float in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pre-generated operation stream in flat typed arrays (struct of arrays). */
interface Stream {
  name: string;
  /** Operations [0, setup) build the initial book and are not timed. */
  setup: number;
  length: number;
  op: Uint8Array;
  /** Limit: order id (also its clientId). Cancel: id of a live order. */
  id: Float64Array;
  /** 0 buy, 1 sell. */
  side: Uint8Array;
  price: Float64Array;
  size: Float64Array;
  owner: Uint32Array;
  /** nodejs-order-book wants string ids; made before timing so neither book pays for it. */
  peerId: string[];
}

interface Shape {
  name: string;
  seed: number;
  ops: number;
  /** Probability that an operation is a limit order (else a cancel), given the live count. */
  limitShare: (live: number) => number;
}

const BOUNDED: Omit<Shape, "seed" | "ops"> = {
  name: "bounded",
  // Lean towards limits below the target size and towards cancels above it. Crossing
  // orders consume makers, so holding the size takes more limits than cancels; the bench
  // prints the resulting mix (≈ 64 % limits).
  limitShare: (live) => (live < BOUNDED_TARGET_LIVE ? 0.65 : 0.45),
};
const GROWING: Omit<Shape, "seed" | "ops"> = { name: "growing", limitShare: () => 0.8 };

/**
 * Generates a stream by driving a FastBook (untimed), so that cancels always name an order
 * that is live at that point: live ids sit in an array with swap-remove.
 */
function generate(shape: Shape): Stream {
  const rand = mulberry32(shape.seed);
  const setup = BOUNDED_TARGET_LIVE;
  const n = setup + shape.ops;
  const s: Stream = {
    name: shape.name,
    setup,
    length: n,
    op: new Uint8Array(n),
    id: new Float64Array(n),
    side: new Uint8Array(n),
    price: new Float64Array(n),
    size: new Float64Array(n),
    owner: new Uint32Array(n),
    peerId: [],
  };
  const book = new FastBook();
  const live: number[] = [];
  const slot = new Int32Array(n + 1).fill(-1);
  const addLive = (id: number) => {
    slot[id] = live.length;
    live.push(id);
  };
  const removeLive = (id: number) => {
    const at = slot[id];
    const last = live.pop()!;
    if (last !== id) {
      live[at] = last;
      slot[last] = at;
    }
    slot[id] = -1;
  };
  let mid = START_MID;
  let nextId = 1;
  let limits = 0;
  let crossings = 0;
  let liveSum = 0;
  for (let i = 0; i < n; i++) {
    mid += rand() < 0.5 ? -1 : 1;
    if (i >= setup) liveSum += live.length;
    const isLimit = i < setup || live.length === 0 || rand() < shape.limitShare(live.length);
    if (!isLimit) {
      const id = live[Math.floor(rand() * live.length)];
      s.op[i] = OP_CANCEL;
      s.id[i] = id;
      book.cancel(id);
      removeLive(id);
      continue;
    }
    const id = nextId++;
    const buy = rand() < 0.5;
    const bestBid = book.bestBid();
    const bestAsk = book.bestAsk();
    const crossing = i >= setup && rand() < 0.3 && (buy ? bestAsk : bestBid) !== undefined;
    let price: number;
    let size: number;
    if (crossing) {
      // Through the opposite best by 0-2 ticks, half the size of a typical maker order.
      const slip = Math.floor(rand() * 3);
      price = buy ? bestAsk! + slip : bestBid! - slip;
      size = 1 + Math.floor(rand() * 50);
    } else {
      // Passive: 1 + u^3 x 2000 ticks from the mid (dense near the top, a long tail), and
      // never through the opposite best.
      const offset = 1 + Math.floor(rand() ** 3 * 2000);
      price = buy ? mid - offset : mid + offset;
      if (buy && bestAsk !== undefined && price >= bestAsk) price = bestAsk - 1;
      if (!buy && bestBid !== undefined && price <= bestBid) price = bestBid + 1;
      size = 1 + Math.floor(rand() * 100);
    }
    const owner = Math.floor(rand() * OWNERS);
    if (i >= setup) {
      limits++;
      if (crossing) crossings++;
    }
    s.op[i] = OP_LIMIT;
    s.id[i] = id;
    s.side[i] = buy ? 0 : 1;
    s.price[i] = price;
    s.size[i] = size;
    s.owner[i] = owner;
    const events = book.place(
      {
        id,
        owner,
        clientId: id,
        side: buy ? "buy" : "sell",
        type: "limit",
        priceTicks: price,
        sizeLots: size,
        tif: "gtc",
      },
      0,
    );
    for (const e of events) {
      if (e.kind === "rest") addLive(e.orderId);
      else if (e.kind === "fill" && e.makerRemainingLots === 0) removeLive(e.makerId);
      else if (e.kind === "cancel" && e.reason === "stp_maker") removeLive(e.orderId);
    }
  }
  for (let id = 0; id < nextId; id++) s.peerId.push(String(id));
  console.error(
    `generated ${shape.name}: ${n} ops (${setup} setup); timed: ` +
      `${((100 * limits) / shape.ops).toFixed(1)} % limits (${((100 * crossings) / limits).toFixed(1)} % ` +
      `of them crossing), mean live ${(liveSum / shape.ops).toFixed(0)}, live at end ${book.size()}, ` +
      `levels ${[...book.levels("buy")].length} bids / ${[...book.levels("sell")].length} asks`,
  );
  return s;
}

interface RunResult {
  /** Wall-clock seconds of the timed part. */
  seconds: number;
  /** CPU seconds of the process (all threads, GC included) over the timed part. */
  cpuSeconds: number;
  fills: number;
  lots: number;
  cancelMisses: number;
  liveAtEnd: number;
}

const PEER_SIDE = [PeerSide.BUY, PeerSide.SELL];
const OUR_SIDE = ["buy", "sell"] as const;
const OWNER_NAMES = Array.from({ length: OWNERS }, (_, i) => `acct${i}`);

/** Runs ops [from, to) of a stream against perpetua's book. */
function runOurs(book: FastBook, s: Stream, from: number, to: number, r: RunResult): void {
  const { op, id, side, price, size, owner } = s;
  for (let i = from; i < to; i++) {
    if (op[i] === OP_CANCEL) {
      book.cancel(id[i]);
      continue;
    }
    const order: NewOrder = {
      id: id[i],
      owner: owner[i],
      clientId: id[i],
      side: OUR_SIDE[side[i]],
      type: "limit",
      priceTicks: price[i],
      sizeLots: size[i],
      tif: "gtc",
    };
    const events: BookEvent[] = book.place(order, 0);
    for (let k = 0; k < events.length; k++) {
      const e = events[k];
      if (e.kind === "fill") {
        r.fills++;
        r.lots += e.sizeLots;
      }
    }
  }
}

/**
 * Runs ops [from, to) against nodejs-order-book. It reports a taker's trades as `done`
 * (makers fully filled, plus the taker itself when fully filled) and `partial` (the one
 * maker left partially filled, which only happens when the taker is exhausted; when the
 * taker rests after trading, `partial` is the taker instead). So:
 *   fills = done.length − [taker fully filled] + [taker fully filled and partial ≠ null],
 *   lots  = size − quantityLeft.
 */
function runPeer(book: PeerBook, s: Stream, from: number, to: number, r: RunResult): void {
  const { op, id, side, price, size, owner, peerId } = s;
  for (let i = from; i < to; i++) {
    if (op[i] === OP_CANCEL) {
      if (book.cancel(peerId[id[i]]) === undefined) r.cancelMisses++;
      continue;
    }
    const res = book.limit({
      id: peerId[id[i]],
      side: PEER_SIDE[side[i]],
      size: size[i],
      price: price[i],
      accountId: OWNER_NAMES[owner[i]],
      stpMode: SelfTradePreventionMode.EXPIRE_MAKER,
    });
    const takerDone = res.quantityLeft === 0;
    r.fills += res.done.length - (takerDone ? 1 : 0) + (takerDone && res.partial !== null ? 1 : 0);
    r.lots += size[i] - res.quantityLeft;
  }
}

function peerLiveOrders(book: PeerBook): number {
  const snap = book.snapshot();
  let n = 0;
  for (const level of snap.bids) n += level.orders.length;
  for (const level of snap.asks) n += level.orders.length;
  return n;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function emptyResult(): RunResult {
  return { seconds: 0, cpuSeconds: 0, fills: 0, lots: 0, cancelMisses: 0, liveAtEnd: 0 };
}

function timeOurs(s: Stream): RunResult {
  const book = new FastBook();
  const r = emptyResult();
  runOurs(book, s, 0, s.setup, r);
  const setupFills = r.fills;
  const setupLots = r.lots;
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  runOurs(book, s, s.setup, s.length, r);
  r.seconds = (performance.now() - t0) / 1000;
  r.cpuSeconds = cpuSecondsSince(c0);
  r.fills -= setupFills;
  r.lots -= setupLots;
  r.liveAtEnd = book.size();
  book.checkInvariants();
  return r;
}

function timePeer(s: Stream): RunResult {
  const book = new PeerBook();
  const r = emptyResult();
  runPeer(book, s, 0, s.setup, r);
  const setupFills = r.fills;
  const setupLots = r.lots;
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  runPeer(book, s, s.setup, s.length, r);
  r.seconds = (performance.now() - t0) / 1000;
  r.cpuSeconds = cpuSecondsSince(c0);
  r.fills -= setupFills;
  r.lots -= setupLots;
  r.liveAtEnd = peerLiveOrders(book);
  return r;
}

function main(): void {
  const bounded = generate({ ...BOUNDED, seed: 0x5eed_0001, ops: TIMED_OPS });
  const growing = generate({ ...GROWING, seed: 0x5eed_0002, ops: TIMED_OPS });
  const warmup = generate({ ...BOUNDED, seed: 0x5eed_0003, ops: WARMUP_OPS });

  // Warm-up: let both books' code reach the optimizing compiler before any timing.
  timeOurs(warmup);
  timePeer(warmup);

  let ok = true;
  const results: Record<string, { ours: RunResult; peer: RunResult }> = {};
  for (const s of [bounded, growing]) {
    let ours = timeOurs(s);
    let peer = timePeer(s);
    for (let k = 1; k < REPEATS; k++) {
      const o = timeOurs(s);
      const p = timePeer(s);
      if (o.fills !== ours.fills || p.fills !== peer.fills) ok = false;
      if (o.seconds < ours.seconds) ours = o;
      if (p.seconds < peer.seconds) peer = p;
    }
    results[s.name] = { ours, peer };
    const ops = s.length - s.setup;
    console.error(
      `${s.name}: best of ${REPEATS}: perpetua ${(ops / ours.seconds).toFixed(0)} ops/s (${ours.seconds.toFixed(3)} s), ` +
        `nodejs-order-book ${(ops / peer.seconds).toFixed(0)} ops/s (${peer.seconds.toFixed(3)} s)`,
    );
    console.error(
      `${s.name}: per CPU second (same runs): perpetua ${(ops / ours.cpuSeconds).toFixed(0)} ops/s, ` +
        `nodejs-order-book ${(ops / peer.cpuSeconds).toFixed(0)} ops/s`,
    );
    console.error(
      `${s.name}: fills ${ours.fills} / ${peer.fills}, lots ${ours.lots} / ${peer.lots}, ` +
        `live at end ${ours.liveAtEnd} / ${peer.liveAtEnd}, peer cancel misses ${peer.cancelMisses}`,
    );
    if (
      ours.fills !== peer.fills ||
      ours.lots !== peer.lots ||
      ours.liveAtEnd !== peer.liveAtEnd ||
      peer.cancelMisses !== 0
    ) {
      console.error(`${s.name}: MISMATCH between the two books`);
      ok = false;
    }
  }

  const rate = (s: Stream, r: RunResult) => Math.round((s.length - s.setup) / r.seconds);
  const b = results.bounded;
  const g = results.growing;
  const line = {
    workload: "matching-1M",
    bounded_ops_s: rate(bounded, b.ours),
    bounded_peer_ops_s: rate(bounded, b.peer),
    bounded_ratio: Number((b.peer.seconds / b.ours.seconds).toFixed(2)),
    growing_ops_s: rate(growing, g.ours),
    growing_peer_ops_s: rate(growing, g.peer),
    growing_ratio: Number((g.peer.seconds / g.ours.seconds).toFixed(2)),
  };
  console.log(JSON.stringify(line));
  if (!ok) process.exit(1);
}

main();
