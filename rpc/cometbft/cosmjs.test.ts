/**
 * Acceptance: a real CometBFT client (@cosmjs/tendermint-rpc's Comet38Client, over HTTP and
 * WebSocket) decodes what our encoders produce, served by our RpcServer.
 */
import { Comet38Client, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../lib/bytes.js";
import { Router } from "../routes.js";
import { TM_NEW_BLOCK, TM_TX } from "../subscriptions.js";
import { http, type Running, startServer } from "../testkit.js";
import { newBlockEvent, txEvent } from "./events.js";
import {
  blockAt,
  CHAIN_ID,
  commitAt,
  FOUR_VALIDATORS,
  GENESIS,
  resultsAt,
  statusAt,
  txAt,
  txsAt,
} from "./fixtures.js";
import { type ChainSource, registerCometRoutes } from "./routes.js";
import { txHash } from "./tx.js";

const LATEST = 5;

function memoryChain(): ChainSource {
  const byHash = new Map<string, [number, number]>();
  for (let h = 1; h <= LATEST; h++) {
    txsAt(h).forEach((tx, i) => {
      byHash.set(toHex(txHash(tx)), [h, i]);
    });
  }
  return {
    heights: () => ({ base: 1, latest: LATEST }),
    status: () => statusAt(LATEST),
    netInfo: () => ({
      listening: true,
      listeners: ["/ip4/127.0.0.1/tcp/26656"],
      peers: [
        {
          nodeInfo: statusAt(LATEST).nodeInfo,
          isOutbound: true,
          remoteIp: "127.0.0.1",
          connectedMs: 1500,
        },
      ],
    }),
    genesis: () => GENESIS,
    block: (h) => blockAt(h),
    blockResults: (h) => resultsAt(h),
    commit: (h) => ({ header: blockAt(h).header, commit: commitAt(h), canonical: h < LATEST }),
    validators: () => FOUR_VALIDATORS,
    tx: (hash) => {
      const at = byHash.get(toHex(hash));
      return at ? txAt(at[0], at[1]) : undefined;
    },
    checkTx: (tx) => ({ code: tx.length > 100 ? 106 : 0, log: tx.length > 100 ? "too large" : "" }),
    broadcastTx: (tx) => ({ code: tx[0] === 0 ? 102 : 0, log: tx[0] === 0 ? "bad signature" : "" }),
    broadcastTxCommit: () => ({
      check: { code: 0, log: "" },
      committed: { height: 6, result: resultsAt(2).txResults[0] },
    }),
    mempool: () => ({ count: 3, totalBytes: 300 }),
  };
}

describe("@cosmjs/tendermint-rpc Comet38Client against our encoders", () => {
  let srv: Running;
  let client: Comet38Client;
  beforeAll(async () => {
    const router = new Router();
    registerCometRoutes(router, memoryChain());
    srv = await startServer(router, { rateLimit: null });
    client = await Comet38Client.connect(srv.url);
  });
  afterAll(async () => {
    client.disconnect();
    await srv.stop();
  });

  it("status", async () => {
    const s = await client.status();
    expect(s.nodeInfo.network).toBe(CHAIN_ID);
    expect(s.nodeInfo.protocolVersion).toEqual({ p2p: 8, block: 11, app: 1 });
    expect(s.syncInfo.latestBlockHeight).toBe(LATEST);
    expect(s.syncInfo.latestBlockHash).toEqual(blockAt(LATEST).blockId.hash);
    expect(s.syncInfo.latestBlockTime.getTime()).toBe(blockAt(LATEST).header.timeMs);
    expect(s.syncInfo.earliestBlockHeight).toBe(1);
    expect(s.syncInfo.catchingUp).toBe(false);
    expect(s.validatorInfo.pubkey?.algorithm).toBe("ed25519");
    expect(s.validatorInfo.pubkey?.data).toEqual(FOUR_VALIDATORS[0].pubKey);
    expect(s.validatorInfo.votingPower).toBe(10n);
  });

  it("block (latest, a given height, and the first block)", async () => {
    const b = await client.block();
    expect(b.block.header.height).toBe(LATEST);
    const b3 = await client.block(3);
    const want = blockAt(3);
    expect(b3.blockId.hash).toEqual(want.blockId.hash);
    expect(b3.blockId.parts.total).toBe(1);
    expect(b3.block.header.chainId).toBe(CHAIN_ID);
    expect(b3.block.header.time.getTime()).toBe(want.header.timeMs);
    expect(b3.block.header.appHash).toEqual(want.header.appHash);
    expect(b3.block.header.proposerAddress).toEqual(want.header.proposerAddress);
    expect(b3.block.header.lastBlockId?.hash).toEqual(blockAt(2).blockId.hash);
    expect(b3.block.txs).toEqual(txsAt(3));
    expect(b3.block.lastCommit?.height).toBe(2);
    expect(b3.block.lastCommit?.signatures).toHaveLength(4);
    expect(b3.block.lastCommit?.signatures[0].signature).toHaveLength(64);
    expect(b3.block.lastCommit?.signatures[3].blockIdFlag).toBe(1);
    const b1 = await client.block(1);
    expect(b1.block.header.lastBlockId).toBeNull();
    expect(b1.block.lastCommit).toBeNull();
    expect(b1.block.txs).toEqual([]);
  });

  it("block beyond the tip is an error", async () => {
    await expect(client.block(99)).rejects.toThrow(/height/);
  });

  it("validators and validatorsAll", async () => {
    const v = await client.validators({ height: 3 });
    expect(v.blockHeight).toBe(3);
    expect(v.count).toBe(4);
    expect(v.total).toBe(4);
    expect(v.validators[1].address).toEqual(FOUR_VALIDATORS[1].address);
    expect(v.validators[1].votingPower).toBe(11n);
    expect(v.validators[0].proposerPriority).toBe(-2);
    const page = await client.validators({ height: 3, page: 2, per_page: 3 });
    expect(page.count).toBe(1);
    const all = await client.validatorsAll(3);
    expect(all.validators).toHaveLength(4);
  });

  it("blockResults with tx results, events, validator and consensus updates", async () => {
    const r3 = await client.blockResults(3);
    expect(r3.height).toBe(3);
    expect(r3.results).toHaveLength(2);
    expect(r3.results[0].code).toBe(0);
    expect(r3.results[0].data).toEqual(utf8("result-3-0"));
    expect(r3.results[0].events[0]).toEqual({
      type: "fill",
      attributes: [
        { key: "market", value: "BTC-USD" },
        { key: "price", value: "50000.5" },
      ],
    });
    expect(r3.results[1].code).toBe(301);
    expect(r3.finalizeBlockEvents[0].type).toBe("oracle");
    expect(r3.validatorUpdates[0].pubkey.data).toEqual(FOUR_VALIDATORS[0].pubKey);
    expect(r3.validatorUpdates[0].votingPower).toBe(20n);
    const r4 = await client.blockResults(4);
    expect(r4.consensusUpdates?.block?.maxBytes).toBe(4 * 1024 * 1024);
  });

  it("broadcastTxSync (accepted and rejected)", async () => {
    const tx = utf8("a transaction");
    const ok = await client.broadcastTxSync({ tx });
    expect(ok.code).toBe(0);
    expect(ok.hash).toEqual(txHash(tx));
    const bad = await client.broadcastTxSync({ tx: new Uint8Array([0, 1, 2]) });
    expect(bad.code).toBe(102);
    expect(bad.log).toBe("bad signature");
    const asyncR = await client.broadcastTxAsync({ tx });
    expect(asyncR.hash).toEqual(txHash(tx));
  });

  it("broadcastTxCommit", async () => {
    const r = await client.broadcastTxCommit({ tx: utf8("commit me") });
    expect(r.height).toBe(6);
    expect(r.checkTx.code).toBe(0);
    expect(r.txResult?.code).toBe(0);
  });

  it("tx by hash", async () => {
    const tx = txsAt(4)[1];
    const r = await client.tx({ hash: txHash(tx) });
    expect(r.height).toBe(4);
    expect(r.index).toBe(1);
    expect(r.tx).toEqual(tx);
    expect(r.result.code).toBe(301);
    await expect(client.tx({ hash: new Uint8Array(32) })).rejects.toThrow(/not found/);
  });

  it("blockchain, commit, genesis, health, numUnconfirmedTxs", async () => {
    const bc = await client.blockchain(2, 4);
    expect(bc.lastHeight).toBe(LATEST);
    expect(bc.blockMetas.map((m) => m.header.height)).toEqual([4, 3, 2]);
    expect(bc.blockMetas[0].numTxs).toBe(2);
    expect(bc.blockMetas[0].blockSize).toBe(1004);
    const c = await client.commit(4);
    expect(c.canonical).toBe(true);
    expect(c.header.height).toBe(4);
    expect(c.commit.height).toBe(4);
    expect(c.commit.blockId.hash).toEqual(blockAt(4).blockId.hash);
    const g = await client.genesis();
    expect(g.chainId).toBe(CHAIN_ID);
    expect(g.validators).toHaveLength(4);
    expect(g.consensusParams.block?.maxBytes).toBe(4 * 1024 * 1024);
    expect(g.genesisTime.getTime()).toBe(GENESIS.genesisTimeMs);
    expect(await client.health()).toBeNull();
    const m = await client.numUnconfirmedTxs();
    expect(m).toEqual({ total: 3, totalBytes: 300 });
  });

  it("URI form serves the same shapes (GET /block?height=2, /tx?hash=0x…)", async () => {
    const r = await http(srv.port, "GET", "/block?height=2");
    const j = r.json() as { id: number; result: { block: { header: { height: string } } } };
    expect(j.id).toBe(-1);
    expect(j.result.block.header.height).toBe("2");
    const hash = toHex(txHash(txsAt(2)[0])).toUpperCase();
    const t = await http(srv.port, "GET", `/tx?hash=0x${hash}`);
    expect((t.json() as { result: { hash: string; height: string } }).result).toMatchObject({
      hash,
      height: "2",
    });
    const net = await http(srv.port, "GET", "/net_info");
    expect((net.json() as { result: { n_peers: string } }).result.n_peers).toBe("1");
  });

  it("subscribeNewBlock and subscribeTx over WebSocket decode our events", async () => {
    const ws = Comet38Client.create(new WebsocketClient(`ws://127.0.0.1:${srv.port}`));
    try {
      const blocks: number[] = [];
      const txs: { height: number; hash: Uint8Array }[] = [];
      const errors: unknown[] = [];
      const s1 = ws.subscribeNewBlock().subscribe({
        next: (b) => blocks.push(b.header.height),
        error: (e) => errors.push(e),
      });
      const s2 = ws.subscribeTx("tx.height=4").subscribe({
        next: (t) => txs.push({ height: t.height, hash: t.hash }),
        error: (e) => errors.push(e),
      });
      // wait until both subscriptions are registered on the server
      const deadline = Date.now() + 5_000;
      while (srv.server.hub.size < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(srv.server.hub.size).toBe(2);
      for (let h = 3; h <= 4; h++) {
        srv.server.hub.publish(TM_NEW_BLOCK, newBlockEvent(blockAt(h), resultsAt(h)));
        for (let i = 0; i < txsAt(h).length; i++)
          srv.server.hub.publish(TM_TX, txEvent(txAt(h, i)));
      }
      while ((blocks.length < 2 || txs.length < 2) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(errors).toEqual([]);
      expect(blocks).toEqual([3, 4]);
      expect(txs.map((t) => t.height)).toEqual([4, 4]);
      expect(txs[0].hash).toEqual(txHash(txsAt(4)[0]));
      s1.unsubscribe();
      s2.unsubscribe();
    } finally {
      ws.disconnect();
    }
  });
});
