/**
 * The votes of one type in one round. `votes` holds each validator's first vote (what we
 * re-gossip and what counts towards "2f+1 of any kind" and f+1 senders). The power behind
 * each block hash ("" = nil) counts every validator at most once per hash, including a
 * second, conflicting vote of an equivocator: that vote is also reported as evidence.
 *
 * Why count the conflicting vote: with Twins, one correct node may see a validator's vote
 * for A first and another its vote for B, and a proof-of-lock for B (line 28) must still
 * be acceptable everywhere, or correct nodes locked on B can never be joined (a liveness
 * failure the simulator found). It is safe: two different hashes reaching +2/3 in one round
 * still needs more than 1/3 of the power to equivocate, exactly as if the conflicting votes
 * had reached different correct nodes. To bound memory a validator gets at most
 * MAX_HASHES_PER_VALIDATOR hashes per tally (CometBFT bounds it with peers' +2/3 claims).
 * Immutable: adding returns a copy (O(n), cheap next to a signature check).
 */
import { toHex } from "../../lib/bytes.js";
import type { Vote } from "../types/vote.js";

const MAX_HASHES_PER_VALIDATOR = 4;

export interface VoteTally {
  readonly votes: readonly (Vote | undefined)[];
  /** Power per block-hash hex ("" = nil). */
  readonly powerByHash: ReadonlyMap<string, number>;
  /** Votes per block-hash hex, for building commits. */
  readonly votesByHash: ReadonlyMap<string, readonly Vote[]>;
  /** Distinct validators' power (each counted once). */
  readonly totalPower: number;
  /** Hashes each validator voted for (more than one = equivocation). */
  readonly hashesOf: ReadonlyMap<number, readonly string[]>;
}

export function emptyTally(n: number): VoteTally {
  return {
    votes: new Array<Vote | undefined>(n).fill(undefined),
    powerByHash: new Map(),
    votesByHash: new Map(),
    totalPower: 0,
    hashesOf: new Map(),
  };
}

export type AddResult =
  | { readonly kind: "added"; readonly tally: VoteTally; readonly conflictsWith: Vote | null }
  | { readonly kind: "ignored" };

export function addVote(t: VoteTally, vote: Vote, power: number): AddResult {
  const key = toHex(vote.blockHash);
  const i = vote.validatorIndex;
  const seen = t.hashesOf.get(i) ?? [];
  if (seen.includes(key) || seen.length >= MAX_HASHES_PER_VALIDATOR) return { kind: "ignored" };
  const first = t.votes[i];
  let votes = t.votes;
  if (!first) {
    const copy = t.votes.slice();
    copy[i] = vote;
    votes = copy;
  }
  const powerByHash = new Map(t.powerByHash);
  powerByHash.set(key, (powerByHash.get(key) ?? 0) + power);
  const votesByHash = new Map(t.votesByHash);
  votesByHash.set(key, [...(votesByHash.get(key) ?? []), vote]);
  const hashesOf = new Map(t.hashesOf);
  hashesOf.set(i, [...seen, key]);
  return {
    kind: "added",
    tally: {
      votes,
      powerByHash,
      votesByHash,
      totalPower: first ? t.totalPower : t.totalPower + power,
      hashesOf,
    },
    conflictsWith: first ?? null,
  };
}

/** The block hash (hex, "" = nil) with more than 2/3 of `total`, or null. */
export function twoThirdsMajority(t: VoteTally, total: number): string | null {
  for (const [hash, power] of t.powerByHash) if (power * 3 > total * 2) return hash;
  return null;
}
