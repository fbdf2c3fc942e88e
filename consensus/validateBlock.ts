/**
 * valid(v) of Algorithm 1, the consensus half (the application's half is processProposal):
 * the header links to our chain (height, lastBlockHash, appHash, validatorsHash, chain id),
 * commits to the block's own contents (dataHash, lastCommitHash, evidenceHash), has the BFT
 * time of its lastCommit, was proposed by a member of the set, and the lastCommit is a
 * valid +2/3 extended commit for the previous block; every piece of evidence is valid, not
 * yet committed and not repeated. Throws ConsensusError naming the first broken rule.
 */
import { equalBytes, toHex } from "../lib/bytes.js";
import type { SignatureScheme } from "./crypto.js";
import { ConsensusError } from "./errors.js";
import { extensionsRequiredAt, type HeightContext } from "./heightContext.js";
import { type Block, dataHash } from "./types/block.js";
import { medianTime } from "./types/blockTime.js";
import { commitHash } from "./types/commit.js";
import { evidenceHash, evidenceListHash } from "./types/evidence.js";
import { indexOfAddress, validatorsHash } from "./types/validatorSet.js";
import { type VerifiedCache, verifyCommit } from "./types/verifyCommit.js";
import { verifyDuplicateVoteEvidence } from "./types/verifyEvidence.js";

export interface ValidateOptions {
  readonly scheme: SignatureScheme;
  readonly cache?: VerifiedCache;
  /** True when evidence with this hash (hex) is already in a committed block. */
  readonly isCommittedEvidence: (hashHex: string) => boolean;
}

function check(cond: boolean, code: ConsensusError["code"], msg: string): void {
  if (!cond) throw new ConsensusError(code, msg);
}

export function validateBlock(ctx: HeightContext, block: Block, opts: ValidateOptions): void {
  const h = block.header;
  check(h.chainId === ctx.chainId, "bad_header", "wrong chain id");
  check(h.height === ctx.height, "wrong_height", `block ${h.height}, expected ${ctx.height}`);
  check(equalBytes(h.lastBlockHash, ctx.lastBlockHash), "bad_header", "lastBlockHash");
  check(equalBytes(h.appHash, ctx.appHash), "bad_header", "appHash");
  check(
    equalBytes(h.validatorsHash, validatorsHash(ctx.validators)),
    "bad_header",
    "validatorsHash",
  );
  check(
    equalBytes(h.nextValidatorsHash, validatorsHash(ctx.nextValidators)),
    "bad_header",
    "nextValidatorsHash",
  );
  check(
    indexOfAddress(ctx.validators, h.proposerAddress) >= 0,
    "bad_header",
    "proposer not a validator",
  );
  check(equalBytes(h.dataHash, dataHash(block.txs)), "bad_header", "dataHash");
  check(equalBytes(h.lastCommitHash, commitHash(block.lastCommit)), "bad_header", "lastCommitHash");
  check(equalBytes(h.evidenceHash, evidenceListHash(block.evidence)), "bad_header", "evidenceHash");
  if (ctx.height === ctx.initialHeight) {
    check(block.lastCommit === null, "bad_last_commit", "lastCommit at the initial height");
  } else {
    check(
      block.lastCommit !== null && ctx.prevValidators !== null,
      "bad_last_commit",
      "missing lastCommit",
    );
    verifyCommit(
      ctx.chainId,
      ctx.prevValidators!,
      ctx.height - 1,
      ctx.lastBlockHash,
      block.lastCommit!,
      {
        scheme: opts.scheme,
        cache: opts.cache,
        requireExtensions: extensionsRequiredAt(ctx, ctx.height - 1),
        maxExtensionBytes: ctx.maxExtensionBytes,
      },
    );
  }
  // BFT time of the block's own lastCommit (the proposer's view of the precommits may
  // differ from ours; both are valid commits).
  const expectedTime =
    ctx.height === ctx.initialHeight
      ? ctx.genesisTimeMs
      : medianTime(block.lastCommit!, ctx.prevValidators!);
  check(h.timeMs === expectedTime, "bad_header", "time is not the BFT time of lastCommit");
  const seen = new Set<string>();
  for (const ev of block.evidence) {
    const key = toHex(evidenceHash(ev));
    check(!seen.has(key), "bad_evidence", "evidence repeated in block");
    check(!opts.isCommittedEvidence(key), "bad_evidence", "evidence already committed");
    seen.add(key);
    const set = ctx.validatorsAt(ev.voteA.height);
    check(set !== null, "bad_evidence", `no validator set for height ${ev.voteA.height}`);
    verifyDuplicateVoteEvidence(
      ctx.chainId,
      set!,
      ctx.height,
      ctx.evidenceMaxAgeHeights,
      ev,
      opts.scheme,
      opts.cache,
    );
  }
}
