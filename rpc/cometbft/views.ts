/**
 * Plain view objects the node fills from its stores; the encoders of this folder turn them
 * into CometBFT v0.38's JSON. Bytes are raw bytes, heights and counts are numbers, times are
 * Unix milliseconds, powers may be number or bigint. No CometBFT encoding rule leaks in here.
 */
import type { AppEvent, ConsensusParams, ValidatorUpdate } from "../../lib/abci.js";

export interface PartSetHeaderView {
  readonly total: number;
  readonly hash: Uint8Array;
}

export interface BlockIdView {
  readonly hash: Uint8Array;
  readonly parts: PartSetHeaderView;
}

export interface HeaderView {
  readonly version: { readonly block: number; readonly app: number };
  readonly chainId: string;
  readonly height: number;
  readonly timeMs: number;
  /** null at the first height. */
  readonly lastBlockId: BlockIdView | null;
  readonly lastCommitHash: Uint8Array;
  readonly dataHash: Uint8Array;
  readonly validatorsHash: Uint8Array;
  readonly nextValidatorsHash: Uint8Array;
  readonly consensusHash: Uint8Array;
  readonly appHash: Uint8Array;
  readonly lastResultsHash: Uint8Array;
  readonly evidenceHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
}

/** CometBFT's BlockIDFlag. */
export const BlockIdFlag = { ABSENT: 1, COMMIT: 2, NIL: 3 } as const;
export type BlockIdFlag = (typeof BlockIdFlag)[keyof typeof BlockIdFlag];

export interface CommitSigView {
  readonly blockIdFlag: BlockIdFlag;
  /** Empty for an absent validator. */
  readonly validatorAddress: Uint8Array;
  /** Unix ms; ignored for an absent validator. */
  readonly timeMs: number;
  /** null for an absent validator. */
  readonly signature: Uint8Array | null;
}

export interface CommitView {
  readonly height: number;
  readonly round: number;
  readonly blockId: BlockIdView;
  readonly signatures: readonly CommitSigView[];
}

export interface BlockView {
  readonly blockId: BlockIdView;
  readonly header: HeaderView;
  readonly txs: readonly Uint8Array[];
  /** The commit of height - 1; null at the first height. */
  readonly lastCommit: CommitView | null;
  /** Encoded size in bytes, for `blockchain`'s block_size (0 when unknown). */
  readonly sizeBytes?: number;
  /** Duplicate-vote evidence the block carries (none when absent). */
  readonly evidence?: readonly EvidenceView[];
}

/** One signed vote of a duplicate-vote pair. */
export interface EvidenceVoteView {
  /** 1 prevote, 2 precommit (CometBFT's SignedMsgType). */
  readonly type: number;
  readonly height: number;
  readonly round: number;
  /** null for a nil vote. */
  readonly blockId: BlockIdView | null;
  readonly timeMs: number;
  readonly validatorAddress: Uint8Array;
  readonly validatorIndex: number;
  readonly signature: Uint8Array;
}

export interface EvidenceView {
  readonly voteA: EvidenceVoteView;
  readonly voteB: EvidenceVoteView;
}

export interface ValidatorView {
  readonly address: Uint8Array;
  /** 32-byte ed25519 public key. */
  readonly pubKey: Uint8Array;
  readonly votingPower: number | bigint;
  readonly proposerPriority: number | bigint;
}

/** One transaction's execution result (lib/abci ExecTxResult plus CometBFT's extras). */
export interface TxResultView {
  readonly code: number;
  readonly data: Uint8Array;
  readonly log: string;
  readonly info?: string;
  readonly gasWanted?: number | bigint;
  readonly gasUsed?: number | bigint;
  readonly events: readonly AppEvent[];
  readonly codespace?: string;
}

export interface BlockResultsView {
  readonly height: number;
  readonly txResults: readonly TxResultView[];
  readonly finalizeBlockEvents: readonly AppEvent[];
  readonly validatorUpdates: readonly ValidatorUpdate[];
  readonly consensusParamUpdates?: ConsensusParams;
  readonly appHash: Uint8Array;
}

export interface TxView {
  /** sha256(tx); computed when absent. */
  readonly hash?: Uint8Array;
  readonly height: number;
  readonly index: number;
  readonly tx: Uint8Array;
  readonly result: TxResultView;
}

/** checkTx's answer as broadcast_tx_* and check_tx report it. */
export interface CheckTxView {
  readonly code: number;
  readonly log: string;
  readonly data?: Uint8Array;
  readonly info?: string;
  readonly gasWanted?: number | bigint;
  readonly gasUsed?: number | bigint;
  readonly events?: readonly AppEvent[];
  readonly codespace?: string;
}

export interface NodeInfoView {
  readonly protocolVersion: { readonly p2p: number; readonly block: number; readonly app: number };
  /** 20-byte node id (CometBFT: address of the node key), rendered as lower-case hex. */
  readonly id: Uint8Array;
  readonly listenAddr: string;
  /** The chain id. */
  readonly network: string;
  readonly version: string;
  readonly channels: Uint8Array;
  readonly moniker: string;
  readonly txIndex: boolean;
  readonly rpcAddress: string;
}

export interface SyncInfoView {
  readonly latestBlockHash: Uint8Array;
  readonly latestAppHash: Uint8Array;
  readonly latestBlockHeight: number;
  readonly latestBlockTimeMs: number;
  readonly earliestBlockHash: Uint8Array;
  readonly earliestAppHash: Uint8Array;
  readonly earliestBlockHeight: number;
  readonly earliestBlockTimeMs: number;
  readonly catchingUp: boolean;
}

export interface NodeStatusView {
  readonly nodeInfo: NodeInfoView;
  readonly syncInfo: SyncInfoView;
  readonly validatorInfo: {
    readonly address: Uint8Array;
    readonly pubKey: Uint8Array;
    readonly votingPower: number | bigint;
  };
}

export interface PeerView {
  readonly nodeInfo: NodeInfoView;
  readonly isOutbound: boolean;
  readonly remoteIp: string;
  /** How long the connection has been up, ms. */
  readonly connectedMs: number;
}

export interface NetInfoView {
  readonly listening: boolean;
  readonly listeners: readonly string[];
  readonly peers: readonly PeerView[];
}

export interface GenesisValidatorView {
  readonly address: Uint8Array;
  readonly pubKey: Uint8Array;
  readonly power: number | bigint;
  readonly name: string;
}

export interface GenesisView {
  readonly genesisTimeMs: number;
  readonly chainId: string;
  readonly initialHeight: number;
  readonly consensusParams: ConsensusParams;
  readonly validators: readonly GenesisValidatorView[];
  readonly appHash: Uint8Array;
  readonly appState: unknown;
}

export interface MempoolView {
  readonly count: number;
  readonly totalBytes: number;
}
