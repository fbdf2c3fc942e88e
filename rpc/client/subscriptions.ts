/**
 * Subscriptions to perpetua topics (`blocks`, `trades:<M>`, `book:<M>`, `account:<0x…>`)
 * over one WebSocket, with automatic reconnect and resume.
 *
 * Resume rule: the node publishes whole heights in order and replays committed events with
 * height ≥ `from` (rpc/README.md). After a drop we resubscribe with `from` = the last height
 * we delivered, inclusive, because the connection may have died in the middle of that
 * height's events; events are then deduplicated by (height, position within the height):
 * anything below the last height, and the first k events at it when k were already
 * delivered, are dropped. So the handler sees every event once, in order, across drops.
 * The server's `seq` restarts with each subscription; it is passed through for diagnostics.
 */
import { PerpetuaClientError } from "./errors.js";
import type { TopicEvent } from "./types.js";

/** The part of the WebSocket API used here (browsers' WebSocket and the `ws` package). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface SubscriptionClientOptions {
  /** How to open a socket; default the global WebSocket, else the `ws` package (Node 20). */
  webSocket?: WebSocketFactory;
  /** Reconnect backoff: first delay, doubling up to the max (defaults 200 ms, 5 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Time allowed for a subscribe acknowledgement, default 10 s. */
  requestTimeoutMs?: number;
  /** Connection state changes, e.g. to show "reconnecting" in a UI. */
  onStatus?: (s: {
    state: "open" | "closed" | "reconnecting";
    code?: number;
    reason?: string;
  }) => void;
  /** Errors that have no caller to throw to (a resubscribe refused after a reconnect). */
  onError?: (e: Error) => void;
}

export interface Subscription {
  readonly topic: string;
  /** Last delivered height (0 before the first event). */
  readonly lastHeight: number;
  unsubscribe(): Promise<void>;
}

interface TopicState<T = unknown> {
  topic: string;
  handler: (ev: TopicEvent<T>) => void;
  from: number | undefined;
  lastHeight: number;
  /** Events delivered at lastHeight (the dedupe position). */
  atLastHeight: number;
  /** Position within the current height of the incoming stream since (re)subscribing. */
  streamHeight: number;
  streamIndex: number;
  serverId: string | undefined;
  closed: boolean;
}

interface Pending {
  /** Runs synchronously on the answer, before any later message of the socket is handled. */
  onResult?: (v: unknown) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class SubscriptionClient {
  private ws: WebSocketLike | undefined;
  private opening: Promise<void> | undefined;
  private readonly topics = new Set<TopicState>();
  private readonly byServerId = new Map<string, TopicState>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private backoffMs: number;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    private readonly opts: SubscriptionClientOptions = {},
  ) {
    this.backoffMs = opts.reconnectMinMs ?? 200;
  }

  /**
   * Subscribes to a topic; resolves once the node acknowledged. `from` replays committed
   * events from that height first. The handler runs synchronously per event, in order.
   */
  async subscribe<T = unknown>(
    topic: string,
    handler: (ev: TopicEvent<T>) => void,
    opts: { from?: number } = {},
  ): Promise<Subscription> {
    if (this.stopped) throw new PerpetuaClientError("transport", "subscription client closed");
    const st: TopicState<T> = {
      topic,
      handler,
      from: opts.from,
      lastHeight: 0,
      atLastHeight: 0,
      streamHeight: 0,
      streamIndex: 0,
      serverId: undefined,
      closed: false,
    };
    await this.connect();
    await this.sendSubscribe(st as TopicState);
    this.topics.add(st as TopicState);
    return {
      topic,
      get lastHeight() {
        return st.lastHeight;
      },
      unsubscribe: async () => {
        st.closed = true;
        this.topics.delete(st as TopicState);
        if (st.serverId) {
          this.byServerId.delete(st.serverId);
          if (this.ws) {
            await this.request("unsubscribe", { subscription: st.serverId }).catch(() => {});
          }
        }
      },
    };
  }

  /** Closes the connection for good (no reconnect). */
  close(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.ws?.close(1000, "client closing");
    this.ws = undefined;
    this.failPending(new PerpetuaClientError("transport", "subscription client closed"));
  }

  /** Drops the connection as if the network failed (tests and manual resume). */
  dropConnection(): void {
    this.ws?.close(4000, "dropped by client");
  }

  private async sendSubscribe(st: TopicState): Promise<void> {
    // Resume inclusively from the last delivered height; see the header comment.
    const from = st.lastHeight > 0 ? st.lastHeight : st.from;
    st.streamHeight = 0;
    st.streamIndex = 0;
    // The replay may follow the acknowledgement in the same socket read, before an await
    // continuation would run: the id is bound synchronously on the answer.
    await this.request(
      "subscribe",
      { topic: st.topic, ...(from !== undefined ? { from } : {}) },
      (ack) => {
        const id = (ack as { subscription: string }).subscription;
        st.serverId = id;
        this.byServerId.set(id, st);
      },
    );
  }

  private async connect(): Promise<void> {
    if (this.ws) return;
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    const factory = this.opts.webSocket ?? (await defaultFactory());
    await new Promise<void>((resolve, reject) => {
      const ws = factory(this.url);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        this.backoffMs = this.opts.reconnectMinMs ?? 200;
        this.opts.onStatus?.({ state: "open" });
        resolve();
      };
      ws.onerror = () => {
        // onclose follows and decides; an error before open fails the connect.
      };
      ws.onmessage = (ev) => this.onMessage(ev.data);
      ws.onclose = (ev) => {
        if (!opened) {
          reject(
            new PerpetuaClientError("transport", `cannot open ${this.url} (close ${ev.code})`),
          );
          return;
        }
        if (this.ws === ws) this.ws = undefined;
        this.byServerId.clear();
        this.failPending(
          new PerpetuaClientError("transport", `connection closed: ${ev.code} ${ev.reason}`),
        );
        this.opts.onStatus?.({ state: "closed", code: ev.code, reason: ev.reason });
        if (!this.stopped) this.scheduleReconnect();
      };
    });
  }

  private scheduleReconnect(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.reconnectMaxMs ?? 5_000);
    this.opts.onStatus?.({ state: "reconnecting" });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect();
    } catch {
      this.scheduleReconnect();
      return;
    }
    for (const st of this.topics) {
      if (st.closed) continue;
      try {
        await this.sendSubscribe(st);
      } catch (e) {
        if (e instanceof PerpetuaClientError && e.kind === "transport") return; // dropped again
        this.opts.onError?.(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  private request(
    method: string,
    params: Record<string, unknown>,
    onResult?: (v: unknown) => void,
  ): Promise<unknown> {
    const ws = this.ws;
    if (!ws) return Promise.reject(new PerpetuaClientError("transport", "not connected"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PerpetuaClientError("timeout", `${method}: no answer in time`));
      }, this.opts.requestTimeoutMs ?? 10_000);
      this.pending.set(id, { onResult, resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  private failPending(e: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.pending.delete(id);
    }
  }

  private onMessage(raw: unknown): void {
    let msg: {
      id?: number;
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
      method?: string;
      params?: { subscription: string; topic: string; seq: number; height: number; data: unknown };
    };
    try {
      msg = JSON.parse(typeof raw === "string" ? raw : String(raw));
    } catch {
      return;
    }
    if (msg.method === "subscription" && msg.params) {
      const st = this.byServerId.get(msg.params.subscription);
      if (st && !st.closed) this.deliver(st, msg.params);
      return;
    }
    if (typeof msg.id === "number") {
      const p = this.pending.get(msg.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(msg.id);
      if (msg.error) {
        p.reject(
          new PerpetuaClientError("rpc", msg.error.message, {
            code: msg.error.code,
            data: msg.error.data,
          }),
        );
      } else {
        p.onResult?.(msg.result);
        p.resolve(msg.result);
      }
    }
  }

  private deliver(
    st: TopicState,
    p: { topic: string; seq: number; height: number; data: unknown },
  ): void {
    const height = Number(p.height);
    if (height !== st.streamHeight) {
      st.streamHeight = height;
      st.streamIndex = 0;
    }
    const index = st.streamIndex++;
    if (height < st.lastHeight) return;
    if (height === st.lastHeight && index < st.atLastHeight) return; // already delivered
    if (height > st.lastHeight) {
      st.lastHeight = height;
      st.atLastHeight = 0;
    }
    st.atLastHeight++;
    st.handler({ topic: p.topic, height, seq: p.seq, data: p.data });
  }
}

async function defaultFactory(): Promise<WebSocketFactory> {
  const G = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (G) return (url) => new G(url);
  const mod = await import("ws");
  return (url) => new mod.WebSocket(url) as unknown as WebSocketLike;
}
