/**
 * The validator's signer with CometBFT's double-sign guard (privval/file.go):
 *  - it never signs for a (height, round, step) lower than the last one it signed;
 *  - for the same (height, round, step) it returns the signature it already released when
 *    the request is the same message, or differs only by the vote timestamp (a restarted
 *    node re-deriving its vote at another local time; the old timestamp is returned with
 *    the old signature and vote extension), and refuses anything else;
 *  - the new last-signed state is saved durably before the signature is released, so a
 *    crash can never leave a released signature the guard does not know about.
 */
import { voteExtensionSignBytes } from "../../lib/abci.js";
import { equalBytes } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";
import type { SignatureScheme } from "../crypto.js";
import { ConsensusError } from "../errors.js";
import { type Proposal, proposalSignBytes } from "../types/proposal.js";
import { type Vote, VoteType, voteSignBytes } from "../types/vote.js";
import { type LastSignState, type SignerStorage, SignStep } from "./lastSignState.js";

export interface SignedVoteParts {
  readonly timestampMs: number;
  readonly signature: Uint8Array;
  readonly extension: Uint8Array;
  readonly extensionSignature: Uint8Array;
}

export class GuardedSigner {
  readonly publicKey: Uint8Array;
  private last: LastSignState | null;

  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly chainId: string,
    private readonly seed: Uint8Array,
    private readonly scheme: SignatureScheme,
    private readonly storage: SignerStorage,
  ) {
    this.publicKey = scheme.publicKey(seed);
    this.last = storage.load();
  }

  lastSigned(): LastSignState | null {
    return this.last;
  }

  /**
   * Signs a vote and, when `extension` is not null (a precommit for a block with vote
   * extensions enabled), the extension over voteExtensionSignBytes. Throws
   * ConsensusError signer_regression / signer_conflict when the guard refuses.
   */
  signVote(
    v: Pick<Vote, "type" | "height" | "round" | "blockHash" | "timestampMs">,
    extension: Uint8Array | null,
  ): Promise<SignedVoteParts> {
    return this.serial(() => this.signVoteNow(v, extension));
  }

  signProposal(p: Pick<Proposal, "height" | "round" | "polRound" | "blockHash">) {
    return this.serial(() => this.signProposalNow(p));
  }

  /**
   * One signing at a time: each checks the guard against the state the previous one saved
   * (the save is asynchronous, so two overlapping calls could otherwise both pass it).
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async signVoteNow(
    v: Pick<Vote, "type" | "height" | "round" | "blockHash" | "timestampMs">,
    extension: Uint8Array | null,
  ): Promise<SignedVoteParts> {
    const step = v.type === VoteType.Prevote ? SignStep.Prevote : SignStep.Precommit;
    const hashNoTime = sha256(voteSignBytes(this.chainId, { ...v, timestampMs: 0 }));
    const same = this.check(v.height, v.round, step, hashNoTime);
    if (same) {
      return {
        timestampMs: same.timestampMs,
        signature: same.signature,
        extension: same.extension,
        extensionSignature: same.extensionSignature,
      };
    }
    const signature = this.scheme.sign(this.seed, voteSignBytes(this.chainId, v));
    const extensionSignature =
      extension !== null
        ? this.scheme.sign(
            this.seed,
            voteExtensionSignBytes(this.chainId, v.height, v.round, extension),
          )
        : new Uint8Array(0);
    const next: LastSignState = {
      height: v.height,
      round: v.round,
      step,
      signBytesHash: hashNoTime,
      timestampMs: v.timestampMs,
      signature,
      extension: extension ?? new Uint8Array(0),
      extensionSignature,
    };
    await this.storage.save(next);
    this.last = next;
    return {
      timestampMs: v.timestampMs,
      signature,
      extension: next.extension,
      extensionSignature,
    };
  }

  private async signProposalNow(p: Pick<Proposal, "height" | "round" | "polRound" | "blockHash">) {
    const bytes = proposalSignBytes(this.chainId, p);
    const hash = sha256(bytes);
    const same = this.check(p.height, p.round, SignStep.Propose, hash);
    if (same) return same.signature;
    const signature = this.scheme.sign(this.seed, bytes);
    const empty = new Uint8Array(0);
    const next: LastSignState = {
      height: p.height,
      round: p.round,
      step: SignStep.Propose,
      signBytesHash: hash,
      timestampMs: 0,
      signature,
      extension: empty,
      extensionSignature: empty,
    };
    await this.storage.save(next);
    this.last = next;
    return signature;
  }

  /** Returns the last state when this is a re-sign of it; null when signing is allowed. */
  private check(height: number, round: number, step: SignStep, hash: Uint8Array) {
    const l = this.last;
    if (!l) return null;
    const order =
      height !== l.height ? height - l.height : round !== l.round ? round - l.round : step - l.step;
    if (order < 0) {
      throw new ConsensusError(
        "signer_regression",
        `refusing ${height}/${round}/${step}: already signed ${l.height}/${l.round}/${l.step}`,
      );
    }
    if (order > 0) return null;
    if (equalBytes(hash, l.signBytesHash)) return l;
    throw new ConsensusError(
      "signer_conflict",
      `refusing a different message for ${height}/${round}/${step}`,
    );
  }
}
