/**
 * Evidence of a duplicate vote (equivocation): two votes of one validator for the same
 * height, round and type but different blocks (CometBFT spec/consensus/evidence.md).
 * Votes are ordered canonically (by blockHash) so one equivocation has one hash.
 */
import { compareBytes } from "../../lib/bytes.js";
import { encode } from "../../lib/cbor.js";
import { sha256 } from "../../lib/hash.js";
import type { Vote } from "./vote.js";

export interface DuplicateVoteEvidence {
  readonly voteA: Vote;
  readonly voteB: Vote;
}

export function newDuplicateVoteEvidence(a: Vote, b: Vote): DuplicateVoteEvidence {
  return compareBytes(a.blockHash, b.blockHash) <= 0
    ? { voteA: a, voteB: b }
    : { voteA: b, voteB: a };
}

export function voteToCbor(v: Vote): unknown {
  return [
    v.type,
    v.height,
    v.round,
    v.blockHash,
    v.timestampMs,
    v.validatorIndex,
    v.validatorAddress,
    v.signature,
    v.extension,
    v.extensionSignature,
  ];
}

export function evidenceToCbor(e: DuplicateVoteEvidence): unknown {
  return [voteToCbor(e.voteA), voteToCbor(e.voteB)];
}

export function evidenceHash(e: DuplicateVoteEvidence): Uint8Array {
  return sha256(encode(evidenceToCbor(e)));
}

/** The header's evidenceHash: sha256 of the CBOR list of evidence hashes. */
export function evidenceListHash(list: readonly DuplicateVoteEvidence[]): Uint8Array {
  return sha256(encode(list.map(evidenceHash)));
}
