/** The authenticated state store: app hash, proofs, book set-hash (docs/state.md). */
export { type KvBatch, type KvRange, type KvStore, prefixEnd } from "./kv.js";
export { LTHASH_BYTES, LTHASH_LANES, LtHash } from "./lthash.js";
export { KvWriteRejected, MemoryKvStore } from "./memoryKv.js";
export {
  decodeProof,
  EMPTY_ROOT,
  encodeProof,
  type Proof,
  type ProofNode,
  verifyProof,
} from "./proof.js";
export {
  AuthenticatedStore,
  BUCKET_TREE,
  BUCKET_VALUES,
  type CommitResult,
  HEAD_KEY,
  MAX_KEY_BYTES,
  type ProvenValue,
} from "./store.js";
