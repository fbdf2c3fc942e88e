import { afterEach, describe, expect, it } from "vitest";
import type { P2PHost } from "./host.js";
import { generateNodeKey, peerIdFromNodeKey } from "./keys.js";
import { testHost, waitFor } from "./testing.js";

const hosts: P2PHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function started(h: P2PHost): Promise<P2PHost> {
  hosts.push(h);
  await h.start();
  return h;
}

describe("persistent peers", () => {
  it("reconnect after the peer restarts on the same port and key", async () => {
    const keyB = generateNodeKey();
    const b1 = await started(testHost({ nodeKey: keyB }));
    const addrB = b1.multiaddrs()[0]!; // /ip4/127.0.0.1/tcp/<port>/p2p/<id>
    const port = addrB.split("/")[4];
    const a = await started(testHost({ persistentPeers: [addrB], reconnectMaxMs: 1_000 }));
    await waitFor(() => a.peers().length === 1, "first connection");
    expect(a.peers()[0]).toMatchObject({ peerId: b1.peerId, persistent: true });
    const events: string[] = [];
    a.on("peer:connect", (p) => events.push(`connect ${p}`));
    a.on("peer:disconnect", (p) => events.push(`disconnect ${p}`));

    await b1.stop();
    await waitFor(() => a.peers().length === 0, "disconnect seen by a");
    // Down long enough for a few failed redials (100, 200, 400 ms ...).
    await new Promise((r) => setTimeout(r, 800));
    const b2 = await started(testHost({ nodeKey: keyB, listen: `/ip4/127.0.0.1/tcp/${port}` }));
    expect(b2.peerId).toBe(b1.peerId);
    // Backoff is capped at 1 s in this test, so a redial lands within ~1 s of b2 listening;
    // the 5 s bound leaves room for a loaded machine.
    await waitFor(() => a.peers().length === 1, "reconnection within the backoff cap", 5_000);
    expect(events).toEqual([`disconnect ${b1.peerId}`, `connect ${b1.peerId}`]);
  });

  it("dial a persistent peer that is not up yet at start", async () => {
    const keyB = generateNodeKey();
    // Find a free port by letting the OS choose, then release it.
    const probe = await started(testHost());
    const port = probe.multiaddrs()[0]!.split("/")[4];
    await probe.stop();
    const addrB = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromNodeKey(keyB)}`;
    const a = await started(testHost({ persistentPeers: [addrB] }));
    await new Promise((r) => setTimeout(r, 300));
    expect(a.peers()).toHaveLength(0);
    await started(testHost({ nodeKey: keyB, listen: `/ip4/127.0.0.1/tcp/${port}` }));
    await waitFor(() => a.peers().length === 1, "connection once b is up", 5_000);
  });
});

describe("manual partition", () => {
  it("ban cuts a persistent link both ways until unban heals it", async () => {
    const a = await started(testHost());
    const b = await started(testHost({ persistentPeers: [a.multiaddrs()[0]!] }));
    await waitFor(() => a.peers().length === 1 && b.peers().length === 1, "connection");
    b.ban(a.peerId, "partition", 60_000);
    await waitFor(() => a.peers().length === 0 && b.peers().length === 0, "partition");
    await new Promise((r) => setTimeout(r, 300)); // b's redials are held back by the ban
    expect(b.peers()).toHaveLength(0);
    b.unban(a.peerId);
    await waitFor(() => b.peers().length === 1, "healed", 5_000);
  });
});
