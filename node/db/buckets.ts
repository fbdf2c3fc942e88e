/**
 * Key space of the node database: every key is one bucket byte followed by the
 * repository's own key bytes (Lodestar's `beacon-node/src/db/buckets.ts` scheme).
 *
 * NUMBERS ARE NEVER REUSED. A bucket that is retired keeps its number reserved here with a
 * comment, so that an old data directory can never be misread by a newer node. Add new
 * buckets at the end. 0x00 and 0xff are reserved (0xff keeps "bucket + 1" a valid upper
 * bound for range scans).
 */
export enum Bucket {
  /** height (u64 BE) -> block bytes */
  Block = 0x01,
  /** block hash -> height (u64 BE) */
  BlockHashToHeight = 0x02,
  /** height (u64 BE) -> commit bytes that decided the block at that height */
  Commit = 0x03,
  /** height (u64 BE) -> the commit this node saw for the latest block (CometBFT "seen commit") */
  SeenCommit = 0x04,
  /** height (u64 BE) -> finalizeBlock results bytes */
  BlockResults = 0x05,
  /** tx hash -> CBOR [height, index] */
  TxIndex = 0x06,
  /** the authenticated state store's KvStore (state/store), keys as that store writes them */
  State = 0x07,
  /** utf-8 name -> chain metadata value (last block height, app height/hash, genesis hash) */
  ChainMeta = 0x08,
  /** singleton -> consensus signer last-sign state, when not kept in a file */
  SignerState = 0x09,
  /** evidence hash -> evidence bytes */
  Evidence = 0x0a,
}

export const BUCKET_NAMES: Record<Bucket, string> = {
  [Bucket.Block]: "block",
  [Bucket.BlockHashToHeight]: "block_hash_to_height",
  [Bucket.Commit]: "commit",
  [Bucket.SeenCommit]: "seen_commit",
  [Bucket.BlockResults]: "block_results",
  [Bucket.TxIndex]: "tx_index",
  [Bucket.State]: "state",
  [Bucket.ChainMeta]: "chain_meta",
  [Bucket.SignerState]: "signer_state",
  [Bucket.Evidence]: "evidence",
};
