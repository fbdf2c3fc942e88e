/**
 * Fault tests with real processes (issue 5): a partition that isolates 2 of 4 validators
 * (their processes frozen with SIGSTOP) stops commits and commits resume after healing;
 * a node killed right before and right after a height's single atomic batch (block,
 * results, state) recovers to the same app hash; a byzantine peer gossiping garbage, forged and oversize messages is
 * graylisted while the chain keeps going; /metrics serves Prometheus text.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateNodeKey, P2PHost } from "../node/p2p/index.js";
import { type RunningTestnet, startLiveTestnet } from "./helpers/testnet.js";

let net: RunningTestnet;

beforeAll(async () => {
  net = await startLiveTestnet();
}, 90_000);

afterAll(async () => {
  for (const p of net?.procs ?? []) p?.kill("SIGCONT");
  await net?.stopAll();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function appHashAt(i: number, h: number): Promise<string> {
  const b = (await net.rpc(i, "block", { height: String(h) })) as {
    block: { header: { app_hash: string } };
  };
  return b.block.header.app_hash;
}

describe("faults with real processes", () => {
  it("isolating 2 of 4 validators stops commits; healing resumes them", async () => {
    net.procs[2]!.kill("SIGSTOP");
    net.procs[3]!.kill("SIGSTOP");
    await sleep(1500); // let the in-flight height finish
    const frozenAt = await net.height(0);
    await sleep(3000);
    expect(await net.height(0)).toBeLessThanOrEqual(frozenAt + 1);
    net.procs[2]!.kill("SIGCONT");
    net.procs[3]!.kill("SIGCONT");
    await net.waitHeight(0, frozenAt + 3, 30_000);
    await net.waitHeight(3, frozenAt + 3, 30_000);
  }, 60_000);

  it.each(["before-batch", "after-batch"])(
    "a node killed at the crash point %s recovers to the same app hash",
    async (point) => {
      const target = (await net.height(1)) + 3;
      await net.kill(1, "SIGTERM");
      net.start(1, { PERPETUA_CRASH_POINT: `${point}:${target}` });
      const code = await net.exited(1);
      expect(code).toBe(86);
      net.start(1);
      await net.waitHeight(1, target + 2, 30_000);
      for (const h of [target, target + 1])
        expect(await appHashAt(1, h)).toBe(await appHashAt(0, h));
    },
    90_000,
  );

  it("a byzantine peer gossiping garbage, forged and oversize messages is graylisted; the chain keeps going", async () => {
    const peerId = net.layout.nodes[0].peerId;
    const addr = `${net.layout.nodes[0].p2p}/p2p/${peerId}`;
    const evil = new P2PHost(
      {
        chainId: net.layout.chainId,
        nodeKey: generateNodeKey(),
        listen: "/ip4/127.0.0.1/tcp/0",
        persistentPeers: [addr],
        reconnectInitialMs: 60_000,
      },
      { logger: pino({ level: "silent" }) },
    );
    await evil.start();
    try {
      const until = Date.now() + 10_000;
      while (evil.peers().length === 0 && Date.now() < until) await sleep(100);
      expect(evil.peers().length).toBe(1);
      await sleep(1500); // mesh forms at the next heartbeat
      const h0 = await net.height(0);
      for (let k = 0; k < 40 && evil.peers().length > 0; k++) {
        await evil
          .publish(evil.topics.consensus, new Uint8Array([0xff, k, 1, 2, 3]))
          .catch(() => 0);
        await evil.publish(evil.topics.tx, new Uint8Array([0x81, 0x43, k, k, k])).catch(() => 0); // a tx batch of garbage bytes
        await sleep(50);
      }
      const banUntil = Date.now() + 15_000;
      while (evil.peers().length > 0 && Date.now() < banUntil) await sleep(200);
      expect(evil.peers().length, "the node should have dropped the byzantine peer").toBe(0);
      await net.waitHeight(0, h0 + 3, 20_000);
    } finally {
      await evil.stop();
    }
  }, 60_000);

  it("serves Prometheus metrics", async () => {
    const text = await (await fetch(`${net.layout.nodes[0].rpc}/metrics`)).text();
    for (const m of [
      "perpetua_consensus_height",
      "perpetua_mempool_size",
      "perpetua_p2p_peers",
      "perpetua_block_interval_seconds",
      "perpetua_checktx_rejected_total",
    ]) {
      expect(text).toContain(m);
    }
    // Proposals travel as compact blocks and are rebuilt by the other validators.
    const rebuilt = /perpetua_compact_blocks_rebuilt (\d+)/.exec(text);
    expect(Number(rebuilt?.[1])).toBeGreaterThan(0);
  });
});
