/**
 * The Application interface (DESIGN.md section 4, ABCI++'s shape): the only contract
 * between consensus/ (which calls it) and state/ (which implements it). Neither imports
 * the other; both import this file.
 *
 * All methods are deterministic. `initChain`, `finalizeBlock` and `query` may return a
 * promise (the app hash comes from an authenticated tree whose nodes load from the
 * key-value backend); callers must `await` them. `commit` persists through the backend. Byte fields are raw bytes; heights and powers are
 * safe integers; times are Unix milliseconds taken from block headers, never clocks.
 */

import { utf8 } from "./bytes.js";
import { encode } from "./cbor.js";

export interface ValidatorInfo {
  /** 20-byte address: first 20 bytes of sha256(pubKey). */
  readonly address: Uint8Array;
  /** 32-byte ed25519 public key. */
  readonly pubKey: Uint8Array;
  readonly power: number;
}

export interface ValidatorUpdate {
  readonly pubKey: Uint8Array;
  /** 0 removes the validator. */
  readonly power: number;
}

export interface ConsensusParams {
  readonly maxBlockBytes: number;
  readonly maxBlockTxs: number;
  /** Vote extensions are required from this height on (1 = from genesis). */
  readonly voteExtensionsEnableHeight: number;
}

export interface InitChainRequest {
  readonly chainId: string;
  /** Unix milliseconds. */
  readonly genesisTimeMs: number;
  readonly initialHeight: number;
  readonly validators: readonly ValidatorInfo[];
  readonly consensusParams: ConsensusParams;
  /** The application's part of genesis, as parsed JSON: state/ validates it. */
  readonly appState: unknown;
}

export interface InitChainResponse {
  readonly appHash: Uint8Array;
  /** Empty: keep the genesis validators. */
  readonly validators: readonly ValidatorUpdate[];
}

export type CheckTxMode = "new" | "recheck";

export interface CheckTxResponse {
  readonly ok: boolean;
  /** 0 when ok, else a stable code of lib/errors.ts. */
  readonly code: number;
  readonly log: string;
  /** Higher is proposed first (FIFO within a priority). */
  readonly priority: number;
  /** Signer address ("0x…"), for per-account mempool limits; "" when undecodable. */
  readonly sender: string;
  readonly nonce: number;
  /** Height after which the tx can never be valid (good-til-block orders); 0 = none. */
  readonly expiresAfterHeight?: number;
}

/** One validator's precommit as it reaches the next block (ABCI++ ExtendedVoteInfo). */
export interface ExtendedVoteInfo {
  readonly validator: ValidatorInfo;
  /** The application's vote extension, empty when the validator precommitted nil. */
  readonly voteExtension: Uint8Array;
  /** Signature over voteExtensionSignBytes(chainId, height, round, voteExtension). */
  readonly extensionSignature: Uint8Array;
  /** True when the validator precommitted the block (only those extensions count). */
  readonly committed: boolean;
}

export interface ExtendedCommitInfo {
  /** Height and round of the precommits (the previous block's). */
  readonly height: number;
  readonly round: number;
  readonly votes: readonly ExtendedVoteInfo[];
}

export interface Misbehavior {
  readonly kind: "duplicate_vote";
  readonly validatorAddress: Uint8Array;
  readonly height: number;
  readonly timeMs: number;
  readonly totalVotingPower: number;
}

/** The block fields the application sees (header facts and transactions). */
export interface BlockRequest {
  readonly height: number;
  readonly timeMs: number;
  readonly hash: Uint8Array;
  readonly proposerAddress: Uint8Array;
  readonly txs: readonly Uint8Array[];
  /** The extended commit of height - 1 (empty votes at the first height). */
  readonly localLastCommit: ExtendedCommitInfo;
  readonly misbehavior: readonly Misbehavior[];
}

export interface PrepareProposalRequest {
  readonly height: number;
  readonly timeMs: number;
  readonly proposerAddress: Uint8Array;
  /** Candidate transactions reaped from the mempool, in mempool order. */
  readonly txs: readonly Uint8Array[];
  readonly localLastCommit: ExtendedCommitInfo;
  readonly maxTxBytes: number;
  readonly misbehavior: readonly Misbehavior[];
}

export interface ExtendVoteRequest {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  /**
   * This validator's oracle prices as data (market id -> decimal price string), supplied
   * by the node from its feeds. The application never fetches anything.
   */
  readonly prices?: Readonly<Record<string, string>>;
}

export interface VerifyVoteExtensionRequest {
  readonly height: number;
  readonly round: number;
  readonly validatorAddress: Uint8Array;
  readonly voteExtension: Uint8Array;
}

export interface EventAttribute {
  readonly key: string;
  readonly value: string;
}

/** A CometBFT-shaped event; `type` like "fill", "liquidation", "funding", "oracle". */
export interface AppEvent {
  readonly type: string;
  readonly attributes: readonly EventAttribute[];
}

/**
 * An event that keeps the values it describes and writes its attributes when they are read.
 * `keys` is one array shared by every event of its kind, `value(i)` is the value of
 * `keys[i]`, and `attributes` builds the list on each read without keeping it. At devnet
 * load the state machine emits ~17,000 order events per block; built as lists of {key,
 * value} objects they were half of all that survived young-generation collections, and
 * most are only ever encoded into the stored results (which read `keys` and `value`).
 */
export interface CompactEvent extends AppEvent {
  readonly keys: readonly string[];
  value(i: number): string;
}

export function isCompactEvent(e: AppEvent): e is CompactEvent {
  return (e as Partial<CompactEvent>).keys !== undefined;
}

export interface ExecTxResult {
  readonly code: number;
  readonly log: string;
  /** Canonical CBOR of the per-message results, for clients. */
  readonly data: Uint8Array;
  readonly events: readonly AppEvent[];
}

export interface FinalizeBlockResponse {
  /** One result per transaction of the block, in block order. */
  readonly txResults: readonly ExecTxResult[];
  /** Block-level events (oracle, funding, liquidations, expiries). */
  readonly events: readonly AppEvent[];
  readonly validatorUpdates: readonly ValidatorUpdate[];
  readonly consensusParamUpdates?: ConsensusParams;
  /** The state root after this block. */
  readonly appHash: Uint8Array;
}

export interface CommitResponse {
  /** Blocks below this height may be pruned by the node (0 = keep all). */
  readonly retainHeight: number;
}

export interface QueryRequest {
  readonly path: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly prove: boolean;
}

export interface QueryResponse {
  readonly code: number;
  readonly log: string;
  readonly height: number;
  readonly value: unknown;
  /** Present when prove was asked and the path supports proofs. */
  readonly proof?: unknown;
}

export interface AppInfo {
  /** Last committed height (0 before the first block). */
  readonly height: number;
  readonly appHash: Uint8Array;
}

export type MaybePromise<T> = T | Promise<T>;

export interface Application {
  info(): AppInfo;
  initChain(req: InitChainRequest): MaybePromise<InitChainResponse>;
  checkTx(tx: Uint8Array, mode: CheckTxMode): CheckTxResponse;
  /** Proposer: order and filter candidate txs (drop invalid, respect maxTxBytes). */
  prepareProposal(req: PrepareProposalRequest): Uint8Array[];
  /** Every validator: accept or reject a proposed block, deterministically. */
  processProposal(req: BlockRequest): boolean;
  extendVote(req: ExtendVoteRequest): Uint8Array;
  verifyVoteExtension(req: VerifyVoteExtensionRequest): boolean;
  finalizeBlock(req: BlockRequest): MaybePromise<FinalizeBlockResponse>;
  /** Persists the state produced by the last finalizeBlock in one atomic batch. */
  commit(): Promise<CommitResponse>;
  query(req: QueryRequest): MaybePromise<QueryResponse>;
}

const VOTE_EXTENSION_DOMAIN = utf8("perpetua/vote-extension/v1");

/**
 * The bytes a validator signs for its vote extension (separately from its precommit, as
 * in CometBFT), so the application can re-check extensions carried in a block:
 * "perpetua/vote-extension/v1" || cbor([chainId, height, round, extension]).
 */
export function voteExtensionSignBytes(
  chainId: string,
  height: number,
  round: number,
  extension: Uint8Array,
): Uint8Array {
  const body = encode([chainId, height, round, extension]);
  const out = new Uint8Array(VOTE_EXTENSION_DOMAIN.length + body.length);
  out.set(VOTE_EXTENSION_DOMAIN, 0);
  out.set(body, VOTE_EXTENSION_DOMAIN.length);
  return out;
}
