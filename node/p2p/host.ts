/**
 * The libp2p host of a perpetua node: TCP + Noise + Yamux, identify, ping, gossipsub for
 * transactions and consensus messages, and request-response protocols for block sync, tx
 * fetch (compact blocks) and status. See README.md in this folder for the wire contract.
 *
 * The host knows nothing of blocks or transactions: gossip handlers, the block source, the tx
 * source and the status source are callbacks the node plugs in. What the host owns is the
 * peers: persistent peers are redialed with exponential backoff, misbehaving peers lose score
 * (gossipsub's for gossip, a local one for request-response), and a peer whose gossip score
 * falls below the graylist threshold or whose local penalties reach `BAN_POINTS` is
 * disconnected and refused for `banMs`.
 */
import "./polyfill.js";
import { createHash, randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import {
  type GossipSub,
  gossipsub,
  type Message,
  StrictNoSign,
  TopicValidatorResult,
} from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import type { Logger } from "pino";
import { decode, encode } from "../../lib/cbor.js";
import { sha256OfImmutable } from "../../lib/hash.js";
import { peerIdFromNodeKey, privateKeyFromNodeKey } from "./keys.js";
import { P2PMetrics, type P2PMetricsSink } from "./metrics.js";
import {
  BusyError,
  DEFAULT_REQRESP_LIMITS,
  type ItemSource,
  maxRequestBytes,
  maxResponseFrameBytes,
  P2PRequestError,
  type PeerStatus,
  type ReqRespLimits,
  requestItems,
  type ServeSpec,
  StatusSchema,
  serveStream,
  syncRequestSchema,
  txsRequestSchema,
} from "./reqresp.js";
import { peerScoreParams, SCORE_THRESHOLDS } from "./scoring.js";
import {
  checkChainId,
  DEFAULT_TOPIC_MAX_BYTES,
  KiB,
  MiB,
  type ProtocolKind,
  protocolId,
  TOPIC_KINDS,
  type TopicKind,
  topicName,
} from "./topics.js";

/** What a gossip handler decides; it is also gossipsub's validation result for the message. */
export type Verdict = "accept" | "reject" | "ignore";

/**
 * Validates and consumes one gossip message. "accept" forwards it to other peers; "ignore"
 * drops it without penalty (duplicate, stale, state-dependent failure); "reject" drops it and
 * counts an invalid delivery against `from` (bad encoding, bad signature). `from` is the peer
 * that relayed the message, not necessarily its author (messages are unsigned at this layer).
 */
export type GossipHandler = (
  data: Uint8Array,
  from: string,
  topic: string,
) => Verdict | Promise<Verdict>;

/** Serves `count` consecutive `block+commit` records from `fromHeight` (fewer if it has fewer). */
export type BlockSource = (fromHeight: number, count: number) => Promise<ItemSource> | ItemSource;
/** Returns the transactions it holds among `hashes` (in any order, missing ones omitted). */
export type TxSource = (hashes: Uint8Array[]) => Promise<ItemSource> | ItemSource;
/** This node's chain position, for the status exchange. */
export type StatusSource = () => { height: number; earliestHeight: number };

export interface P2PHostOptions {
  chainId: string;
  /** 32-byte ed25519 seed, or a libp2p protobuf-encoded ed25519 private key (keys.ts). */
  nodeKey: Uint8Array;
  /** Listen multiaddrs; default `/ip4/127.0.0.1/tcp/26656`. */
  listen?: string | string[];
  /** Multiaddrs ending in `/p2p/<peerId>`, dialed at start and redialed when lost. */
  persistentPeers?: string[];
  /** Backoff of persistent-peer redials: first delay, doubling up to the cap. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Per-topic-kind gossip size limits (defaults in topics.ts). */
  topicMaxBytes?: Partial<Record<TopicKind, number>>;
  /** Request-response limits (defaults in reqresp.ts). */
  limits?: Partial<ReqRespLimits>;
  /** How long a banned peer is refused. Default 10 minutes. */
  banMs?: number;
  /** How often to re-ask connected peers for their status; 0 turns polling off. Default 10 s. */
  statusIntervalMs?: number;
  /** Gossipsub heartbeat. Default 1000 ms (the score decay interval assumes 1 s). */
  heartbeatMs?: number;
  /** Connections above which libp2p prunes. Default 64. */
  maxConnections?: number;
  /** Inbound connections per second accepted from one IP (libp2p's default is 5). */
  inboundConnectionThreshold?: number;
}

export interface P2PHostDeps {
  logger: Logger;
  metrics?: P2PMetricsSink;
  blocks?: BlockSource;
  txs?: TxSource;
  status?: StatusSource;
}

export interface PeerInfo {
  peerId: string;
  /** Remote address of the first open connection. */
  addr: string;
  direction: "inbound" | "outbound";
  persistent: boolean;
  /** Last status the peer reported, if any. */
  status?: PeerStatus;
}

export interface P2PHostEvents {
  "peer:connect": [peerId: string];
  "peer:disconnect": [peerId: string];
  "peer:status": [peerId: string, status: PeerStatus];
  "peer:banned": [peerId: string, reason: string];
}

/** Local penalty points by reason. `BAN_POINTS` in total (after decay) bans the peer. */
export const PENALTY_POINTS: Readonly<Record<string, number>> = {
  malformed_request: 20,
  malformed_response: 20,
  oversize_frame: 20,
  wrong_chain: 100,
  timeout: 2,
};
export const BAN_POINTS = 100;
/** Local penalty points halve every 10 minutes. */
const PENALTY_HALF_LIFE_MS = 10 * 60_000;
/** Local points → gossipsub application score: 40 points put a peer at the gossip threshold. */
const APP_SCORE_PER_POINT = -100;

interface PersistentPeer {
  peerId: PeerId;
  addrs: Multiaddr[];
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  dialing: boolean;
}

type Services = { pubsub: GossipSub; identify: Identify; ping: Ping };

/** Gossipsub's class has these; its exported interface does not declare them. */
interface GossipSubInternals {
  getScore(peerId: string): number;
  getMeshPeers(topic: string): string[];
  /** Peers that speak gossipsub, and our one outbound gossip stream to each. */
  readonly peers: Map<string, PeerId>;
  readonly streamsOutbound: Map<string, { rawStream: Stream }>;
}

/**
 * Gossip bytes queued to one peer above which `publish` waits. Gossipsub resets an outbound
 * stream whose queue passes `maxOutboundBufferSize` and does not reopen it while the
 * connection lives, so a burst of large publishes must not get there.
 */
const PUBLISH_BACKLOG_BYTES = 8 * MiB;
/** The longest `publish` waits for a backlog to drain before sending anyway. */
const PUBLISH_BACKLOG_WAIT_MS = 10_000;
/** Heartbeats a gossipsub peer may go without an outbound stream before we reconnect. */
const MISSING_STREAM_HEARTBEATS = 3;

export class P2PHost extends EventEmitter<P2PHostEvents> {
  readonly chainId: string;
  readonly peerId: string;
  /** Topic names of this chain. */
  readonly topics: Readonly<Record<TopicKind, string>>;
  /** Protocol ids of this chain. */
  readonly protocols: Readonly<Record<ProtocolKind, string>>;
  readonly metrics: P2PMetrics;
  readonly limits: ReqRespLimits;

  private readonly log: Logger;
  private readonly opts: P2PHostOptions;
  private readonly topicLimit = new Map<string, number>();
  private readonly handlers = new Map<string, GossipHandler>();
  private readonly persistent = new Map<string, PersistentPeer>();
  private readonly penalties = new Map<string, { points: number; at: number }>();
  private readonly bans = new Map<string, number>();
  private readonly statuses = new Map<string, PeerStatus>();
  private readonly inflight = new Map<string, number>();
  private readonly missingStream = new Map<string, number>();
  private blockSource: BlockSource | undefined;
  private txSource: TxSource | undefined;
  private statusSource: StatusSource;
  private node: Libp2p<Services> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(opts: P2PHostOptions, deps: P2PHostDeps) {
    super();
    checkChainId(opts.chainId);
    this.opts = opts;
    this.chainId = opts.chainId;
    // Computed eagerly so the node can log and advertise its id before the host starts.
    this.peerId = peerIdFromNodeKey(opts.nodeKey);
    this.log = deps.logger.child({ module: "p2p" });
    this.metrics = new P2PMetrics(deps.metrics);
    this.limits = {
      ...DEFAULT_REQRESP_LIMITS,
      ...opts.limits,
      timeoutMs: { ...DEFAULT_REQRESP_LIMITS.timeoutMs, ...opts.limits?.timeoutMs },
      maxInboundPerPeer: {
        ...DEFAULT_REQRESP_LIMITS.maxInboundPerPeer,
        ...opts.limits?.maxInboundPerPeer,
      },
      maxOutboundPerPeer: {
        ...DEFAULT_REQRESP_LIMITS.maxOutboundPerPeer,
        ...opts.limits?.maxOutboundPerPeer,
      },
    };
    this.blockSource = deps.blocks;
    this.txSource = deps.txs;
    this.statusSource = deps.status ?? (() => ({ height: 0, earliestHeight: 0 }));
    const topics = {} as Record<TopicKind, string>;
    for (const kind of TOPIC_KINDS) {
      topics[kind] = topicName(opts.chainId, kind);
      this.topicLimit.set(
        topics[kind],
        opts.topicMaxBytes?.[kind] ?? DEFAULT_TOPIC_MAX_BYTES[kind],
      );
    }
    this.topics = topics;
    this.protocols = {
      sync: protocolId(opts.chainId, "sync"),
      txs: protocolId(opts.chainId, "txs"),
      status: protocolId(opts.chainId, "status"),
    };
    for (const addr of opts.persistentPeers ?? []) {
      const ma = multiaddr(addr);
      const id = ma.getComponents().find((c) => c.name === "p2p")?.value;
      if (id === undefined) throw new TypeError(`persistent peer ${addr}: missing /p2p/<peerId>`);
      const peerId = peerIdFromString(id);
      if (peerId.toString() === this.peerId) continue; // a shared peer list may name us
      const entry = this.persistent.get(peerId.toString());
      if (entry) entry.addrs.push(ma);
      else {
        this.persistent.set(peerId.toString(), {
          peerId,
          addrs: [ma],
          attempt: 0,
          timer: undefined,
          dialing: false,
        });
      }
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.running) return;
    const topicNames = [...this.topicLimit.keys()];
    const maxTopicBytes = Math.max(...this.topicLimit.values());
    const listen = this.opts.listen ?? "/ip4/127.0.0.1/tcp/26656";
    const node = await createLibp2p<Services>({
      start: false,
      privateKey: privateKeyFromNodeKey(this.opts.nodeKey),
      addresses: { listen: Array.isArray(listen) ? listen : [listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: {
        maxConnections: this.opts.maxConnections ?? 64,
        inboundConnectionThreshold: this.opts.inboundConnectionThreshold ?? 20,
        dialTimeout: 5_000,
      },
      connectionGater: {
        // Loopback and private addresses are how validators of one operator meet.
        denyDialMultiaddr: () => false,
        denyDialPeer: (peerId) => this.isBanned(peerId.toString()),
        denyInboundEncryptedConnection: (peerId) => this.isBanned(peerId.toString()),
        denyOutboundEncryptedConnection: (peerId) => this.isBanned(peerId.toString()),
      },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          fallbackToFloodsub: false,
          floodPublish: true,
          emitSelf: false,
          heartbeatInterval: this.opts.heartbeatMs ?? 1000,
          allowedTopics: topicNames,
          // Whole RPC frames: room for two maximal messages plus control; each message is then
          // held to its topic's limit by the validator.
          maxInboundDataLength: 2 * maxTopicBytes + 64 * KiB,
          maxOutboundBufferSize: PUBLISH_BACKLOG_BYTES + 4 * maxTopicBytes + 32 * MiB,
          // IDONTWANT: on receipt, tell the other mesh peers not to forward this message to
          // us. Validation (signature checks) delays forwarding by milliseconds, so most
          // duplicates of a tx batch are never sent: at 1,000 tx/s on a 4-validator testnet
          // the median commit latency went from ~620 to ~390 ms (bench:chain). Below 512
          // bytes (votes) the control entry costs about what it saves.
          idontwantMinDataSize: 512,
          fastMsgIdFn: (msg) => fastMsgId(msg.topic, msg.data),
          msgIdFn: (msg) => msgId(msg.topic, msg.data),
          scoreParams: peerScoreParams(topicNames, (p) => this.appSpecificScore(p)),
          scoreThresholds: SCORE_THRESHOLDS,
        }),
      },
    });
    this.node = node;
    node.addEventListener("peer:connect", (e) => this.onConnect(e.detail));
    node.addEventListener("peer:disconnect", (e) => this.onDisconnect(e.detail));
    node.addEventListener("peer:identify", (e) => {
      const { peerId, protocols, connection } = e.detail;
      if (protocols.includes(this.protocols.status)) return;
      // Not a node of this chain (protocol ids carry the chain id): free the slot.
      const id = peerId.toString();
      const level = this.persistent.has(id) ? "warn" : "debug";
      this.log[level]({ peer: id }, `peer does not speak ${this.protocols.status}: disconnecting`);
      connection.close().catch(() => {});
    });
    node.services.pubsub.addEventListener("gossipsub:heartbeat", () => {
      this.banGraylisted();
      this.repairGossipStreams();
    });
    await this.handleProtocols(node);
    try {
      await node.start();
    } catch (err) {
      // e.g. the listen port is taken: leave the host as it was, startable again.
      this.node = undefined;
      await Promise.resolve(node.stop()).catch(() => {});
      throw err;
    }
    // Gossipsub refuses subscriptions before it has started.
    for (const [topic, handler] of this.handlers) this.attach(node, topic, handler);
    this.running = true;
    for (const p of this.persistent.values()) {
      await node.peerStore.merge(p.peerId, {
        multiaddrs: p.addrs.map(stripPeerId),
        // The connection pruner closes low-value connections first when over maxConnections.
        tags: { "perpetua-persistent": { value: 100 } },
      });
      this.scheduleDial(p, 0);
    }
    const statusEvery = this.opts.statusIntervalMs ?? 10_000;
    if (statusEvery > 0) {
      this.statusTimer = setInterval(() => this.pollStatuses(), statusEvery);
      this.statusTimer.unref();
    }
    this.log.info(
      { peerId: this.peerId, listen: this.multiaddrs(), persistentPeers: this.persistent.size },
      "p2p host started",
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.statusTimer);
    for (const p of this.persistent.values()) {
      clearTimeout(p.timer);
      p.timer = undefined;
      p.attempt = 0;
    }
    const node = this.node;
    this.node = undefined;
    await node?.stop();
    this.statuses.clear();
    this.inflight.clear();
    this.log.info({ peerId: this.peerId }, "p2p host stopped");
  }

  /** The libp2p node while running: for metrics, diagnostics and tests, not for the node. */
  get libp2p(): Libp2p<Services> | undefined {
    return this.node;
  }

  /** Listen addresses with `/p2p/<peerId>`, as other nodes put them in their peer lists. */
  multiaddrs(): string[] {
    return this.node?.getMultiaddrs().map((m) => m.toString()) ?? [];
  }

  // ---- peers -------------------------------------------------------------------------------

  peers(): PeerInfo[] {
    const node = this.node;
    if (!node) return [];
    const out: PeerInfo[] = [];
    for (const peer of node.getPeers()) {
      const id = peer.toString();
      const conn = node.getConnections(peer)[0];
      if (!conn) continue;
      const info: PeerInfo = {
        peerId: id,
        addr: conn.remoteAddr.toString(),
        direction: conn.direction,
        persistent: this.persistent.has(id),
      };
      const status = this.statuses.get(id);
      if (status) info.status = status;
      out.push(info);
    }
    return out;
  }

  /** Dials a peer once (not redialed when lost; use persistentPeers for that). */
  async dial(addr: string): Promise<void> {
    const node = this.requireNode();
    await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5_000) });
  }

  async disconnect(peerId: string): Promise<void> {
    await this.node?.hangUp(peerIdFromString(peerId));
  }

  /** Last status reported by a peer. */
  peerStatus(peerId: string): PeerStatus | undefined {
    return this.statuses.get(peerId);
  }

  /** Gossipsub's score of a peer and the local penalty points behind its application score. */
  peerScore(peerId: string): { gossip: number; penaltyPoints: number } {
    const gs = this.node?.services.pubsub as unknown as GossipSubInternals | undefined;
    return { gossip: gs?.getScore(peerId) ?? 0, penaltyPoints: this.penaltyPoints(peerId) };
  }

  isBanned(peerId: string): boolean {
    const until = this.bans.get(peerId);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.bans.delete(peerId);
    return false;
  }

  /**
   * Counts misbehaviour against a peer (default points by reason, see PENALTY_POINTS). Points
   * lower its gossip score through the application-specific score and ban it at BAN_POINTS.
   */
  penalize(peerId: string, reason: string, points = PENALTY_POINTS[reason] ?? 10): void {
    const now = Date.now();
    const total = this.penaltyPoints(peerId, now) + points;
    this.penalties.set(peerId, { points: total, at: now });
    this.metrics.inc("penalties", reason);
    this.log.debug({ peer: peerId, reason, points: total }, "peer penalized");
    if (total >= BAN_POINTS) this.ban(peerId, reason);
  }

  /**
   * Disconnects a peer and refuses it for `durationMs` (default `banMs`). Also the way to cut
   * a link on purpose, e.g. to partition a test network; `unban` heals it.
   */
  ban(peerId: string, reason: string, durationMs = this.opts.banMs ?? 10 * 60_000): void {
    if (this.isBanned(peerId)) return;
    const banMs = durationMs;
    this.bans.set(peerId, Date.now() + banMs);
    this.metrics.inc("bans", reason);
    this.log.warn({ peer: peerId, reason, banMs }, "peer banned");
    this.emit("peer:banned", peerId, reason);
    this.node?.hangUp(peerIdFromString(peerId)).catch(() => {});
  }

  /** Lifts a ban and forgets local penalties; a persistent peer is redialed at once. */
  unban(peerId: string): void {
    this.bans.delete(peerId);
    this.penalties.delete(peerId);
    const p = this.persistent.get(peerId);
    if (p && this.running) {
      clearTimeout(p.timer);
      p.timer = undefined;
      p.attempt = 0;
      this.scheduleDial(p, 0);
    }
  }

  // ---- gossip ------------------------------------------------------------------------------

  /**
   * Subscribes to one of `this.topics`; `handler` validates and consumes each message (it is
   * gossipsub's topic validator). Can be called before or after start. One handler per topic.
   */
  subscribe(topic: string, handler: GossipHandler): void {
    if (!this.topicLimit.has(topic)) throw new TypeError(`unknown topic ${topic}`);
    this.handlers.set(topic, handler);
    if (this.node && this.running) this.attach(this.node, topic, handler);
  }

  unsubscribe(topic: string): void {
    this.handlers.delete(topic);
    if (!this.node) return;
    this.node.services.pubsub.topicValidators.delete(topic);
    this.node.services.pubsub.unsubscribe(topic);
  }

  /**
   * Publishes to a topic; returns how many peers it was sent to (0 without peers is not an
   * error). Throws on an unknown topic, oversize data, or a stopped host.
   */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    const limit = this.topicLimit.get(topic);
    if (limit === undefined) throw new TypeError(`unknown topic ${topic}`);
    if (data.length > limit) {
      throw new RangeError(`${topic}: message of ${data.length} bytes exceeds ${limit}`);
    }
    const node = this.requireNode();
    await this.waitForGossipBacklog();
    const res = await node.services.pubsub.publish(topic, data);
    this.metrics.inc("gossip_out_messages", topic);
    this.metrics.inc("gossip_out_bytes", topic, data.length);
    return res.recipients.length;
  }

  /** Peers known to be subscribed to a topic. */
  topicPeers(topic: string): string[] {
    return this.node?.services.pubsub.getSubscribers(topic).map((p) => p.toString()) ?? [];
  }

  /** Peers in this node's gossipsub mesh for a topic. */
  meshPeers(topic: string): string[] {
    const gs = this.node?.services.pubsub as unknown as GossipSubInternals | undefined;
    return gs?.getMeshPeers(topic) ?? [];
  }

  // ---- request-response: client ------------------------------------------------------------

  /** Asks a peer for `count` records from `fromHeight`; at most `count`, each within limits. */
  async requestBlocks(peerId: string, fromHeight: number, count: number): Promise<Uint8Array[]> {
    const req = { fromHeight, count };
    syncRequestSchema(this.limits).parse(req, "sync request");
    return this.request(peerId, "sync", encode(req), count, this.limits.maxSyncResponseBytes);
  }

  /**
   * Asks a peer for the transactions with these hashes (sha256 of the tx bytes). Returns the
   * ones it had; a transaction whose hash was not asked for is a protocol error.
   */
  async fetchTxs(peerId: string, hashes: Uint8Array[]): Promise<Uint8Array[]> {
    const req = { hashes };
    txsRequestSchema(this.limits).parse(req, "txs request");
    const txs = await this.request(
      peerId,
      "txs",
      encode(req),
      hashes.length,
      this.limits.maxTxsResponseBytes,
    );
    const wanted = new Set(hashes.map(hexKey));
    for (const tx of txs) {
      if (!wanted.delete(hexKey(sha256OfImmutable(tx)))) {
        this.penalize(peerId, "malformed_response");
        throw new P2PRequestError("protocol", `${this.protocols.txs}: unrequested transaction`);
      }
    }
    return txs;
  }

  /** Exchanges status with a peer: sends ours, returns and records theirs. */
  async requestStatus(peerId: string): Promise<PeerStatus> {
    const [item] = await this.request(peerId, "status", encode(this.localStatus()), 1, 4 * KiB);
    if (item === undefined) {
      this.penalize(peerId, "malformed_response");
      throw new P2PRequestError("protocol", `${this.protocols.status}: empty response`);
    }
    let status: PeerStatus;
    try {
      status = StatusSchema.parse(decode(item), "status");
    } catch (e) {
      this.penalize(peerId, "malformed_response");
      throw new P2PRequestError("protocol", `${this.protocols.status}: ${(e as Error).message}`);
    }
    this.recordStatus(peerId, status);
    return status;
  }

  private async request(
    peerId: string,
    kind: ProtocolKind,
    body: Uint8Array,
    maxItems: number,
    maxTotalBytes: number,
  ): Promise<Uint8Array[]> {
    const node = this.node;
    if (!node) throw new P2PRequestError("closed", "p2p host is not running");
    const protocol = this.protocols[kind];
    const key = `out:${kind}:${peerId}`;
    const n = this.inflight.get(key) ?? 0;
    if (n >= this.limits.maxOutboundPerPeer[kind]) {
      throw new P2PRequestError("busy", `${protocol}: ${n} requests in flight to ${peerId}`);
    }
    this.inflight.set(key, n + 1);
    this.metrics.inc("reqresp_out_requests", protocol);
    const frameLimit = maxResponseFrameBytes(kind, this.limits);
    try {
      return await requestItems(
        async (signal) => {
          const stream = await node.dialProtocol(peerIdFromString(peerId), protocol, { signal });
          stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, frameLimit + MiB);
          return stream;
        },
        body,
        {
          protocol,
          maxItems,
          maxItemFrameBytes: frameLimit,
          maxTotalBytes,
          timeoutMs: this.limits.timeoutMs[kind],
        },
        {
          onProtocolError: (reason) => {
            this.log.debug({ peer: peerId, protocol, reason }, "bad response");
            this.penalize(peerId, "malformed_response");
          },
          onBytes: (inBytes, outBytes) => {
            this.metrics.inc("reqresp_in_bytes", protocol, inBytes);
            this.metrics.inc("reqresp_out_bytes", protocol, outBytes);
          },
        },
      );
    } catch (e) {
      const code = e instanceof P2PRequestError ? e.code : "unreachable";
      this.metrics.inc("reqresp_errors", `${protocol}:${code}`);
      if (code === "timeout") this.penalize(peerId, "timeout");
      throw e;
    } finally {
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left > 0) this.inflight.set(key, left);
      else this.inflight.delete(key);
    }
  }

  // ---- request-response: server ------------------------------------------------------------

  setBlockSource(source: BlockSource | undefined): void {
    this.blockSource = source;
  }

  setTxSource(source: TxSource | undefined): void {
    this.txSource = source;
  }

  setStatusSource(source: StatusSource): void {
    this.statusSource = source;
  }

  private async handleProtocols(node: Libp2p<Services>): Promise<void> {
    const limits = this.limits;
    const syncSchema = syncRequestSchema(limits);
    const txsSchema = txsRequestSchema(limits);
    const specs: { [K in ProtocolKind]: (peerId: string) => ServeSpec<unknown> } = {
      sync: () => ({
        ...this.serveLimits("sync", limits.maxBlocksPerRequest, limits.maxBlockBytes),
        maxTotalBytes: limits.maxSyncResponseBytes,
        decodeRequest: (b) => syncSchema.parse(decode(b), "sync request"),
        handle: (req) => {
          const { fromHeight, count } = req as { fromHeight: number; count: number };
          if (!this.blockSource) return [];
          return takeItems(this.blockSource(fromHeight, count), count);
        },
      }),
      txs: () => ({
        ...this.serveLimits("txs", limits.maxTxHashesPerRequest, limits.maxTxBytes),
        maxTotalBytes: limits.maxTxsResponseBytes,
        decodeRequest: (b) => txsSchema.parse(decode(b), "txs request"),
        handle: (req) => {
          const { hashes } = req as { hashes: Uint8Array[] };
          if (!this.txSource) return [];
          return takeItems(this.txSource(hashes), hashes.length);
        },
      }),
      status: (peerId) => ({
        ...this.serveLimits("status", 1, 4 * KiB),
        maxTotalBytes: 4 * KiB,
        decodeRequest: (b) => StatusSchema.parse(decode(b), "status"),
        handle: (req) => {
          this.recordStatus(peerId, req as PeerStatus);
          return [encode(this.localStatus())];
        },
      }),
    };
    for (const kind of ["sync", "txs", "status"] as const) {
      const protocol = this.protocols[kind];
      await node.handle(
        protocol,
        (stream: Stream, conn: Connection) => this.serve(kind, stream, conn, specs[kind]),
        // One more than our own limit so that the extra request gets a BUSY answer from us
        // rather than a reset from libp2p.
        { maxInboundStreams: limits.maxInboundPerPeer[kind] + 1 },
      );
    }
  }

  private serveLimits(kind: ProtocolKind, maxItems: number, maxItemBytes: number) {
    return {
      protocol: this.protocols[kind],
      maxRequestBytes: maxRequestBytes(kind, this.limits),
      maxItems,
      maxItemBytes,
      timeoutMs: this.limits.timeoutMs[kind],
    };
  }

  private async serve(
    kind: ProtocolKind,
    stream: Stream,
    conn: Connection,
    spec: (peerId: string) => ServeSpec<unknown>,
  ): Promise<void> {
    const peerId = conn.remotePeer.toString();
    const protocol = this.protocols[kind];
    this.metrics.inc("reqresp_in_requests", protocol);
    const key = `in:${kind}:${peerId}`;
    const n = this.inflight.get(key) ?? 0;
    const busy = n >= this.limits.maxInboundPerPeer[kind];
    this.inflight.set(key, n + 1);
    try {
      const s = spec(peerId);
      await serveStream(
        stream,
        busy
          ? {
              ...s,
              handle: () => {
                throw new BusyError();
              },
            }
          : s,
        {
          onBadRequest: (reason) => {
            this.log.debug({ peer: peerId, protocol, reason }, "bad request");
            this.metrics.inc("reqresp_errors", `${protocol}:bad_request`);
            this.penalize(
              peerId,
              reason.includes("exceeds") ? "oversize_frame" : "malformed_request",
            );
          },
          onInternalError: (err) => {
            this.log.error({ err, peer: peerId, protocol }, "request handler failed");
          },
          onBytes: (inBytes, outBytes) => {
            this.metrics.inc("reqresp_in_bytes", protocol, inBytes);
            this.metrics.inc("reqresp_out_bytes", protocol, outBytes);
          },
        },
      );
    } finally {
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left > 0) this.inflight.set(key, left);
      else this.inflight.delete(key);
    }
  }

  private localStatus(): PeerStatus {
    const s = this.statusSource();
    return { chainId: this.chainId, height: s.height, earliestHeight: s.earliestHeight };
  }

  private recordStatus(peerId: string, status: PeerStatus): void {
    if (status.chainId !== this.chainId) {
      // Protocol ids carry the chain id, so this is a peer lying about itself.
      this.penalize(peerId, "wrong_chain");
      return;
    }
    this.statuses.set(peerId, status);
    this.emit("peer:status", peerId, status);
  }

  private pollStatuses(): void {
    const node = this.node;
    if (!node) return;
    for (const peer of node.getPeers()) {
      this.requestStatus(peer.toString()).catch((err: Error) => {
        this.log.debug({ peer: peer.toString(), err: err.message }, "status request failed");
      });
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private attach(node: Libp2p<Services>, topic: string, handler: GossipHandler): void {
    const gs = node.services.pubsub;
    const limit = this.topicLimit.get(topic)!;
    gs.topicValidators.set(topic, async (peer: PeerId, msg: Message) => {
      const data = msg.data;
      const from = peer.toString();
      this.metrics.inc("gossip_in_messages", topic);
      this.metrics.inc("gossip_in_bytes", topic, data.length);
      if (data.length > limit) {
        // Before any decoding: an oversize message is invalid whatever it holds.
        this.metrics.inc("gossip_rejected", topic);
        return TopicValidatorResult.Reject;
      }
      let verdict: Verdict;
      try {
        verdict = await handler(data, from, topic);
      } catch (err) {
        // A throwing handler is our bug, not the peer's fault: drop without penalty.
        this.log.error({ err, topic, peer: from }, "gossip handler threw");
        verdict = "ignore";
      }
      if (verdict === "accept") return TopicValidatorResult.Accept;
      if (verdict === "reject") {
        this.metrics.inc("gossip_rejected", topic);
        return TopicValidatorResult.Reject;
      }
      this.metrics.inc("gossip_ignored", topic);
      return TopicValidatorResult.Ignore;
    });
    gs.subscribe(topic);
  }

  private onConnect(peer: PeerId): void {
    const id = peer.toString();
    const p = this.persistent.get(id);
    if (p) {
      clearTimeout(p.timer);
      p.timer = undefined;
      p.attempt = 0;
    }
    this.log.debug({ peer: id }, "peer connected");
    this.emit("peer:connect", id);
    // Learn where the peer is (a node behind starts block sync from this).
    setTimeout(() => {
      if (!this.node || this.node.getConnections(peer).length === 0) return;
      this.requestStatus(id).catch((err: Error) => {
        this.log.debug({ peer: id, err: err.message }, "status request failed");
      });
    }, 50).unref();
  }

  private onDisconnect(peer: PeerId): void {
    const id = peer.toString();
    this.statuses.delete(id);
    this.log.debug({ peer: id }, "peer disconnected");
    this.emit("peer:disconnect", id);
    const p = this.persistent.get(id);
    if (p && this.running) this.scheduleDial(p, this.reconnectDelay(0));
  }

  /** Exponential backoff: initial × 2^attempt, capped, with up to 20% jitter below. */
  private reconnectDelay(attempt: number): number {
    const initial = this.opts.reconnectInitialMs ?? 500;
    const cap = this.opts.reconnectMaxMs ?? 10_000;
    const d = Math.min(cap, initial * 2 ** Math.min(attempt, 20));
    return Math.round(d * (0.8 + 0.2 * (randomInt(1000) / 1000)));
  }

  private scheduleDial(p: PersistentPeer, delayMs: number): void {
    if (!this.running || p.timer !== undefined) return;
    const id = p.peerId.toString();
    const banUntil = this.bans.get(id);
    if (banUntil !== undefined) delayMs = Math.max(delayMs, banUntil - Date.now());
    p.timer = setTimeout(() => {
      p.timer = undefined;
      void this.dialPersistent(p);
    }, delayMs);
  }

  private async dialPersistent(p: PersistentPeer): Promise<void> {
    const node = this.node;
    if (!node || !this.running || p.dialing) return;
    if (node.getConnections(p.peerId).length > 0) return;
    p.dialing = true;
    try {
      await node.dial(p.peerId, { signal: AbortSignal.timeout(5_000) });
      p.attempt = 0;
    } catch (err) {
      p.attempt++;
      const delay = this.reconnectDelay(p.attempt);
      this.log.debug(
        {
          peer: p.peerId.toString(),
          attempt: p.attempt,
          delayMs: delay,
          err: (err as Error).message,
        },
        "persistent peer dial failed",
      );
      p.dialing = false;
      this.scheduleDial(p, delay);
      return;
    }
    p.dialing = false;
  }

  /** Largest number of gossip bytes queued to any one peer. */
  gossipBacklogBytes(): number {
    const gs = this.node?.services.pubsub as unknown as Partial<GossipSubInternals> | undefined;
    let worst = 0;
    if (!(gs?.streamsOutbound instanceof Map)) return 0;
    for (const s of gs.streamsOutbound.values()) {
      worst = Math.max(worst, s.rawStream.writeBufferLength);
    }
    return worst;
  }

  private async waitForGossipBacklog(): Promise<void> {
    if (this.gossipBacklogBytes() <= PUBLISH_BACKLOG_BYTES) return;
    const deadline = Date.now() + PUBLISH_BACKLOG_WAIT_MS;
    while (this.gossipBacklogBytes() > PUBLISH_BACKLOG_BYTES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /**
   * A gossipsub peer without our outbound stream (reset after a write-buffer overflow, or a
   * failed open) would never hear our gossip again on this connection: hang up, so that the
   * next connection (persistent peers redial) opens fresh streams.
   */
  private repairGossipStreams(): void {
    const node = this.node;
    if (!node) return;
    const gs = node.services.pubsub as unknown as Partial<GossipSubInternals>;
    // Internals of @libp2p/gossipsub 17 (pinned in package.json): do nothing if they move.
    if (!(gs.peers instanceof Map) || !(gs.streamsOutbound instanceof Map)) return;
    for (const [id, peer] of gs.peers) {
      if (gs.streamsOutbound.has(id)) {
        this.missingStream.delete(id);
        continue;
      }
      const n = (this.missingStream.get(id) ?? 0) + 1;
      this.missingStream.set(id, n);
      if (n >= MISSING_STREAM_HEARTBEATS) {
        this.missingStream.delete(id);
        this.log.warn({ peer: id }, "no outbound gossip stream: reconnecting");
        node.hangUp(peer).catch(() => {});
      }
    }
    for (const id of this.missingStream.keys())
      if (!gs.peers.has(id)) this.missingStream.delete(id);
  }

  private banGraylisted(): void {
    const node = this.node;
    if (!node) return;
    const gs = node.services.pubsub as unknown as GossipSubInternals;
    for (const peer of node.getPeers()) {
      const id = peer.toString();
      if (gs.getScore(id) < SCORE_THRESHOLDS.graylistThreshold) this.ban(id, "graylisted");
    }
  }

  private penaltyPoints(peerId: string, now = Date.now()): number {
    const p = this.penalties.get(peerId);
    if (!p) return 0;
    const points = p.points * 0.5 ** ((now - p.at) / PENALTY_HALF_LIFE_MS);
    if (points < 0.5) {
      this.penalties.delete(peerId);
      return 0;
    }
    return points;
  }

  private appSpecificScore(peerId: string): number {
    return this.penaltyPoints(peerId) * APP_SCORE_PER_POINT;
  }

  private requireNode(): Libp2p<Services> {
    if (!this.node) throw new Error("p2p host is not running");
    return this.node;
  }
}

/** At most `n` items of a source: a source that offers more than was asked is cut short. */
async function* takeItems(
  source: Promise<ItemSource> | ItemSource,
  n: number,
): AsyncGenerator<Uint8Array> {
  if (n <= 0) return;
  let i = 0;
  for await (const item of await source) {
    yield item;
    if (++i >= n) return;
  }
}

function stripPeerId(ma: Multiaddr): Multiaddr {
  return ma.decapsulateCode(421); // the /p2p component
}

function hexKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/**
 * Message ids cover the topic and the data: the same bytes on two topics are two messages.
 * The fast id is the same digest, so duplicates are dropped before the full path runs.
 * Gossipsub asks for both ids of a received message, on the same data array: the digest the
 * fast id computed is handed to the next msgId of that array, once (a tx batch is ~50 KB:
 * this was a second sha256 of it per batch per peer). Only received data takes this path,
 * and nothing modifies it; a publisher may reuse its buffer, and msgId hashes that afresh.
 */
const fastDigests = new WeakMap<Uint8Array, { topic: string; digest: Buffer }>();
const NO_DATA = new Uint8Array(0);

function digestOf(topic: string, data: Uint8Array): Buffer {
  return createHash("sha256").update(topic).update(data).digest();
}

export function msgId(topic: string, data: Uint8Array): Uint8Array {
  const hit = fastDigests.get(data);
  if (hit !== undefined) {
    fastDigests.delete(data);
    if (hit.topic === topic) return hit.digest;
  }
  return digestOf(topic, data);
}

export function fastMsgId(topic: string | undefined, data: Uint8Array | undefined): string {
  const t = topic ?? "";
  const d = data ?? NO_DATA;
  const digest = digestOf(t, d);
  fastDigests.set(d, { topic: t, digest });
  return digest.toString("base64");
}
