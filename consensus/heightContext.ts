/**
 * What a node knows about the chain when it works on height `height`: the previous block's
 * hash, commit and app hash, and the validator sets of this and the previous height. Block
 * building and block validation are both functions of it, so proposer and validators agree.
 */
import type { Commit } from "./types/commit.js";
import type { ValidatorSet } from "./types/validatorSet.js";

export interface HeightContext {
  readonly chainId: string;
  readonly initialHeight: number;
  readonly genesisTimeMs: number;
  readonly height: number;
  /** Empty at the initial height. */
  readonly lastBlockHash: Uint8Array;
  readonly lastCommit: Commit | null;
  /** The state root after the previous block (genesis app hash at the initial height). */
  readonly appHash: Uint8Array;
  readonly validators: ValidatorSet;
  /** The set of height + 1 (validator updates take effect two heights later, as in CometBFT). */
  readonly nextValidators: ValidatorSet;
  /** Sets of recent heights, for evidence (null when unknown or too old). */
  readonly validatorsAt: (height: number) => ValidatorSet | null;
  /** The set that signed lastCommit (null at the initial height). */
  readonly prevValidators: ValidatorSet | null;
  /** Precommits for a block at `h` carry an extension iff h >= this (ABCI++ param). */
  readonly voteExtensionsEnableHeight: number;
  readonly maxExtensionBytes: number;
  readonly evidenceMaxAgeHeights: number;
}

export function extensionsRequiredAt(ctx: HeightContext, height: number): boolean {
  return ctx.voteExtensionsEnableHeight > 0 && height >= ctx.voteExtensionsEnableHeight;
}
