/**
 * Evidence pool: duplicate votes seen in gossip wait here until a proposer of ours puts
 * them in a block; evidence in committed blocks is remembered (by hash) so it is committed
 * exactly once, and blocks repeating it are invalid. Pending evidence older than the
 * maximum age is dropped.
 */
import { toHex } from "../lib/bytes.js";
import { type DuplicateVoteEvidence, evidenceHash } from "./types/evidence.js";

export class EvidencePool {
  private readonly pending = new Map<string, DuplicateVoteEvidence>();
  /** Committed evidence hash -> its height (for pruning). */
  private readonly committed = new Map<string, number>();

  addPending(ev: DuplicateVoteEvidence): void {
    const key = toHex(evidenceHash(ev));
    if (!this.committed.has(key)) this.pending.set(key, ev);
  }

  markCommitted(ev: DuplicateVoteEvidence): void {
    const key = toHex(evidenceHash(ev));
    this.pending.delete(key);
    this.committed.set(key, ev.voteA.height);
  }

  isCommitted(hashHex: string): boolean {
    return this.committed.has(hashHex);
  }

  /** Pending evidence for a proposal, oldest height first, at most `max`. */
  pendingFor(
    max: number,
    eligible: (ev: DuplicateVoteEvidence) => boolean,
  ): DuplicateVoteEvidence[] {
    return [...this.pending.values()]
      .filter(eligible)
      .sort((a, b) => a.voteA.height - b.voteA.height)
      .slice(0, max);
  }

  /** Forgets evidence below `minHeight` (too old to be valid in any future block). */
  prune(minHeight: number): void {
    for (const [k, ev] of this.pending) if (ev.voteA.height < minHeight) this.pending.delete(k);
    for (const [k, h] of this.committed) if (h < minHeight - 1) this.committed.delete(k);
  }

  size(): { pending: number; committed: number } {
    return { pending: this.pending.size, committed: this.committed.size };
  }
}
