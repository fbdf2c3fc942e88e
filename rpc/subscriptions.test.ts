import { describe, expect, it } from "vitest";
import { ErrorCode } from "../lib/errors.js";
import { RpcCode } from "./errors.js";
import { silentLogger } from "./logger.js";
import { parseTmQuery, queryMatches } from "./query.js";
import type { WsConnection } from "./routes.js";
import { Router } from "./routes.js";
import {
  CloseCode,
  type HubEvent,
  parseTopic,
  type ReplaySource,
  SubscriptionHub,
  TM_NEW_BLOCK,
  TM_TX,
} from "./subscriptions.js";
import { startServer, WsClient } from "./testkit.js";

class FakeConn implements WsConnection {
  readonly sent: unknown[] = [];
  open = true;
  closedWith: [number, string] | undefined;
  constructor(readonly id: string) {}
  send(m: unknown): boolean {
    if (!this.open) return false;
    this.sent.push(m);
    return true;
  }
  async drained(): Promise<void> {}
  close(code: number, reason: string): void {
    this.open = false;
    this.closedWith = [code, reason];
  }
  notes(): { seq: number; height: number; data: unknown }[] {
    return this.sent.map(
      (m) => (m as { params: { seq: number; height: number; data: unknown } }).params,
    );
  }
}

const ev = (height: number, data: unknown = { h: height }): HubEvent => ({ height, data });

/** A replay source over an in-memory "store", optionally with a hook between yields. */
class MemorySource implements ReplaySource {
  readonly store = new Map<string, HubEvent[]>();
  onYield: ((h: number) => void | Promise<void>) | undefined;
  /** true: read up to the tip as of the start (a snapshot); false: follow the growing store. */
  constructor(readonly readsSnapshot = false) {}
  commit(topic: string, e: HubEvent): void {
    const l = this.store.get(topic) ?? [];
    l.push(e);
    this.store.set(topic, l);
  }
  async *replay(topic: string, from: number): AsyncIterable<HubEvent> {
    // Reads the store as it grows, like a block store read height by height.
    let i = 0;
    const end = (this.store.get(topic) ?? []).length;
    for (;;) {
      const l = this.store.get(topic) ?? [];
      while (i < l.length && l[i].height < from) i++;
      if (i >= l.length || (this.readsSnapshot && i >= end)) return;
      const e = l[i++];
      yield e;
      await this.onYield?.(e.height);
    }
  }
}

describe("CometBFT query subset", () => {
  it("parses tm.event with AND conditions and canonicalizes", () => {
    const q = parseTmQuery(`tm.event = 'Tx' AND tx.height=0005 AND tx.hash='${"ab".repeat(32)}'`);
    expect(q.event).toBe("Tx");
    expect(q.canonical).toBe(`tm.event='Tx' AND tx.height=5 AND tx.hash='${"AB".repeat(32)}'`);
    expect(parseTmQuery("tm.event='NewBlock'").canonical).toBe("tm.event='NewBlock'");
  });

  it.each([
    ["", "empty"],
    ["tm.event='NewBlockHeader'", "not served"],
    ["tm.event='Tx' OR tm.event='NewBlock'", "AND"],
    ["tm.event='Tx' AND tx.height>5", "operator >"],
    ["tx.height=5", "exactly one tm.event"],
    ["tm.event='Tx' AND tx.hash='zz'", "tx.hash"],
    ["tm.event='Tx' AND fill.market EXISTS", "AND"],
    ["tm.event='Tx' AND a.b CONTAINS 'x'", "AND"],
    ["tm.event='Tx", "quote"],
    ["tm.event='NewBlock' AND tx.height=1", "only apply"],
  ])("rejects %j with a -32602 naming the problem", (q, why) => {
    try {
      parseTmQuery(q);
      expect.unreachable();
    } catch (e) {
      expect((e as { code: number }).code).toBe(RpcCode.INVALID_PARAMS);
      expect((e as Error).message).toContain(why);
      expect((e as Error).message).toContain("query:");
    }
  });

  it("matches composite keys", () => {
    const q = parseTmQuery("tm.event='Tx' AND tx.height=5 AND fill.market='BTC-USD'");
    expect(queryMatches(q, { "tx.height": ["5"], "fill.market": ["ETH-USD", "BTC-USD"] })).toBe(
      true,
    );
    expect(queryMatches(q, { "tx.height": ["6"], "fill.market": ["BTC-USD"] })).toBe(false);
    expect(queryMatches(q, { "tx.height": ["5"] })).toBe(false);
  });

  it("validates perpetua topics", () => {
    expect(parseTopic("trades:BTC-USD")).toBe("trades:BTC-USD");
    expect(parseTopic(`account:0x${"AB".repeat(20)}`)).toBe(`account:0x${"ab".repeat(20)}`);
    expect(() => parseTopic("trades:")).toThrow(/topic: expected/);
    expect(() => parseTopic("candles:BTC-USD")).toThrow(/topic/);
  });
});

describe("SubscriptionHub", () => {
  it("numbers every notification per subscription from 1", async () => {
    const hub = new SubscriptionHub({}, { logger: silentLogger });
    const a = new FakeConn("a");
    const b = new FakeConn("b");
    const sa = await hub.subscribeTopic(a, "blocks", undefined);
    sa.start();
    for (let h = 1; h <= 3; h++) hub.publish("blocks", ev(h));
    const sb = await hub.subscribeTopic(b, "blocks", undefined);
    sb.start();
    for (let h = 4; h <= 5; h++) hub.publish("blocks", ev(h));
    expect(a.notes().map((n) => [n.seq, n.height])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(b.notes().map((n) => [n.seq, n.height])).toEqual([
      [1, 4],
      [2, 5],
    ]);
    expect((a.sent[0] as { params: { subscription: string } }).params.subscription).toBe(sa.id);
  });

  it("CometBFT subscriptions reuse the subscribe id, filter by query and carry seq", () => {
    const hub = new SubscriptionHub({}, { logger: silentLogger });
    const c = new FakeConn("c");
    hub.subscribeQuery(c, "tm.event='Tx' AND tx.height=2", 42);
    hub.publish(TM_TX, {
      height: 1,
      data: "t1",
      events: { "tm.event": ["Tx"], "tx.height": ["1"] },
    });
    hub.publish(TM_TX, {
      height: 2,
      data: "t2",
      events: { "tm.event": ["Tx"], "tx.height": ["2"] },
    });
    hub.publish(TM_NEW_BLOCK, { height: 2, data: "b2", events: { "tm.event": ["NewBlock"] } });
    expect(c.sent).toEqual([
      {
        jsonrpc: "2.0",
        id: 42,
        result: {
          query: "tm.event='Tx' AND tx.height=2",
          data: "t2",
          events: { "tm.event": ["Tx"], "tx.height": ["2"] },
          seq: 1,
        },
      },
    ]);
    expect(() => hub.subscribeQuery(c, "tm.event='Tx'  AND  tx.height=2", 43)).toThrow(/already/);
    expect(hub.unsubscribeQuery(c, "tm.event='Tx' AND tx.height=02")).toBe(true);
    expect(hub.size).toBe(0);
  });

  it("limits subscriptions per connection", async () => {
    const hub = new SubscriptionHub({ maxSubscriptionsPerClient: 2 }, { logger: silentLogger });
    const c = new FakeConn("c");
    await hub.subscribeTopic(c, "blocks", undefined);
    hub.subscribeQuery(c, "tm.event='Tx'", 1);
    await expect(hub.subscribeTopic(c, "trades:BTC-USD", undefined)).rejects.toMatchObject({
      code: ErrorCode.TOO_LARGE,
    });
    expect(hub.unsubscribeAll(c)).toBe(2);
    await hub.subscribeTopic(c, "trades:BTC-USD", undefined);
  });

  it.each([
    ["a snapshot", true],
    ["the growing store", false],
  ])(
    "resume: no gap and no duplicate across the replay/live seam (replay reads %s)",
    async (_n, snapshot) => {
      // Heights 1..20 are committed; the subscriber resumes from 6. While the replay runs,
      // the node keeps committing and publishing 21..40 (commit, then publish, as the contract
      // says), interleaved with the replay's reads.
      const src = new MemorySource(snapshot);
      const hub = new SubscriptionHub({}, { logger: silentLogger, source: src });
      for (let h = 1; h <= 20; h++) src.commit("trades:BTC-USD", ev(h));
      let next = 21;
      const produce = () => {
        if (next > 40) return;
        const e = ev(next++);
        src.commit("trades:BTC-USD", e);
        hub.publish("trades:BTC-USD", e);
      };
      src.onYield = async (h) => {
        // around the replay's reads, new blocks land: sometimes before the replay reaches them
        // (replay delivers them and the live copy must be dropped), sometimes after.
        if (h % 3 === 0) produce();
        await Promise.resolve();
        if (h % 5 === 0) produce();
      };
      const c = new FakeConn("c");
      const sub = await hub.subscribeTopic(c, "trades:BTC-USD", 6);
      // a block lands between acknowledging and starting the replay
      produce();
      sub.start();
      await new Promise((r) => setTimeout(r, 20));
      while (next <= 40) produce();
      const heights = c.notes().map((n) => n.height);
      expect(heights).toEqual(Array.from({ length: 35 }, (_, i) => i + 6));
      expect(c.notes().map((n) => n.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    },
  );

  it("resume from a future height delivers from that height on", async () => {
    const src = new MemorySource();
    const hub = new SubscriptionHub({}, { logger: silentLogger, source: src });
    for (let h = 1; h <= 3; h++) src.commit("blocks", ev(h));
    const c = new FakeConn("c");
    (await hub.subscribeTopic(c, "blocks", 5)).start();
    await new Promise((r) => setTimeout(r, 5));
    for (let h = 4; h <= 6; h++) {
      src.commit("blocks", ev(h));
      hub.publish("blocks", ev(h));
    }
    expect(c.notes().map((n) => n.height)).toEqual([5, 6]);
  });

  it("snapshot then diffs: live events at or below the snapshot height are dropped", async () => {
    let tip = 10;
    let hub: SubscriptionHub | undefined;
    const source: ReplaySource = {
      async *replay() {},
      snapshot: async (topic) => {
        if (!topic.startsWith("book:")) return undefined;
        // while the snapshot is being read, block 11 commits and is published
        tip = 11;
        hub?.publish(topic, ev(11, "diff-11"));
        await Promise.resolve();
        return ev(tip, "snapshot-at-11");
      },
    };
    hub = new SubscriptionHub({}, { logger: silentLogger, source });
    const c = new FakeConn("c");
    (await hub.subscribeTopic(c, "book:BTC-USD", undefined)).start();
    await new Promise((r) => setTimeout(r, 5));
    hub.publish("book:BTC-USD", ev(12, "diff-12"));
    expect(c.notes().map((n) => [n.seq, n.height, n.data])).toEqual([
      [1, 11, "snapshot-at-11"],
      [2, 12, "diff-12"],
    ]);
    // a topic without a snapshot just goes live
    const d = new FakeConn("d");
    (await hub.subscribeTopic(d, "trades:BTC-USD", undefined)).start();
    await new Promise((r) => setTimeout(r, 5));
    hub.publish("trades:BTC-USD", ev(13));
    expect(d.notes().map((n) => n.height)).toEqual([13]);
  });

  it("live events piling up during a long replay close the connection with 4002", async () => {
    const src = new MemorySource();
    const hub = new SubscriptionHub({ maxPendingEvents: 5 }, { logger: silentLogger, source: src });
    for (let h = 1; h <= 3; h++) src.commit("blocks", ev(h));
    let release: () => void = () => {};
    src.onYield = () => new Promise<void>((r) => (release = r));
    const c = new FakeConn("c");
    (await hub.subscribeTopic(c, "blocks", 1)).start();
    await new Promise((r) => setTimeout(r, 5));
    for (let h = 4; h <= 10; h++) hub.publish("blocks", ev(h));
    expect(c.closedWith?.[0]).toBe(CloseCode.REPLAY_OVERFLOW);
    expect(c.closedWith?.[1]).toContain("replay overflow");
    expect(hub.size).toBe(0);
    release();
  });

  it("a failing replay source closes with 4003 and a reason", async () => {
    const hub = new SubscriptionHub(
      {},
      {
        logger: silentLogger,
        source: {
          // biome-ignore lint/correctness/useYield: a source that fails before yielding
          async *replay() {
            throw new Error("pruned");
          },
        },
      },
    );
    const c = new FakeConn("c");
    (await hub.subscribeTopic(c, "blocks", 1)).start();
    await new Promise((r) => setTimeout(r, 5));
    expect(c.closedWith?.[0]).toBe(CloseCode.REPLAY_FAILED);
  });

  it("a check hook rejects before acknowledging", async () => {
    const hub = new SubscriptionHub(
      {},
      {
        logger: silentLogger,
        source: {
          async *replay() {},
          check(topic) {
            if (topic === "trades:DOGE-USD") throw new Error("unknown");
          },
        },
      },
    );
    await expect(
      hub.subscribeTopic(new FakeConn("c"), "trades:DOGE-USD", undefined),
    ).rejects.toThrow();
  });
});

describe("subscriptions over WebSocket", () => {
  it("subscribe {topic, from}: ack, replay, then live, every notification with seq", async () => {
    const src = new MemorySource();
    for (let h = 1; h <= 5; h++) src.commit("blocks", ev(h));
    const srv = await startServer(new Router(), { rateLimit: null }, { replay: src });
    try {
      const c = await WsClient.connect(srv.wsUrl);
      const ack = await c.call("subscribe", { topic: "blocks", from: 3 });
      const id = (ack.result as { subscription: string }).subscription;
      expect(ack.result).toEqual({ subscription: id, topic: "blocks", from: 3 });
      await c.until(() => c.notifications().length === 3);
      for (let h = 6; h <= 7; h++) {
        src.commit("blocks", ev(h));
        srv.server.hub.publish("blocks", ev(h));
      }
      await c.until(() => c.notifications().length === 5);
      expect(c.notifications().map((n) => [n.seq, n.height])).toEqual([
        [1, 3],
        [2, 4],
        [3, 5],
        [4, 6],
        [5, 7],
      ]);
      // the ack came before the first notification
      const ackIdx = c.messages.findIndex((m) => (m as { id?: string }).id === "t1");
      const firstNote = c.messages.findIndex(
        (m) => (m as { method?: string }).method === "subscription",
      );
      expect(ackIdx).toBeLessThan(firstNote);
      expect((await c.call("unsubscribe", { subscription: id })).result).toEqual({});
      expect((await c.call("unsubscribe", { subscription: id })).error?.code).toBe(
        RpcCode.INVALID_PARAMS,
      );
      c.close();
    } finally {
      await srv.stop();
    }
  });

  it("CometBFT subscribe by query, events with the same id, unsubscribe_all", async () => {
    const srv = await startServer(new Router(), { rateLimit: null });
    try {
      const c = await WsClient.connect(srv.wsUrl);
      expect((await c.call("subscribe", { query: "tm.event='NewBlock'" })).result).toEqual({});
      srv.server.hub.publish(TM_NEW_BLOCK, {
        height: 1,
        data: { type: "tendermint/event/NewBlock", value: {} },
        events: { "tm.event": ["NewBlock"] },
      });
      await c.until((m) =>
        m.some((x) => (x as { result?: { query?: string } }).result?.query !== undefined),
      );
      const e = c.messages.find((x) => (x as { result?: { query?: string } }).result?.query) as {
        id: string;
        result: { seq: number };
      };
      expect(e.id).toBe("t1");
      expect(e.result.seq).toBe(1);
      expect(
        (await c.call("subscribe", { query: "tm.event='Tx' AND tx.height>1" })).error,
      ).toMatchObject({
        code: RpcCode.INVALID_PARAMS,
      });
      expect((await c.call("subscribe", {})).error?.message).toContain("query or topic");
      expect((await c.call("subscribe", { topic: "nope" })).error?.message).toContain("topic:");
      expect((await c.call("unsubscribe_all")).result).toEqual({});
      expect(srv.server.hub.size).toBe(0);
      c.close();
    } finally {
      await srv.stop();
    }
  });

  it("too many subscriptions on one connection get TOO_LARGE", async () => {
    const srv = await startServer(new Router(), { rateLimit: null, maxSubscriptionsPerClient: 2 });
    try {
      const c = await WsClient.connect(srv.wsUrl);
      expect((await c.call("subscribe", { topic: "blocks" })).result).toBeDefined();
      expect((await c.call("subscribe", { topic: "trades:BTC-USD" })).result).toBeDefined();
      const third = await c.call("subscribe", { topic: "book:BTC-USD" });
      expect(third.error).toMatchObject({ code: ErrorCode.TOO_LARGE });
      expect(third.error?.message).toContain("at most 2");
      c.close();
      await c.closed;
      await new Promise((r) => setTimeout(r, 20));
      expect(srv.server.hub.size).toBe(0);
    } finally {
      await srv.stop();
    }
  });

  it("a slow subscriber is closed with 4001 and a reason, never skipped", async () => {
    const srv = await startServer(new Router(), {
      rateLimit: null,
      wsOutboundBufferBytes: 256 * 1024,
      closeGraceMs: 10_000,
    });
    try {
      const c = await WsClient.connect(srv.wsUrl);
      await c.call("subscribe", { topic: "trades:BTC-USD" });
      // Stop reading: the kernel buffers fill, then the server's own buffer.
      const raw = (c.ws as unknown as { _socket: import("node:net").Socket })._socket;
      raw.pause();
      const payload = "x".repeat(64 * 1024);
      for (let h = 1; h <= 400 && srv.server.hub.size > 0; h++) {
        srv.server.hub.publish("trades:BTC-USD", ev(h, payload));
        await new Promise((r) => setImmediate(r));
      }
      expect(srv.server.hub.size).toBe(0);
      raw.resume();
      await c.closed;
      expect(c.closeCode).toBe(CloseCode.SLOW_CONSUMER);
      expect(c.closeReason).toContain("slow consumer");
      // Everything received before the close is contiguous: nothing was skipped.
      const seqs = c.notifications().map((n) => n.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    } finally {
      await srv.stop();
    }
  });
});
