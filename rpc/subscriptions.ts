/**
 * The subscription hub: the node publishes events per topic, the hub fans them out to
 * WebSocket subscribers with a sequence number per subscription, serves resumption from a
 * height through a replay source, and closes subscribers that cannot keep up.
 *
 * Topics:
 * - perpetua's: `blocks`, `trades:<market>`, `book:<market>`, `account:<0x address>`;
 *   resumable with `from` (a height).
 * - CometBFT's: `tm.event='NewBlock'` and `tm.event='Tx'` queries, published on the topics
 *   TM_NEW_BLOCK and TM_TX with the CometBFT `events` map that queries match against.
 *
 * Contract with the publisher (the node):
 * 1. publish an event only after its block is committed to the store the replay source
 *    reads, and publish heights of one topic in increasing order;
 * 2. `replay(topic, from)` yields every committed event of `topic` with height ≥ from, in
 *    height order, whole heights at a time (never part of a height), then ends;
 * 3. for exact resumption a topic should carry one event per height (the trades, book diffs
 *    or account updates of one block together), so a client resumes with
 *    from = last height received + 1. The hub itself only assumes 1 and 2;
 * 4. optionally `snapshot(topic)`: a new subscriber without `from` first gets the topic's
 *    state at the last committed height S (the book), then live events above S, through the
 *    same seam as a replay.
 *
 * The replay/live seam: the subscription is registered (in "replaying" mode) before the
 * replay starts, so every event published from then on is buffered, not lost. Replayed
 * events are delivered as they come, remembering the last replayed height R. When the
 * replay ends, buffered live events with height ≤ R are dropped (the replay already
 * delivered them: the store had them) and the rest are delivered in order, then the
 * subscription goes live, all synchronously, so no publish can interleave. Events published
 * before registration were committed before it (rule 1), so the replay, which starts after
 * registration, sees them: no gap. No height is delivered twice: no duplicate.
 * If more than `maxPendingEvents` events pile up during a replay, the connection is closed
 * with code 4002 rather than growing memory or skipping.
 */
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import { invalidParams, RpcError, toRpcError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RpcMetrics } from "./metrics.js";
import { height as heightParam, optional, str } from "./params.js";
import { parseTmQuery, queryMatches, type TmQuery } from "./query.js";
import type { Router, WsConnection } from "./routes.js";

export const TM_NEW_BLOCK = "tm.event='NewBlock'";
export const TM_TX = "tm.event='Tx'";

/** WebSocket close codes used by the server (4000-4999 are application codes). */
export const CloseCode = {
  /** The server is stopping. */
  GOING_AWAY: 1001,
  /** A limit of the connection was exceeded (message rate, pending requests). */
  POLICY: 1008,
  /** A message over the size limit (sent by the ws library). */
  TOO_BIG: 1009,
  /** The outbound buffer exceeded its limit: the client reads slower than events arrive. */
  SLOW_CONSUMER: 4001,
  /** Too many live events piled up while a resumption replay was running. */
  REPLAY_OVERFLOW: 4002,
  /** The replay source failed; resubscribe later. */
  REPLAY_FAILED: 4003,
} as const;

export interface HubEvent {
  /** Block height the event belongs to. */
  readonly height: number;
  /** The notification payload, already JSON-shaped. */
  readonly data: unknown;
  /** CometBFT composite-key map (`tm.event`, `tx.hash`, `fill.market`, …) for queries. */
  readonly events?: Readonly<Record<string, readonly string[]>>;
}

/** Where resumption history comes from (the node serves it from its block store). */
export interface ReplaySource {
  /** Committed events of `topic` with height ≥ fromHeight, in height order, whole heights. */
  replay(topic: string, fromHeight: number): AsyncIterable<HubEvent>;
  /**
   * Optional check before a subscription is acknowledged: throw a PerpetuaError (e.g.
   * UNKNOWN_MARKET, or a pruned `from`) and the subscribe call fails with it.
   */
  check?(topic: string, fromHeight: number | undefined): void | Promise<void>;
  /**
   * Optional: the current state of a topic as one event at the last committed height S
   * (e.g. `book:<market>`: the whole book, then level diffs follow). Called for a new
   * subscription without `from`; returning undefined means the topic has no snapshot.
   * The seam with live events is the replay's: live events with height ≤ S are dropped.
   */
  snapshot?(topic: string): HubEvent | undefined | Promise<HubEvent | undefined>;
}

export interface HubOptions {
  maxSubscriptionsPerClient: number;
  /** Live events buffered per subscription while its replay runs. */
  maxPendingEvents: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  maxSubscriptionsPerClient: 10,
  maxPendingEvents: 10_000,
};

const MARKET = "[A-Z0-9]{1,16}-[A-Z0-9]{1,16}";
const TOPIC = new RegExp(`^(blocks|trades:${MARKET}|book:${MARKET}|account:0x[0-9a-f]{40})$`);

/** Validates and normalizes a perpetua topic (addresses to lower case). */
export function parseTopic(topic: string): string {
  const t = topic.startsWith("account:") ? topic.toLowerCase() : topic;
  if (!TOPIC.test(t)) {
    throw invalidParams(
      `topic: expected blocks, trades:<MARKET>, book:<MARKET> or account:<0x + 40 hex>, got ${JSON.stringify(topic.slice(0, 80))}`,
    );
  }
  return t;
}

type Mode = "replaying" | "live" | "closed";

class Subscription {
  seq = 0;
  /** Starts with the source's snapshot instead of a replay from a height. */
  snapshot = false;
  mode: Mode;
  pending: HubEvent[] = [];
  /** Highest height delivered by the replay; live events at or below it are duplicates. */
  lastReplayed: number;
  constructor(
    readonly id: string,
    readonly conn: WsConnection,
    readonly topic: string,
    /** Events below this height are not delivered (a `from` in the future). */
    readonly from: number,
    readonly query: TmQuery | undefined,
    /** The JSON-RPC id of the subscribe call (CometBFT events reuse it). */
    readonly requestId: string | number | null,
    replaying: boolean,
  ) {
    this.mode = replaying ? "replaying" : "live";
    this.lastReplayed = from - 1;
  }

  message(ev: HubEvent): unknown {
    this.seq += 1;
    if (this.query) {
      // CometBFT's shape (a response carrying the subscribe id), plus our seq.
      return {
        jsonrpc: "2.0",
        id: this.requestId,
        result: {
          query: this.query.canonical,
          data: ev.data,
          events: ev.events ?? {},
          seq: this.seq,
        },
      };
    }
    return {
      jsonrpc: "2.0",
      method: "subscription",
      params: {
        subscription: this.id,
        topic: this.topic,
        seq: this.seq,
        height: ev.height,
        data: ev.data,
      },
    };
  }
}

export class SubscriptionHub {
  private readonly opts: HubOptions;
  private readonly byTopic = new Map<string, Set<Subscription>>();
  private readonly byConn = new Map<WsConnection, Map<string, Subscription>>();
  private nextId = 1;
  private total = 0;

  constructor(
    opts: Partial<HubOptions>,
    private readonly deps: { logger: Logger; source?: ReplaySource; metrics?: RpcMetrics },
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
  }

  /** Live subscriptions across all connections. */
  get size(): number {
    return this.total;
  }

  /** Subscribers of a topic (the node may skip building events nobody listens to). */
  hasSubscribers(topic: string): boolean {
    return (this.byTopic.get(topic)?.size ?? 0) > 0;
  }

  /**
   * Subscribes `conn` to a perpetua topic, optionally resuming from a height. Returns the
   * subscription id and `start`, to be called once the client has the id (it begins the
   * replay, if any).
   */
  async subscribeTopic(
    conn: WsConnection,
    topic: string,
    from: number | undefined,
  ): Promise<{ id: string; start: () => void }> {
    const t = parseTopic(topic);
    await this.deps.source?.check?.(t, from);
    if (from !== undefined && !this.deps.source) {
      throw invalidParams("from: this server cannot replay history");
    }
    const snapshot = from === undefined && this.deps.source?.snapshot !== undefined;
    const sub = this.add(conn, t, from ?? 0, undefined, null, from !== undefined || snapshot);
    sub.snapshot = snapshot;
    return {
      id: sub.id,
      start: () => {
        if (sub.mode === "replaying") void this.replay(sub);
      },
    };
  }

  /** Subscribes `conn` to a CometBFT query; its events reuse the subscribe call's id. */
  subscribeQuery(conn: WsConnection, query: string, requestId: string | number | null): string {
    const q = parseTmQuery(query);
    for (const s of this.byConn.get(conn)?.values() ?? []) {
      if (s.query?.canonical === q.canonical) {
        throw invalidParams(`query: already subscribed to ${q.canonical}`);
      }
    }
    const topic = q.event === "NewBlock" ? TM_NEW_BLOCK : TM_TX;
    return this.add(conn, topic, 0, q, requestId, false).id;
  }

  unsubscribe(conn: WsConnection, id: string): boolean {
    const sub = this.byConn.get(conn)?.get(id);
    if (!sub) return false;
    this.remove(sub);
    return true;
  }

  unsubscribeQuery(conn: WsConnection, query: string): boolean {
    const q = parseTmQuery(query);
    for (const s of this.byConn.get(conn)?.values() ?? []) {
      if (s.query?.canonical === q.canonical) {
        this.remove(s);
        return true;
      }
    }
    return false;
  }

  unsubscribeAll(conn: WsConnection): number {
    const subs = [...(this.byConn.get(conn)?.values() ?? [])];
    for (const s of subs) this.remove(s);
    return subs.length;
  }

  /** Publishes one event to every subscriber of `topic`. Never throws, never blocks. */
  publish(topic: string, ev: HubEvent): void {
    const subs = this.byTopic.get(topic);
    if (!subs) return;
    for (const sub of [...subs]) {
      if (sub.query && !queryMatches(sub.query, ev.events)) continue;
      if (sub.mode === "replaying") {
        if (sub.pending.length >= this.opts.maxPendingEvents) {
          this.closeConn(
            sub.conn,
            CloseCode.REPLAY_OVERFLOW,
            `replay overflow: more than ${this.opts.maxPendingEvents} live events buffered on ${sub.topic}`,
          );
          continue;
        }
        sub.pending.push(ev);
        continue;
      }
      this.deliver(sub, ev);
    }
  }

  private add(
    conn: WsConnection,
    topic: string,
    from: number,
    query: TmQuery | undefined,
    requestId: string | number | null,
    replaying: boolean,
  ): Subscription {
    if (!conn.open) throw new RpcError(ErrorCode.INTERNAL, "connection closed");
    let mine = this.byConn.get(conn);
    if ((mine?.size ?? 0) >= this.opts.maxSubscriptionsPerClient) {
      throw new PerpetuaError(
        ErrorCode.TOO_LARGE,
        `too many subscriptions: at most ${this.opts.maxSubscriptionsPerClient} per connection`,
      );
    }
    const sub = new Subscription(
      `${conn.id}.${this.nextId++}`,
      conn,
      topic,
      from,
      query,
      requestId,
      replaying,
    );
    if (!mine) {
      mine = new Map();
      this.byConn.set(conn, mine);
    }
    mine.set(sub.id, sub);
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(sub);
    this.total += 1;
    this.deps.metrics?.subscriptions(this.total);
    return sub;
  }

  private remove(sub: Subscription): void {
    if (sub.mode === "closed") return;
    sub.mode = "closed";
    sub.pending = [];
    const set = this.byTopic.get(sub.topic);
    set?.delete(sub);
    if (set?.size === 0) this.byTopic.delete(sub.topic);
    const mine = this.byConn.get(sub.conn);
    mine?.delete(sub.id);
    if (mine?.size === 0) this.byConn.delete(sub.conn);
    this.total -= 1;
    this.deps.metrics?.subscriptions(this.total);
  }

  private deliver(sub: Subscription, ev: HubEvent): void {
    if (sub.mode === "closed" || ev.height < sub.from) return;
    if (!sub.conn.send(sub.message(ev))) {
      // The connection closed itself (slow consumer) or was gone: drop all its subscriptions.
      this.unsubscribeAll(sub.conn);
    }
  }

  private closeConn(conn: WsConnection, code: number, reason: string): void {
    this.deps.logger.warn({ conn: conn.id, code, reason }, "closing subscriber");
    this.unsubscribeAll(conn);
    conn.close(code, reason);
  }

  private async replay(sub: Subscription): Promise<void> {
    const source = this.deps.source;
    if (!source) return;
    try {
      const events = sub.snapshot
        ? snapshotOf(source, sub.topic)
        : source.replay(sub.topic, sub.from);
      for await (const ev of events) {
        if (sub.mode !== "replaying") return;
        if (ev.height < sub.lastReplayed) {
          throw new Error(`replay out of order: ${ev.height} after ${sub.lastReplayed}`);
        }
        this.deliver(sub, ev);
        sub.lastReplayed = ev.height;
        // Pace the replay by the client: history can be long, memory is not.
        await sub.conn.drained();
      }
    } catch (e) {
      if (sub.mode === "closed") return;
      const mapped = toRpcError(e);
      this.deps.logger.error({ err: e, topic: sub.topic, from: sub.from }, "replay failed");
      this.closeConn(
        sub.conn,
        CloseCode.REPLAY_FAILED,
        `replay failed: ${mapped.error.message}`.slice(0, 120),
      );
      return;
    }
    if (sub.mode !== "replaying") return;
    // The seam, synchronously: no publish can run between these lines.
    const pending = sub.pending;
    sub.pending = [];
    sub.mode = "live";
    for (const ev of pending) {
      if (ev.height > sub.lastReplayed) this.deliver(sub, ev);
    }
  }
}

async function* snapshotOf(source: ReplaySource, topic: string): AsyncIterable<HubEvent> {
  const ev = await source.snapshot?.(topic);
  if (ev) yield ev;
}

/**
 * Registers `subscribe`, `unsubscribe` and `unsubscribe_all` (WebSocket only).
 * - CometBFT: `subscribe {query}` -> `{}`, then events as responses with the same id;
 *   `unsubscribe {query}` -> `{}`; `unsubscribe_all` -> `{}`.
 * - perpetua: `subscribe {topic, from?}` -> `{subscription, topic}`, then
 *   `{"method":"subscription","params":{subscription, topic, seq, height, data}}`;
 *   `unsubscribe {subscription}` -> `{}`.
 */
export function registerSubscriptionRoutes(router: Router, hub: SubscriptionHub): void {
  router.register("subscribe", {
    ws: true,
    description: "subscribe to tm.event='NewBlock'|'Tx' (query) or a perpetua topic (topic, from?)",
    params: {
      query: optional(str({ min: 1, max: 512, what: "a CometBFT query" })),
      topic: optional(str({ min: 1, max: 128, what: "a topic" })),
      from: optional(heightParam()),
    },
    handler: async (p, ctx) => {
      const ws = ctx.ws!;
      if ((p.query === undefined) === (p.topic === undefined)) {
        throw invalidParams("query or topic: exactly one is required");
      }
      if (p.query !== undefined) {
        if (p.from !== undefined) throw invalidParams("from: only with topic");
        hub.subscribeQuery(ws, p.query, ctx.requestId);
        return {};
      }
      const { id, start } = await hub.subscribeTopic(ws, p.topic!, p.from);
      ctx.afterResponse(start);
      return { subscription: id, topic: parseTopic(p.topic!), ...(p.from ? { from: p.from } : {}) };
    },
  });
  router.register("unsubscribe", {
    ws: true,
    description: "cancel one subscription (query or subscription id)",
    params: {
      query: optional(str({ min: 1, max: 512, what: "a CometBFT query" })),
      subscription: optional(str({ min: 1, max: 64, what: "a subscription id" })),
    },
    handler: (p, ctx) => {
      const ws = ctx.ws!;
      if ((p.query === undefined) === (p.subscription === undefined)) {
        throw invalidParams("query or subscription: exactly one is required");
      }
      const ok =
        p.query !== undefined
          ? hub.unsubscribeQuery(ws, p.query)
          : hub.unsubscribe(ws, p.subscription!);
      if (!ok)
        throw invalidParams(`${p.query !== undefined ? "query" : "subscription"}: not subscribed`);
      return {};
    },
  });
  router.register("unsubscribe_all", {
    ws: true,
    description: "cancel every subscription of this connection",
    handler: (_p, ctx) => {
      hub.unsubscribeAll(ctx.ws!);
      return {};
    },
  });
}
