/**
 * The network as consensus sees it. The node implements it over libp2p gossipsub (topics
 * for proposals and votes, a request/response protocol for `send`); the simulator
 * implements it in process. Messages are plain objects; a wire implementation encodes them
 * with `encodeMessage` / `decodeMessage` (types/messages.ts). Delivery may be lossy,
 * duplicated and reordered: the driver re-gossips and the machine deduplicates.
 */
import type { ConsensusMessage } from "./types/messages.js";

export type PeerId = string;

export interface Transport {
  /** To every peer (gossip). */
  broadcast(msg: ConsensusMessage): void;
  /** To one peer (block-sync requests and responses). */
  send(peer: PeerId, msg: ConsensusMessage): void;
  /** Registers the one receiver of incoming messages (the driver, at start). */
  setHandler(handler: (from: PeerId, msg: ConsensusMessage) => void): void;
}
