import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { fastMsgId, msgId, type P2PHost } from "./host.js";
import { recorder, testHost, waitFor } from "./testing.js";

const hosts: P2PHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function started(h: P2PHost): Promise<P2PHost> {
  hosts.push(h);
  await h.start();
  return h;
}

describe("gossip", () => {
  it("three hosts joined by persistent peers deliver a tx batch to the others", async () => {
    const a = await started(testHost());
    const addrA = a.multiaddrs()[0]!;
    const b = await started(testHost({ persistentPeers: [addrA] }));
    const c = await started(testHost({ persistentPeers: [addrA] }));
    const ra = recorder();
    const rb = recorder();
    const rc = recorder();
    a.subscribe(a.topics.tx, ra.handler);
    b.subscribe(b.topics.tx, rb.handler);
    c.subscribe(c.topics.tx, rc.handler);
    await waitFor(() => a.peers().length === 2, "a to see b and c");
    await waitFor(
      // Relays forward to their mesh only, which forms at the next heartbeat; and each side
      // learns a subscription through the other's outbound stream, so b knowing a's means the
      // b -> a stream is open.
      () => b.topicPeers(b.topics.tx).includes(a.peerId) && a.meshPeers(a.topics.tx).length === 2,
      "subscriptions and mesh",
    );
    const batch = new TextEncoder().encode("batch-1");
    await b.publish(b.topics.tx, batch);
    await waitFor(
      () => ra.got.length === 1 && rc.got.length === 1,
      () =>
        `delivery to a and c ${ra.got.length} ${rc.got.length} ${a.meshPeers(a.topics.tx).length}`,
    );
    expect(ra.got[0]!.from).toBe(b.peerId);
    expect(rc.got[0]!.from).toBe(a.peerId); // relayed by a: b and c are not connected
    expect(Buffer.from(rc.got[0]!.data).toString()).toBe("batch-1");
    expect(rb.got).toHaveLength(0);
    expect(b.metrics.counters.gossip_out_messages[b.topics.tx]).toBe(1);
    expect(a.metrics.counters.gossip_in_messages[a.topics.tx]).toBe(1);
  });

  it("a burst larger than gossipsub's outbound buffer arrives whole (publish backpressure)", async () => {
    const a = await started(testHost());
    const b = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    let received = 0;
    a.subscribe(a.topics.tx, () => {
      received++;
      return "accept";
    });
    b.subscribe(b.topics.tx, recorder().handler);
    await waitFor(() => b.topicPeers(b.topics.tx).includes(a.peerId), "a's subscription at b");
    // 72 MiB: past the 56 MiB at which gossipsub would reset the stream for good.
    const batch = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 72; i++) {
      new DataView(batch.buffer).setUint32(0, i); // distinct messages
      await b.publish(b.topics.tx, batch);
    }
    await waitFor(
      () => received === 72,
      () => `all 72 batches (got ${received})`,
      20_000,
    );
    expect(b.peers()).toHaveLength(1);
  });

  it("publishing with no peers does not throw", async () => {
    const a = await started(testHost());
    expect(await a.publish(a.topics.consensus, new Uint8Array([1, 2, 3]))).toBe(0);
  });
});

describe("isolation and lifecycle", () => {
  it("hosts of different chains hang up on each other after identify", async () => {
    const a = await started(testHost({ chainId: "chain-a" }));
    expect(a.topics.tx).toBe("/perpetua/chain-a/tx/1");
    const connects: string[] = [];
    const disconnects: string[] = [];
    a.on("peer:connect", (p) => connects.push(p));
    a.on("peer:disconnect", (p) => disconnects.push(p));
    const b = await started(
      testHost({ chainId: "chain-b", persistentPeers: [a.multiaddrs()[0]!] }),
    );
    await waitFor(() => disconnects.length > 0, "a disconnect after identify");
    expect(connects[0]).toBe(b.peerId);
    // Requests need a protocol the other side does not have.
    const err = await b.requestBlocks(a.peerId, 1, 1).catch((e) => e);
    expect(err.code).toBe("unreachable");
  });

  it("a taken port fails start with the OS error and the host can start again", async () => {
    const a = await started(testHost());
    const port = a.multiaddrs()[0]!.split("/")[4];
    const b = testHost({ listen: `/ip4/127.0.0.1/tcp/${port}` });
    hosts.push(b);
    await expect(b.start()).rejects.toThrow();
    expect(b.multiaddrs()).toEqual([]);
    await a.stop();
    await b.start();
    expect(b.multiaddrs()[0]).toContain(`/tcp/${port}/`);
  });
});

describe("message ids", () => {
  const sha = (...parts: (string | Uint8Array)[]) => {
    const h = createHash("sha256");
    for (const p of parts) h.update(p);
    return h.digest();
  };

  it("are sha256(topic ‖ data), the fast one its base64, the digest reused once", () => {
    const data = new Uint8Array(50_000).map((_, i) => i * 7);
    const a = sha("/perpetua/tx", data);
    // Received: the fast id, then the full id of the same array.
    expect(fastMsgId("/perpetua/tx", data)).toBe(a.toString("base64"));
    expect(Buffer.from(msgId("/perpetua/tx", data))).toEqual(a);
    // Another topic for the same array is another message.
    expect(fastMsgId("/perpetua/tx", data)).toBe(a.toString("base64"));
    expect(Buffer.from(msgId("/perpetua/votes", data))).toEqual(sha("/perpetua/votes", data));
    // A buffer reused by a publisher: its id follows its bytes.
    data[0] ^= 1;
    expect(Buffer.from(msgId("/perpetua/tx", data))).toEqual(sha("/perpetua/tx", data));
    expect(fastMsgId("/perpetua/tx", data)).toBe(sha("/perpetua/tx", data).toString("base64"));
    expect(Buffer.from(msgId("/perpetua/tx", data.slice()))).toEqual(sha("/perpetua/tx", data));
    expect(fastMsgId(undefined, undefined)).toBe(sha("").toString("base64"));
    expect(fastMsgId("t", undefined)).toBe(sha("t").toString("base64"));
  });
});
