/**
 * Duplicate-vote evidence is valid when both votes are by the same member of the set at
 * the evidence height, for the same (height, round, type) and different blocks, both
 * signatures verify, and the evidence is not older than `maxAgeHeights`
 * (CometBFT spec/consensus/evidence.md, DuplicateVoteEvidence.ValidateBasic + verify).
 */
import { compareBytes, equalBytes } from "../../lib/bytes.js";
import type { SignatureScheme } from "../crypto.js";
import { ConsensusError } from "../errors.js";
import type { DuplicateVoteEvidence } from "./evidence.js";
import type { ValidatorSet } from "./validatorSet.js";
import { type VerifiedCache, verifyCached } from "./verifyCommit.js";
import { voteSignBytes } from "./vote.js";

export function verifyDuplicateVoteEvidence(
  chainId: string,
  set: ValidatorSet,
  currentHeight: number,
  maxAgeHeights: number,
  ev: DuplicateVoteEvidence,
  scheme: SignatureScheme,
  cache?: VerifiedCache,
): void {
  const a = ev.voteA;
  const b = ev.voteB;
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) {
    throw new ConsensusError("bad_evidence", "votes are for different height/round/type");
  }
  if (
    a.validatorIndex !== b.validatorIndex ||
    !equalBytes(a.validatorAddress, b.validatorAddress)
  ) {
    throw new ConsensusError("bad_evidence", "votes are from different validators");
  }
  if (compareBytes(a.blockHash, b.blockHash) >= 0) {
    throw new ConsensusError("bad_evidence", "votes are not for different blocks in order");
  }
  if (a.height >= currentHeight || a.height < currentHeight - maxAgeHeights) {
    throw new ConsensusError("bad_evidence", `evidence height ${a.height} out of range`);
  }
  const v = set.validators[a.validatorIndex];
  if (!v || !equalBytes(v.address, a.validatorAddress)) {
    throw new ConsensusError("bad_evidence", "not a validator");
  }
  for (const vote of [a, b]) {
    if (!verifyCached(scheme, v.pubKey, voteSignBytes(chainId, vote), vote.signature, cache)) {
      throw new ConsensusError("bad_evidence", "bad vote signature in evidence");
    }
  }
}
