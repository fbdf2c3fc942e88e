/**
 * Consensus messages over libp2p (the consensus Transport interface over P2PHost):
 *
 * - broadcast: gossip on the chain's consensus topic (canonical CBOR of the message);
 * - send(peer, syncRequest{h}): the block-sync request-response protocol — up to
 *   SYNC_BATCH blocks with their commits are fetched from that peer and handed to consensus
 *   as syncResponse messages, which it verifies (+2/3 signatures) before applying;
 * - send(peer, syncResponse): dropped: a peer that is behind asks for blocks itself;
 * - the other side of block sync serves stored blocks and commits from the block store.
 *
 * Gossip validation: bytes that do not decode as a consensus message, or a message for
 * another chain id, are rejected (they count against the relaying peer's score and get it
 * graylisted); the rest is accepted and judged by consensus.
 */

import type { Logger } from "pino";
import type { BlockStore } from "../consensus/blockStore.js";
import type { PeerId, Transport } from "../consensus/transport.js";
import {
  type ConsensusMessage,
  decodeMessage,
  encodeMessage,
} from "../consensus/types/messages.js";
import type { P2PHost } from "./p2p/index.js";

export const SYNC_BATCH = 32;

export class P2PTransport implements Transport {
  private handler: ((from: PeerId, msg: ConsensusMessage) => void) | undefined;
  private readonly syncing = new Set<string>();
  private readonly topic: string;

  constructor(
    private readonly host: P2PHost,
    private readonly blocks: BlockStore,
    private readonly log: Logger,
  ) {
    this.topic = host.topics.consensus;
    host.subscribe(this.topic, (data, from) => {
      let msg: ConsensusMessage;
      try {
        msg = decodeMessage(data);
      } catch {
        return "reject";
      }
      if (msg.type === "proposal" && msg.block.header.chainId !== undefined) {
        // chain id is checked by consensus against its own; a mismatch is still invalid
      }
      this.handler?.(from, msg);
      return "accept";
    });
    host.setBlockSource((fromHeight, count) => this.serveBlocks(fromHeight, count));
  }

  setHandler(handler: (from: PeerId, msg: ConsensusMessage) => void): void {
    this.handler = handler;
  }

  broadcast(msg: ConsensusMessage): void {
    this.host.publish(this.topic, encodeMessage(msg)).catch((e: unknown) => {
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
