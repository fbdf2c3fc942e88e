import { afterEach, describe, expect, it } from "vitest";
import type { P2PHost } from "./host.js";
import { SCORE_THRESHOLDS } from "./scoring.js";
import { recorder, testHost, waitFor } from "./testing.js";
import { KiB } from "./topics.js";

const hosts: P2PHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function started(h: P2PHost): Promise<P2PHost> {
  hosts.push(h);
  await h.start();
  return h;
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("gossip validation and peer scoring", () => {
  it("a rejected message is not relayed, and repeated rejects graylist and ban the sender", async () => {
    // b -> a -> c in a line; a's validator rejects everything from the byzantine b.
    const a = await started(testHost());
    const b = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    const c = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    const ra = recorder("reject");
    const rc = recorder();
    a.subscribe(a.topics.tx, ra.handler);
    b.subscribe(b.topics.tx, recorder().handler);
    c.subscribe(c.topics.tx, rc.handler);
    await waitFor(
      () => b.topicPeers(b.topics.tx).includes(a.peerId) && a.meshPeers(a.topics.tx).length === 2,
      "subscriptions and mesh",
    );
    const banned: string[] = [];
    a.on("peer:banned", (peer, reason) => banned.push(`${peer}:${reason}`));

    await b.publish(b.topics.tx, bytes("garbage-0"));
    await waitFor(() => ra.got.length === 1, "a to validate the first message");
    // One invalid delivery costs topicWeight × weight × 1² = -50.
    await waitFor(() => a.peerScore(b.peerId).gossip < 0, "b's score at a to drop");
    expect(a.peerScore(c.peerId).gossip).toBeGreaterThanOrEqual(0);

    // 18 invalid messages on one topic put b below the graylist threshold (scoring.ts).
    for (let i = 1; i < 20; i++) await b.publish(b.topics.tx, bytes(`garbage-${i}`));
    await waitFor(() => banned.length > 0, "a to ban b", 5_000);
    expect(banned).toEqual([`${b.peerId}:graylisted`]);
    expect(a.peerScore(b.peerId).gossip).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold);
    expect(a.isBanned(b.peerId)).toBe(true);
    await waitFor(() => !a.peers().some((p) => p.peerId === b.peerId), "b disconnected");
    expect(rc.got).toHaveLength(0); // nothing b sent got past a
    expect(a.metrics.counters.gossip_rejected[a.topics.tx]).toBeGreaterThanOrEqual(18);

    // b's persistent-peer redials are refused while the ban lasts.
    await new Promise((r) => setTimeout(r, 400));
    expect(a.peers().some((p) => p.peerId === b.peerId)).toBe(false);
  });

  it("an oversize message is rejected before the handler sees it", async () => {
    const a = await started(testHost({ topicMaxBytes: { tx: 1 * KiB } }));
    const b = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    const ra = recorder();
    a.subscribe(a.topics.tx, ra.handler);
    b.subscribe(b.topics.tx, recorder().handler);
    await waitFor(() => a.topicPeers(a.topics.tx).includes(b.peerId), "b's subscription at a");
    await waitFor(() => b.topicPeers(b.topics.tx).includes(a.peerId), "a's subscription at b");
    await b.publish(b.topics.tx, new Uint8Array(2 * KiB));
    await waitFor(() => (a.metrics.counters.gossip_rejected[a.topics.tx] ?? 0) === 1, "reject");
    await b.publish(b.topics.tx, new Uint8Array(1 * KiB)); // at the limit: accepted
    await waitFor(() => ra.got.length === 1, "the message at the limit");
    expect(ra.got[0]!.data.length).toBe(1 * KiB);
    await waitFor(() => a.peerScore(b.peerId).gossip < 0, "b's score to drop");
    // The sender's own limit refuses before sending.
    await expect(a.publish(a.topics.tx, new Uint8Array(2 * KiB))).rejects.toThrow(/exceeds/);
  });

  it("local penalties lower the gossip score and ban at the threshold", async () => {
    const a = await started(testHost());
    const b = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    await waitFor(() => a.peers().length === 1, "connection");
    a.penalize(b.peerId, "malformed_request");
    expect(a.peerScore(b.peerId).penaltyPoints).toBeCloseTo(20, 0);
    expect(a.isBanned(b.peerId)).toBe(false);
    a.penalize(b.peerId, "wrong_chain");
    expect(a.isBanned(b.peerId)).toBe(true);
    await waitFor(() => a.peers().length === 0, "disconnect");
  });
});
