import { peerIdFromString } from "@libp2p/peer-id";
import { afterEach, describe, expect, it } from "vitest";
import { encode } from "../../lib/cbor.js";
import { sha256 } from "../../lib/hash.js";
import { encodeFrame, FrameReader } from "./frames.js";
import type { P2PHost } from "./host.js";
import { decodeResponseFrame, P2PRequestError, RemoteErrorCode } from "./reqresp.js";
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

/** A fake `block+commit` record: height in the first 4 bytes, then `size - 4` filler bytes. */
function record(height: number, size = 64): Uint8Array {
  const r = new Uint8Array(size).fill(height & 0xff);
  new DataView(r.buffer).setUint32(0, height);
  return r;
}

const TIP = 100;

/** A server with blocks 1..TIP and a client connected to it. */
async function pair(serverOpts: Parameters<typeof testHost>[0] = {}) {
  const served: { fromHeight: number; count: number }[] = [];
  const server = await started(
    testHost(serverOpts, {
      blocks: async function* (fromHeight, count) {
        served.push({ fromHeight, count });
        for (let h = fromHeight; h < fromHeight + count && h <= TIP; h++) yield record(h);
      },
      status: () => ({ height: TIP, earliestHeight: 1 }),
    }),
  );
  const client = await started(testHost({ persistentPeers: [server.multiaddrs()[0]!] }));
  await waitFor(() => client.peers().length === 1, "connection");
  return { server, client, served };
}

/** Sends raw bytes on a protocol from `from` to `to` and returns the decoded response frames. */
async function raw(from: P2PHost, to: P2PHost, protocol: string, bytes: Uint8Array) {
  const stream = await from.libp2p!.dialProtocol(peerIdFromString(to.peerId), protocol);
  stream.send(bytes);
  await stream.close();
  const reader = new FrameReader(stream);
  const frames = [];
  for (;;) {
    const f = await reader.next(1 << 20);
    if (f === null) break;
    frames.push(decodeResponseFrame(f));
  }
  return frames;
}

describe("block sync /perpetua/<chainId>/sync/1", () => {
  it("returns what the server's block source serves, in order", async () => {
    const { server, client, served } = await pair();
    const got = await client.requestBlocks(server.peerId, 10, 5);
    expect(got.map((r) => new DataView(r.buffer, r.byteOffset).getUint32(0))).toEqual([
      10, 11, 12, 13, 14,
    ]);
    expect(served).toEqual([{ fromHeight: 10, count: 5 }]);
    // Near the tip the server has fewer than asked: a short answer is not an error.
    expect(await client.requestBlocks(server.peerId, 98, 5)).toHaveLength(3);
    expect(await client.requestBlocks(server.peerId, 101, 5)).toHaveLength(0);
  });

  it("enforces limits on both sides", async () => {
    const { server, client } = await pair({ limits: { maxBlocksPerRequest: 8 } });
    // Client side: a request above its own limit never leaves (default 64 here).
    await expect(client.requestBlocks(server.peerId, 1, 65)).rejects.toThrow(/count/);
    await expect(client.requestBlocks(server.peerId, 0, 1)).rejects.toThrow(/fromHeight/);
    // Server side: its limit is 8, so 9 is a bad request, answered with an error.
    const err = await client.requestBlocks(server.peerId, 1, 9).catch((e) => e);
    expect(err).toBeInstanceOf(P2PRequestError);
    expect(err.code).toBe("remote");
    expect(err.remoteCode).toBe(RemoteErrorCode.BAD_REQUEST);
  });

  it("a record larger than the client's limit is a protocol error that penalizes the server", async () => {
    const server = await started(testHost({}, { blocks: () => [record(1, 64), record(2, 4096)] }));
    const client = await started(
      testHost({ persistentPeers: [server.multiaddrs()[0]!], limits: { maxBlockBytes: 1024 } }),
    );
    await waitFor(() => client.peers().length === 1, "connection");
    const err = await client.requestBlocks(server.peerId, 1, 2).catch((e) => e);
    expect(err).toBeInstanceOf(P2PRequestError);
    expect(err.code).toBe("protocol");
    expect(client.peerScore(server.peerId).penaltyPoints).toBeGreaterThan(0);
  });

  it("a malformed or oversize request gets an error answer and the server keeps serving", async () => {
    const { server, client } = await pair();
    const protocol = server.protocols.sync;
    const garbage = await raw(client, server, protocol, encodeFrame(new Uint8Array([0xff, 0x00])));
    expect(garbage).toHaveLength(1);
    expect(garbage[0]).toMatchObject({ kind: "error", code: RemoteErrorCode.BAD_REQUEST });

    const wrongShape = await raw(client, server, protocol, encodeFrame(encode({ from: 1 })));
    expect(wrongShape[0]).toMatchObject({ kind: "error", code: RemoteErrorCode.BAD_REQUEST });

    // A length prefix announcing 16 MiB: refused after reading 4 bytes.
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, 16 << 20);
    const oversize = await raw(client, server, protocol, prefix);
    expect(oversize[0]).toMatchObject({ kind: "error", code: RemoteErrorCode.BAD_REQUEST });

    expect(server.peerScore(client.peerId).penaltyPoints).toBeGreaterThanOrEqual(59);
    expect(server.metrics.counters.penalties).toMatchObject({
      malformed_request: 2,
      oversize_frame: 1,
    });
    // Still serving, and still serving this peer (below the ban threshold).
    expect(await client.requestBlocks(server.peerId, 1, 2)).toHaveLength(2);
  });

  it("limits concurrent requests per peer", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const server = await started(
      testHost(
        { limits: { maxInboundPerPeer: { sync: 1, txs: 4, status: 2 } } },
        {
          blocks: async function* (fromHeight) {
            await gate;
            yield record(fromHeight);
          },
        },
      ),
    );
    const client = await started(testHost({ persistentPeers: [server.multiaddrs()[0]!] }));
    await waitFor(() => client.peers().length === 1, "connection");
    const first = client.requestBlocks(server.peerId, 1, 1);
    await waitFor(
      () => (server.metrics.counters.reqresp_in_requests[server.protocols.sync] ?? 0) === 1,
      "first request at the server",
    );
    const second = await client.requestBlocks(server.peerId, 2, 1).catch((e) => e);
    expect(second).toBeInstanceOf(P2PRequestError);
    expect(second.remoteCode).toBe(RemoteErrorCode.BUSY);
    // The client's own limit (2 per peer by default) fails fast without a stream.
    const third = client.requestBlocks(server.peerId, 3, 1).catch((e) => e);
    const fourth = await client.requestBlocks(server.peerId, 4, 1).catch((e) => e);
    expect(fourth.code).toBe("busy");
    release();
    expect(await first).toHaveLength(1);
    await third; // BUSY or served, depending on whether the first had finished
  });

  it("times out a server that never answers", async () => {
    const server = await started(
      testHost(
        {},
        {
          blocks: async function* () {
            await new Promise((r) => setTimeout(r, 2_000));
          },
        },
      ),
    );
    const client = await started(
      testHost({
        persistentPeers: [server.multiaddrs()[0]!],
        limits: { timeoutMs: { sync: 300, txs: 300, status: 300 } },
      }),
    );
    await waitFor(() => client.peers().length === 1, "connection");
    const t0 = Date.now();
    const err = await client.requestBlocks(server.peerId, 1, 1).catch((e) => e);
    expect(err.code).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(5_000); // not the server's 20 s deadline
  });
});

describe("tx fetch /perpetua/<chainId>/txs/1", () => {
  it("returns the transactions the peer holds among the hashes asked", async () => {
    const pool = new Map<string, Uint8Array>();
    const tx1 = new TextEncoder().encode("tx-one");
    const tx2 = new TextEncoder().encode("tx-two");
    for (const tx of [tx1, tx2]) pool.set(Buffer.from(sha256(tx)).toString("hex"), tx);
    const server = await started(
      testHost(
        {},
        {
          txs: (hashes) =>
            hashes.flatMap((h) => {
              const tx = pool.get(Buffer.from(h).toString("hex"));
              return tx ? [tx] : [];
            }),
        },
      ),
    );
    const client = await started(testHost({ persistentPeers: [server.multiaddrs()[0]!] }));
    await waitFor(() => client.peers().length === 1, "connection");
    const missing = sha256(new TextEncoder().encode("nobody has this"));
    const got = await client.fetchTxs(server.peerId, [sha256(tx2), missing, sha256(tx1)]);
    expect(got.map((t) => new TextDecoder().decode(t))).toEqual(["tx-two", "tx-one"]);
    await expect(client.fetchTxs(server.peerId, [new Uint8Array(31)])).rejects.toThrow(/32 bytes/);
  });

  it("a transaction that was not asked for is a protocol error", async () => {
    const server = await started(testHost({}, { txs: () => [new Uint8Array([1, 2, 3])] }));
    const client = await started(testHost({ persistentPeers: [server.multiaddrs()[0]!] }));
    await waitFor(() => client.peers().length === 1, "connection");
    const err = await client.fetchTxs(server.peerId, [new Uint8Array(32)]).catch((e) => e);
    expect(err.code).toBe("protocol");
    expect(client.peerScore(server.peerId).penaltyPoints).toBeGreaterThan(0);
  });
});

describe("status /perpetua/<chainId>/status/1", () => {
  it("peers exchange status on connect so a node knows it is behind", async () => {
    const server = await started(
      testHost({}, { status: () => ({ height: 42, earliestHeight: 1 }) }),
    );
    const client = testHost(
      { persistentPeers: [server.multiaddrs()[0]!] },
      { status: () => ({ height: 7, earliestHeight: 1 }) },
    );
    const seen: number[] = [];
    client.on("peer:status", (_peer, status) => seen.push(status.height));
    await started(client);
    await waitFor(() => seen.length > 0, "status from the server");
    expect(seen[0]).toBe(42);
    await waitFor(() => server.peerStatus(client.peerId)?.height === 7, "status at the server");
    expect(client.peers()[0]!.status).toEqual({
      chainId: "perpetua-test",
      height: 42,
      earliestHeight: 1,
    });
    expect(await client.requestStatus(server.peerId)).toMatchObject({ height: 42 });
  });
});
