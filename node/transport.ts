/**
 * Consensus messages over libp2p (the consensus Transport interface over P2PHost):
 *
 * - broadcast: gossip on the chain's consensus topic. Proposals travel as **compact
 *   blocks**: the header, last commit and evidence, and the transactions as their sha256
 *   hashes only (peers already hold almost all of them from tx gossip). A receiver rebuilds
 *   the block from its mempool (and a small cache of recent blocks' transactions), fetches
 *   the missing ones from the peer that relayed the proposal (the tx-fetch protocol checks
 *   each returned tx against its hash), and hands consensus the full block, whose data hash
 *   consensus verifies. So a block's bytes cross the network once, in tx gossip.
 * - send(peer, syncRequest{h}): the block-sync request-response protocol — up to
 *   SYNC_BATCH blocks with their commits are fetched from that peer and handed to consensus
 *   as syncResponse messages, which it verifies (+2/3 signatures) before applying;
 * - send(peer, syncResponse): dropped: a peer that is behind asks for blocks itself;
 * - the other side of block sync serves stored blocks and commits from the block store.
 *
 * Wire form on the consensus topic: one kind byte, an 8-byte publication sequence, then
 * canonical CBOR — 0x00 a consensus
 * message (consensus/types/messages.ts), 0x01 a compact proposal
 * [proposal, block with tx hashes in place of txs]. Bytes that decode as neither are
 * rejected (they count against the relaying peer's score, which gets it graylisted).
 */
import type { Logger } from "pino";
import type { BlockStore } from "../consensus/blockStore.js";
import type { PeerId, Transport } from "../consensus/transport.js";
import type { Block } from "../consensus/types/block.js";
import {
  blockFromCbor,
  blockToCbor,
  type ConsensusMessage,
  decodeMessage,
  encodeMessage,
  proposalFromCbor,
  proposalToCbor,
} from "../consensus/types/messages.js";
import { BoundedMap } from "../lib/boundedMap.js";
import { toHex } from "../lib/bytes.js";
import { decode, encode } from "../lib/cbor.js";
import { sha256OfImmutable } from "../lib/hash.js";
import { txHashHex } from "./mempool/mempool.js";
import type { P2PHost } from "./p2p/index.js";

export const SYNC_BATCH = 32;
const KIND_MESSAGE = 0x00;
const KIND_COMPACT_PROPOSAL = 0x01;
/**
 * Transactions of recent proposals kept to serve peers' fetches (hash hex -> tx), at most
 * this many and this many bytes: a count alone let batches of orders (~5.6 KB each) hold
 * ~280 MB, minutes of blocks where a peer only ever asks for the last few.
 */
const RECENT_TXS_MAX = 50_000;
const RECENT_TXS_MAX_BYTES = 64 << 20;

export interface TxLookup {
  /** A transaction by its upper-case hex sha256, from the mempool, if held. */
  get(hashHex: string): Uint8Array | undefined;
  /**
   * Publishes the transactions waiting in this node's gossip batch. Called right before a
   * compact proposal goes out: gossipsub sends both on the same stream per peer, so peers
   * receive those transactions before the proposal naming them instead of fetching them.
   */
  flushGossip?(): void;
}

/**
 * Each publication carries a fresh 8-byte sequence number after the kind byte: consensus
 * re-gossips its current messages periodically, and gossipsub drops a publication whose
 * bytes it has seen in the last two minutes, so without it a message first published
 * before the mesh formed would never be delivered. Receivers skip the sequence; the
 * consensus machine deduplicates messages itself.
 */
let publicationSeq = 0n;
const HEADER = 9;

function frame(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + HEADER);
  out[0] = kind;
  new DataView(out.buffer).setBigUint64(1, publicationSeq++);
  out.set(body, HEADER);
  return out;
}

export class P2PTransport implements Transport {
  private handler: ((from: PeerId, msg: ConsensusMessage) => void) | undefined;
  private readonly syncing = new Set<string>();
  private readonly topic: string;
  private readonly recentTxs = new BoundedMap<string, Uint8Array>(
    RECENT_TXS_MAX,
    RECENT_TXS_MAX_BYTES,
  );
  stats = { compactSent: 0, compactRebuilt: 0, txsFetched: 0, rebuildFailed: 0 };

  constructor(
    private readonly host: P2PHost,
    private readonly blocks: BlockStore,
    private readonly log: Logger,
    private readonly mempool: TxLookup = { get: () => undefined },
  ) {
    this.topic = host.topics.consensus;
    host.subscribe(this.topic, (data, from) => this.onGossip(data, from));
    host.setBlockSource((fromHeight, count) => this.serveBlocks(fromHeight, count));
  }

  /** A tx by hash from the mempool or recent proposals (serves peers' tx fetches). */
  lookupTx(hashHex: string): Uint8Array | undefined {
    return this.mempool.get(hashHex) ?? this.recentTxs.get(hashHex);
  }

  private remember(txs: readonly Uint8Array[], hashes: readonly string[]): void {
    for (let i = 0; i < txs.length; i++) this.recentTxs.set(hashes[i], txs[i], txs[i].length);
  }

  private onGossip(
    data: Uint8Array,
    from: string,
  ): "accept" | "reject" | "ignore" | Promise<"accept" | "reject" | "ignore"> {
    if (data.length < HEADER) return "reject";
    const body = data.subarray(HEADER);
    if (data[0] === KIND_MESSAGE) {
      let msg: ConsensusMessage;
      try {
        msg = decodeMessage(body);
      } catch {
        return "reject";
      }
      this.handler?.(from, msg);
      return "accept";
    }
    if (data[0] !== KIND_COMPACT_PROPOSAL) return "reject";
    let compact: { proposal: ReturnType<typeof proposalFromCbor>; block: Block };
    try {
      const a = decode(body);
      if (!Array.isArray(a) || a.length !== 2) return "reject";
      compact = { proposal: proposalFromCbor(a[0]), block: blockFromCbor(a[1]) };
    } catch {
      return "reject";
    }
    if (compact.block.txs.some((h) => h.length !== 32)) return "reject";
    return this.rebuild(from, compact.proposal, compact.block);
  }

  /** Rebuilds a compact proposal's block and hands it to consensus. */
  private async rebuild(
    from: string,
    proposal: ReturnType<typeof proposalFromCbor>,
    compact: Block,
  ): Promise<"accept" | "ignore"> {
    const hashes = compact.txs.map((h) => toHex(h).toUpperCase());
    const txs: (Uint8Array | undefined)[] = hashes.map((h) => this.lookupTx(h));
    const missing: number[] = [];
    for (let i = 0; i < txs.length; i++) if (!txs[i]) missing.push(i);
    if (missing.length > 0) {
      try {
        const got = await this.host.fetchTxs(
          from,
          missing.map((i) => compact.txs[i]),
        );
        const byHash = new Map(got.map((t) => [txHashHex(t), t]));
        for (const i of missing) txs[i] = byHash.get(hashes[i]);
        this.stats.txsFetched += got.length;
      } catch (e) {
        this.log.debug(
          { from, missing: missing.length, err: String(e) },
          "tx fetch for a compact block failed",
        );
      }
    }
    if (txs.some((t) => t === undefined)) {
      this.stats.rebuildFailed++;
      return "ignore";
    }
    const full = txs as Uint8Array[];
    this.remember(full, hashes);
    this.stats.compactRebuilt++;
    this.handler?.(from, { type: "proposal", proposal, block: { ...compact, txs: full } });
    return "accept";
  }

  setHandler(handler: (from: PeerId, msg: ConsensusMessage) => void): void {
    this.handler = handler;
  }

  broadcast(msg: ConsensusMessage): void {
    let data: Uint8Array;
    if (msg.type === "proposal") {
      const hashes = msg.block.txs.map((t) => sha256OfImmutable(t));
      this.remember(
        msg.block.txs,
        hashes.map((h) => toHex(h).toUpperCase()),
      );
      data = frame(
        KIND_COMPACT_PROPOSAL,
        encode([proposalToCbor(msg.proposal), blockToCbor({ ...msg.block, txs: hashes })]),
      );
      this.stats.compactSent++;
      this.mempool.flushGossip?.();
    } else {
      data = frame(KIND_MESSAGE, encodeMessage(msg));
    }
    this.host.publish(this.topic, data).catch((e: unknown) => {
      this.log.debug({ err: String(e) }, "consensus gossip failed");
    });
  }

  send(peer: PeerId, msg: ConsensusMessage): void {
    if (msg.type !== "syncRequest") return;
    const key = `${peer}:${msg.height}`;
    if (this.syncing.has(key)) return;
    this.syncing.add(key);
    this.host
      .requestBlocks(peer, msg.height, SYNC_BATCH)
      .then((records) => {
        for (const r of records) {
          let m: ConsensusMessage;
          try {
            m = decodeMessage(r);
          } catch {
            this.host.penalize(peer, "malformed sync record");
            return;
          }
          if (m.type !== "syncResponse") {
            this.host.penalize(peer, "unexpected sync record");
            return;
          }
          this.handler?.(peer, m);
        }
      })
      .catch((e: unknown) =>
        this.log.debug({ peer, height: msg.height, err: String(e) }, "block sync request failed"),
      )
      .finally(() => this.syncing.delete(key));
  }

  private *serveBlocks(fromHeight: number, count: number): Iterable<Uint8Array> {
    const top = this.blocks.height();
    for (let h = fromHeight; h < fromHeight + count && h <= top; h++) {
      const s = this.blocks.load(h);
      if (!s) return;
      yield encodeMessage({ type: "syncResponse", block: s.block, commit: s.commit });
    }
  }
}
