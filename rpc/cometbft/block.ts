/**
 * Encoders for the block-shaped results: `block`, `blockchain`, `commit`, `block_results`,
 * `validators` (rpc/core/types/responses.go and types/block.go JSON tags, v0.38).
 */
import type { ConsensusParams } from "../../lib/abci.js";
import {
  type BlockIdJson,
  b64,
  blockId,
  type EventJson,
  events,
  hexUpper,
  int64,
  type PubKeyJson,
  protoPubKey,
  pubKey,
  rfc3339,
  ZERO_TIME,
} from "./json.js";
import {
  BlockIdFlag,
  type BlockResultsView,
  type BlockView,
  type CommitView,
  type EvidenceVoteView,
  type HeaderView,
  type TxResultView,
  type ValidatorView,
} from "./views.js";

export interface HeaderJson {
  version: { block: string; app: string };
  chain_id: string;
  height: string;
  time: string;
  last_block_id: BlockIdJson;
  last_commit_hash: string;
  data_hash: string;
  validators_hash: string;
  next_validators_hash: string;
  consensus_hash: string;
  app_hash: string;
  last_results_hash: string;
  evidence_hash: string;
  proposer_address: string;
}

export function encodeHeader(h: HeaderView): HeaderJson {
  return {
    version: { block: int64(h.version.block), app: int64(h.version.app) },
    chain_id: h.chainId,
    height: int64(h.height),
    time: rfc3339(h.timeMs),
    last_block_id: blockId(h.lastBlockId),
    last_commit_hash: hexUpper(h.lastCommitHash),
    data_hash: hexUpper(h.dataHash),
    validators_hash: hexUpper(h.validatorsHash),
    next_validators_hash: hexUpper(h.nextValidatorsHash),
    consensus_hash: hexUpper(h.consensusHash),
    app_hash: hexUpper(h.appHash),
    last_results_hash: hexUpper(h.lastResultsHash),
    evidence_hash: hexUpper(h.evidenceHash),
    proposer_address: hexUpper(h.proposerAddress),
  };
}

export interface CommitSigJson {
  block_id_flag: number;
  validator_address: string;
  timestamp: string;
  signature: string | null;
}

export interface CommitJson {
  height: string;
  round: number;
  block_id: BlockIdJson;
  signatures: CommitSigJson[];
}

/** A commit; null (the first height) becomes CometBFT's empty commit. */
export function encodeCommit(c: CommitView | null): CommitJson {
  if (!c) return { height: "0", round: 0, block_id: blockId(null), signatures: [] };
  return {
    height: int64(c.height),
    round: c.round,
    block_id: blockId(c.blockId),
    signatures: c.signatures.map((s) =>
      s.blockIdFlag === BlockIdFlag.ABSENT
        ? {
            block_id_flag: s.blockIdFlag,
            validator_address: "",
            timestamp: ZERO_TIME,
            signature: null,
          }
        : {
            block_id_flag: s.blockIdFlag,
            validator_address: hexUpper(s.validatorAddress),
            timestamp: rfc3339(s.timeMs),
            signature: s.signature ? b64(s.signature) : null,
          },
    ),
  };
}

export interface BlockJson {
  header: HeaderJson;
  data: { txs: string[] };
  evidence: { evidence: unknown[] };
  last_commit: CommitJson;
}

function encodeEvidenceVote(v: EvidenceVoteView) {
  return {
    type: v.type,
    height: String(v.height),
    round: v.round,
    block_id: blockId(v.blockId),
    timestamp: rfc3339(v.timeMs),
    validator_address: hexUpper(v.validatorAddress),
    validator_index: v.validatorIndex,
    signature: b64(v.signature),
  };
}

export function encodeBlockBody(b: BlockView): BlockJson {
  return {
    header: encodeHeader(b.header),
    data: { txs: b.txs.map(b64) },
    // CometBFT's amino JSON of DuplicateVoteEvidence.
    evidence: {
      evidence: (b.evidence ?? []).map((e) => ({
        type: "tendermint/DuplicateVoteEvidence",
        value: { vote_a: encodeEvidenceVote(e.voteA), vote_b: encodeEvidenceVote(e.voteB) },
      })),
    },
    last_commit: encodeCommit(b.lastCommit),
  };
}

/** `block` result. */
export function encodeBlock(b: BlockView): { block_id: BlockIdJson; block: BlockJson } {
  return { block_id: blockId(b.blockId), block: encodeBlockBody(b) };
}

export interface BlockMetaJson {
  block_id: BlockIdJson;
  block_size: string;
  header: HeaderJson;
  num_txs: string;
}

/** `blockchain` result: metas of the requested range, highest first (as CometBFT). */
export function encodeBlockchain(
  lastHeight: number,
  blocks: readonly BlockView[],
): { last_height: string; block_metas: BlockMetaJson[] } {
  return {
    last_height: int64(lastHeight),
    block_metas: blocks.map((b) => ({
      block_id: blockId(b.blockId),
      block_size: int64(b.sizeBytes ?? 0),
      header: encodeHeader(b.header),
      num_txs: int64(b.txs.length),
    })),
  };
}

/** `commit` result: the header of `height` and the commit for it. */
export function encodeCommitResult(
  header: HeaderView,
  commit: CommitView,
  canonical: boolean,
): { signed_header: { header: HeaderJson; commit: CommitJson }; canonical: boolean } {
  return {
    signed_header: { header: encodeHeader(header), commit: encodeCommit(commit) },
    canonical,
  };
}

export interface ExecTxResultJson {
  code: number;
  data: string;
  log: string;
  info: string;
  gas_wanted: string;
  gas_used: string;
  events: EventJson[];
  codespace: string;
}

export function encodeTxResult(r: TxResultView): ExecTxResultJson {
  return {
    code: r.code,
    data: b64(r.data),
    log: r.log,
    info: r.info ?? "",
    gas_wanted: int64(r.gasWanted ?? 0),
    gas_used: int64(r.gasUsed ?? 0),
    events: events(r.events),
    codespace: r.codespace ?? "",
  };
}

export interface ConsensusParamsJson {
  block: { max_bytes: string; max_gas: string };
  evidence: { max_age_num_blocks: string; max_age_duration: string; max_bytes: string };
  validator: { pub_key_types: string[] };
  version: { app: string };
  abci: { vote_extensions_enable_height: string };
}

/**
 * Consensus params in CometBFT's JSON. perpetua has no gas and no evidence params of its
 * own: gas is unlimited (-1) and evidence shows CometBFT's defaults.
 */
export function encodeConsensusParams(p: ConsensusParams): ConsensusParamsJson {
  return {
    block: { max_bytes: int64(p.maxBlockBytes), max_gas: "-1" },
    evidence: {
      max_age_num_blocks: "100000",
      max_age_duration: "172800000000000",
      max_bytes: "1048576",
    },
    validator: { pub_key_types: ["ed25519"] },
    version: { app: "0" },
    abci: { vote_extensions_enable_height: int64(p.voteExtensionsEnableHeight) },
  };
}

export interface BlockResultsJson {
  height: string;
  txs_results: ExecTxResultJson[];
  finalize_block_events: EventJson[];
  validator_updates: { pub_key: ReturnType<typeof protoPubKey>; power: string }[];
  consensus_param_updates: ConsensusParamsJson | null;
  app_hash: string;
}

/** `block_results` result. */
export function encodeBlockResults(r: BlockResultsView): BlockResultsJson {
  return {
    height: int64(r.height),
    txs_results: r.txResults.map(encodeTxResult),
    finalize_block_events: events(r.finalizeBlockEvents),
    validator_updates: r.validatorUpdates.map((u) => ({
      pub_key: protoPubKey(u.pubKey),
      power: int64(u.power),
    })),
    consensus_param_updates: r.consensusParamUpdates
      ? encodeConsensusParams(r.consensusParamUpdates)
      : null,
    app_hash: b64(r.appHash),
  };
}

export interface ValidatorJson {
  address: string;
  pub_key: PubKeyJson;
  voting_power: string;
  proposer_priority: string;
}

export function encodeValidator(v: ValidatorView): ValidatorJson {
  return {
    address: hexUpper(v.address),
    pub_key: pubKey(v.pubKey),
    voting_power: int64(v.votingPower),
    proposer_priority: int64(v.proposerPriority),
  };
}

/** `validators` result: one page of the set at `height`; `total` is the whole set's size. */
export function encodeValidators(
  height: number,
  page: readonly ValidatorView[],
  total: number,
): { block_height: string; validators: ValidatorJson[]; count: string; total: string } {
  return {
    block_height: int64(height),
    validators: page.map(encodeValidator),
    count: int64(page.length),
    total: int64(total),
  };
}
