/**
 * Gossip topics and request-response protocol ids, namespaced by chain id so that nodes of
 * different chains sharing a machine or a peer list never exchange a byte of application data.
 *
 * Consensus messages (proposals and votes) share one topic: the consensus reactor decodes and
 * validates them by their own type tag, and one topic keeps a single ordered handler for the
 * consensus event loop. Proposals carry transaction hashes (compact blocks, missing bodies are
 * fetched with the txs protocol), so 4 MiB is far above any honest proposal.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;

export type TopicKind = "tx" | "consensus";

export const TOPIC_KINDS: readonly TopicKind[] = ["tx", "consensus"];

/** Largest gossip message accepted per topic kind; larger is rejected before decoding. */
export const DEFAULT_TOPIC_MAX_BYTES: Readonly<Record<TopicKind, number>> = {
  tx: 1 * MiB, // one batch of signed transactions
  consensus: 4 * MiB, // a proposal (header + tx hashes) or a vote with its oracle extension
};

/** `/perpetua/<chainId>/tx/1` or `/perpetua/<chainId>/consensus/1`. */
export function topicName(chainId: string, kind: TopicKind): string {
  return `/perpetua/${chainId}/${kind}/1`;
}

export type ProtocolKind = "sync" | "txs" | "status";

/** `/perpetua/<chainId>/sync/1`, `/perpetua/<chainId>/txs/1`, `/perpetua/<chainId>/status/1`. */
export function protocolId(chainId: string, kind: ProtocolKind): string {
  return `/perpetua/${chainId}/${kind}/1`;
}

/** Chain ids appear inside topic names and protocol ids, so they must not contain `/`. */
export function checkChainId(chainId: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(chainId)) {
    throw new TypeError(`chain id ${JSON.stringify(chainId)}: expected 1-64 of [A-Za-z0-9._-]`);
  }
}
