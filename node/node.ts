/**
 * A perpetua node: wiring and I/O around the pure state machine and consensus core.
 *
 *   config + genesis  ->  LevelDB (node/db)  ->  PerpetuaApp (state/) over its KvStore
 *   mempool (checkTx)  ->  consensus Driver (WAL, guarded signer, block store)
 *   libp2p host: consensus gossip + block sync (P2PTransport), tx gossip (TxGossip)
 *   oracle feed -> extendVote prices
 *   JSON-RPC server (CometBFT routes) + /metrics, events published after each commit
 *
 * Startup is CometBFT's handshake: the app reports its height and app hash; the driver
 * replays stored blocks the app has not applied, and refuses to run on a diverged app hash.
 * The genesis document's hash is recorded at first start and checked at every start.
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pino, { type Logger } from "pino";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ed25519Scheme } from "../consensus/crypto.js";
import { Driver } from "../consensus/driver.js";
import { FileSignerStorage } from "../consensus/signer/fileSignerStorage.js";
import { GuardedSigner } from "../consensus/signer/guardedSigner.js";
import { realTimers } from "../consensus/timers.js";
import { type Block, txHashes } from "../consensus/types/block.js";
import type { Commit } from "../consensus/types/commit.js";
import { FileWal } from "../consensus/wal/fileWal.js";
import { type ParsedGenesis, parseGenesis } from "../genesis/genesis.js";
import type { FinalizeBlockResponse } from "../lib/abci.js";
import { equalBytes, toHex } from "../lib/bytes.js";
import { setVerifyThreads } from "../lib/ed25519.js";
import { newBlockEvent, txEvent } from "../rpc/cometbft/events.js";
import { registerCometRoutes } from "../rpc/cometbft/index.js";
import { registerExchangeRoutes } from "../rpc/exchange/routes.js";
import { Router } from "../rpc/routes.js";
import { RpcServer } from "../rpc/server.js";
import { TM_NEW_BLOCK, TM_TX } from "../rpc/subscriptions.js";
import { PerpetuaApp } from "../state/app.js";
import { MemoryKvStore } from "../state/store/memoryKv.js";
import { NodeBlockStore } from "./blockStore.js";
import { NodeChainSource } from "./chainSource.js";
import {
  consensusTimeouts,
  homePaths,
  loadConfig,
  loadNodeKey,
  loadValidatorKey,
  type NodeConfig,
  readGenesisJson,
} from "./config/index.js";
import { NodeDb } from "./db/index.js";
import { NodeExchangeSource } from "./exchangeSource.js";
import { createOracleFeed, type OracleFeed } from "./feeds/index.js";
import { Mempool } from "./mempool/mempool.js";
import { P2PHost } from "./p2p/index.js";
import { P2PTransport } from "./transport.js";
import { TxGossip } from "./txGossip.js";

export interface NodeOptions {
  home: string;
  /** Overrides for tests. */
  logger?: Logger;
}

interface Waiter {
  resolve: (loc: { height: number; index: number }) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PerpetuaNode {
  readonly log: Logger;
  private db!: NodeDb;
  app!: PerpetuaApp;
  blocks!: NodeBlockStore;
  mempool!: Mempool;
  host!: P2PHost;
  driver!: Driver;
  rpc!: RpcServer;
  private feed!: OracleFeed;
  private transport!: P2PTransport;
  private chainSource!: NodeChainSource;
  exchange!: NodeExchangeSource;
  private txGossip!: TxGossip;
  private wal!: FileWal;
  genesis!: ParsedGenesis;
  config!: NodeConfig;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly registry = new Registry();
  private lastCommitAt = 0;
  private stopping = false;
  private metrics!: ReturnType<PerpetuaNode["makeMetrics"]>;

  constructor(private readonly opts: NodeOptions) {
    this.log = opts.logger ?? pino({ level: "info", base: { node: undefined } });
  }

  private makeMetrics() {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: "perpetua_process_" });
    return {
      height: new Gauge({
        name: "perpetua_consensus_height",
        help: "last committed height",
        registers: [r],
      }),
      round: new Gauge({ name: "perpetua_consensus_round", help: "current round", registers: [r] }),
      blockInterval: new Histogram({
        name: "perpetua_block_interval_seconds",
        help: "time between commits",
        buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10],
        registers: [r],
      }),
      txsPerBlock: new Histogram({
        name: "perpetua_block_txs",
        help: "transactions per block",
        buckets: [0, 1, 10, 100, 1000, 10000],
        registers: [r],
      }),
      mempoolSize: new Gauge({
        name: "perpetua_mempool_size",
        help: "transactions in the mempool",
        registers: [r],
      }),
      peers: new Gauge({ name: "perpetua_p2p_peers", help: "connected peers", registers: [r] }),
      checkTxRejected: new Counter({
        name: "perpetua_checktx_rejected_total",
        help: "checkTx rejections by code",
        labelNames: ["code"],
        registers: [r],
      }),
      gossipIn: new Gauge({
        name: "perpetua_gossip_txs_received",
        help: "transactions received by gossip",
        registers: [r],
      }),
      compactRebuilt: new Gauge({
        name: "perpetua_compact_blocks_rebuilt",
        help: "compact proposals rebuilt from the mempool (and fetched txs)",
        registers: [r],
      }),
      compactTxsFetched: new Gauge({
        name: "perpetua_compact_block_txs_fetched",
        help: "transactions fetched from peers to rebuild compact proposals",
        registers: [r],
      }),
      gossipOut: new Gauge({
        name: "perpetua_gossip_txs_published",
        help: "transactions published by gossip",
        registers: [r],
      }),
    };
  }

  async start(): Promise<void> {
    const home = this.opts.home;
    const paths = homePaths(home);
    this.config = await loadConfig(home);
    if (!this.opts.logger) this.log.level = this.config.log.level;
    setVerifyThreads(this.config.mempool.verifyThreads);
    this.genesis = parseGenesis(await readGenesisJson(home));
    const g = this.genesis.initChain;
    this.metrics = this.makeMetrics();

    mkdirSync(dirname(paths.db), { recursive: true, mode: 0o700 });
    this.db = await NodeDb.open({ path: paths.db }, { logger: this.log });
    const storedGenesis = await this.db.meta.genesisHash();
    if (storedGenesis && !equalBytes(storedGenesis, this.genesis.hash)) {
      throw new Error(
        `genesis.json changed since this node started (stored ${toHex(storedGenesis)}): refusing to start`,
      );
    }
    if (!storedGenesis) {
      const b = this.db.batch();
      this.db.meta.stageGenesisHash(b, this.genesis.hash);
      await this.db.write(b);
    }

    this.app = await PerpetuaApp.open(this.db.state);
    // The genesis app hash is a pure function of genesis: recompute it on a scratch store.
    const scratch = await PerpetuaApp.open(new MemoryKvStore());
    const genesisAppHash = (await scratch.initChain(g)).appHash;
    if (this.app.info().height === 0 && this.app.info().appHash.length === 0) {
      const res = await this.app.initChain(g);
      this.log.info(
        { appHash: toHex(res.appHash), chainId: g.chainId },
        "initialized chain from genesis",
      );
    }
    this.blocks = await NodeBlockStore.open(this.db);
    const appInfo = this.app.info();
    if (appInfo.height > this.blocks.height()) {
      throw new Error(
        `the application is at height ${appInfo.height} but the block store only has ${this.blocks.height()}: the data directory is inconsistent; restore a backup or reset the node`,
      );
    }

    const nodeKey = await loadNodeKey(home, { logger: this.log });
    const validatorKey = await loadValidatorKey(home, { logger: this.log });
    const validatorIndex = g.validators.findIndex((v) =>
      equalBytes(v.pubKey, validatorKey.publicKey),
    );

    this.mempool = new Mempool(this.config.mempool, {
      checkTx: (tx, mode) => {
        const r = this.app.checkTx(tx, mode);
        if (!r.ok) this.metrics.checkTxRejected.inc({ code: String(r.code) });
        return r;
      },
    });
    this.host = new P2PHost(
      {
        chainId: g.chainId,
        nodeKey: nodeKey.seed,
        listen: this.config.p2p.listen,
        persistentPeers: this.config.p2p.peers,
      },
      {
        logger: this.log.child({ module: "p2p" }),
        status: () => ({
          height: this.blocks.height(),
          earliestHeight: this.blocks.height() > 0 ? 1 : 0,
        }),
      },
    );
    const transport = new P2PTransport(this.host, this.blocks, this.log.child({ module: "sync" }), {
      get: (h) => this.mempool.get(h) ?? this.txGossip.arrivingTx(h),
      flushGossip: () => this.txGossip.flush(),
    });
    this.transport = transport;
    this.txGossip = new TxGossip(
      this.host,
      this.mempool,
      this.log.child({ module: "txgossip" }),
      50,
      (txs) => this.app.preverify(txs),
    );
    // Peers rebuilding a compact proposal fetch the txs they miss: from the mempool or
    // the transactions of recent proposals.
    this.host.setTxSource((hashes) =>
      hashes
        .map((h) => transport.lookupTx(toHex(h).toUpperCase()))
        .filter((t): t is Uint8Array => t !== undefined),
    );

    this.feed = createOracleFeed(this.config.oracle.sources, {
      validatorIndex: validatorIndex < 0 ? 0 : validatorIndex,
      epochMs: g.genesisTimeMs,
      logger: this.log.child({ module: "oracle" }),
    });

    mkdirSync(dirname(paths.wal), { recursive: true, mode: 0o700 });
    this.wal = new FileWal(paths.wal);
    const signer =
      validatorIndex >= 0
        ? new GuardedSigner(
            g.chainId,
            validatorKey.seed,
            ed25519Scheme,
            new FileSignerStorage(paths.signerState),
          )
        : null;
    this.driver = new Driver(
      {
        chainId: g.chainId,
        initialHeight: g.initialHeight,
        genesisTimeMs: g.genesisTimeMs,
        genesisValidators: g.validators.map((v) => ({ pubKey: v.pubKey, power: v.power })),
        genesisAppHash,
        timeouts: consensusTimeouts(this.config),
        maxBlockBytes: g.consensusParams.maxBlockBytes,
        maxBlockTxs: g.consensusParams.maxBlockTxs,
        voteExtensionsEnableHeight: g.consensusParams.voteExtensionsEnableHeight,
      },
      {
        app: this.app,
        transport,
        timers: realTimers,
        wal: this.wal,
        signer,
        blockStore: this.blocks,
        scheme: ed25519Scheme,
        mempool: {
          reap: (maxBytes, maxTxs) => this.mempool.reap(maxBytes, maxTxs),
          committed: (height, txs) => {
            this.mempool.update(height, txs);
          },
        },
        prices: () => this.feed.prices(),
        logger: this.log.child({ module: "consensus" }),
        onCommit: (block, commit, result) => this.onCommit(block, commit, result),
      },
    );

    const source = new NodeChainSource({
      genesis: this.genesis,
      blocks: this.blocks,
      db: this.db,
      app: this.app,
      mempool: this.mempool,
      host: this.host,
      moniker: this.config.moniker,
      rpcAddress: `tcp://${this.config.rpc.listen}`,
      p2pListen: this.config.p2p.listen,
      nodePublicKey: nodeKey.publicKey,
      validatorPublicKey: validatorIndex >= 0 ? validatorKey.publicKey : null,
      submit: (tx) => this.submit(tx),
      waitForTx: (hash, timeoutMs) => this.waitForTx(hash, timeoutMs),
      catchingUp: () => this.catchingUp(),
    });
    this.chainSource = source;
    const router = new Router();
    registerCometRoutes(router, source, {
      maxTxBytes: this.config.mempool.maxTxBytes,
      broadcastTxCommitTimeoutMs: 30_000,
    });
    this.exchange = new NodeExchangeSource({
      app: this.app,
      blocks: this.blocks,
      logger: this.log.child({ module: "exchange" }),
    });
    await this.exchange.start();
    registerExchangeRoutes(router, this.exchange);
    const [host, port] = splitHostPort(this.config.rpc.listen);
    this.rpc = new RpcServer(
      {
        host,
        port,
        maxBodyBytes: this.config.rpc.maxBodyBytes,
        maxBatch: this.config.rpc.maxBatch,
        maxConnections: this.config.rpc.maxConnections,
        maxSubscriptionsPerClient: this.config.rpc.maxSubscriptionsPerClient,
        corsOrigins: this.config.rpc.corsOrigins,
      },
      {
        logger: this.log.child({ module: "rpc" }),
        router,
        metricsText: () => this.metricsText(),
        replay: this.exchange,
      },
    );

    await this.host.start();
    this.feed.start();
    this.txGossip.start();
    await this.rpc.start();
    await this.driver.start();
    this.lastCommitAt = Date.now();
    this.log.info(
      {
        height: this.blocks.height(),
        rpc: this.config.rpc.listen,
        p2p: this.config.p2p.listen,
        peerId: this.host.peerId,
        validator: validatorIndex >= 0,
      },
      "node started",
    );
  }

  private catchingUp(): boolean {
    let best = 0;
    for (const p of this.host.peers()) {
      const h = this.host.peerStatus(p.peerId)?.height ?? 0;
      if (h > best) best = h;
    }
    return best > this.blocks.height() + 1;
  }

  private async metricsText(): Promise<string> {
    this.metrics.round.set(this.driver.round);
    this.metrics.mempoolSize.set(this.mempool.size());
    this.metrics.peers.set(this.host.peers().length);
    this.metrics.gossipIn.set(this.txGossip.received);
    this.metrics.compactRebuilt.set(this.transport.stats.compactRebuilt);
    this.metrics.compactTxsFetched.set(this.transport.stats.txsFetched);
    this.metrics.gossipOut.set(this.txGossip.published);
    return this.registry.metrics();
  }

  /** Adds a transaction from RPC to the mempool and, if accepted, gossips it. */
  async submit(tx: Uint8Array): Promise<{ code: number; log: string }> {
    await this.app.preverify([tx]);
    const r = this.mempool.add(tx);
    if (r.added) this.txGossip.enqueue(tx);
    return { code: r.code, log: r.log };
  }

  private waitForTx(hash: string, timeoutMs: number): Promise<{ height: number; index: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(hash) ?? [];
        this.waiters.set(
          hash,
          list.filter((w) => w.timer !== timer),
        );
        reject(new Error(`timed out waiting for tx ${hash} to be committed`));
      }, timeoutMs);
      const list = this.waiters.get(hash) ?? [];
      list.push({ resolve, reject, timer });
      this.waiters.set(hash, list);
    });
  }

  private onCommit(block: Block, _commit: Commit, result: FinalizeBlockResponse): void {
    const height = block.header.height;
    const now = Date.now();
    this.metrics.height.set(height);
    this.metrics.blockInterval.observe((now - this.lastCommitAt) / 1000);
    this.metrics.txsPerBlock.observe(block.txs.length);
    this.lastCommitAt = now;
    const hashes = txHashes(block.txs).map((h) => toHex(h).toUpperCase());
    hashes.forEach((h, index) => {
      const ws = this.waiters.get(h);
      if (!ws) return;
      this.waiters.delete(h);
      for (const w of ws) {
        clearTimeout(w.timer);
        w.resolve({ height, index });
      }
    });
    // Events for subscribers (after the commit, so a resumption replay sees this block).
    this.publishEvents(height, block, result);
    this.log.info(
      { height, txs: block.txs.length, appHash: toHex(result.appHash).slice(0, 16) },
      "committed block",
    );
  }

  private publishEvents(height: number, block: Block, result: FinalizeBlockResponse): void {
    const hub = this.rpc.hub;
    this.exchange.onCommit(hub, block, result);
    if (hub.hasSubscribers(TM_NEW_BLOCK)) {
      const source = this.chainSource;
      const bv = source.block(height);
      const rv = source.blockResults(height);
      if (bv && rv) hub.publish(TM_NEW_BLOCK, newBlockEvent(bv, rv));
    }
    if (hub.hasSubscribers(TM_TX)) {
      block.txs.forEach((tx, index) => {
        const t = result.txResults[index];
        hub.publish(
          TM_TX,
          txEvent({
            height,
            index,
            tx,
            result: { code: t.code, data: t.data, log: t.log, events: t.events },
          }),
        );
      });
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({}, "stopping");
    this.driver?.stop();
    await this.driver?.drain().catch(() => undefined);
    this.txGossip?.stop();
    this.feed?.stop();
    await this.rpc?.stop().catch(() => undefined);
    await this.host?.stop().catch(() => undefined);
    this.wal?.close();
    await this.db?.close().catch(() => undefined);
    for (const ws of this.waiters.values()) for (const w of ws) clearTimeout(w.timer);
    this.log.info({}, "stopped");
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
