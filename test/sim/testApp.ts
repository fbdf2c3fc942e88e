/**
 * A deterministic test application: the app hash chains the previous hash, the height and
 * the txs; the vote extension is cbor([height, price]) like a one-market oracle;
 * processProposal re-checks the extensions of the previous height that the proposer put in
 * the block. Its committed state lives in a `TestAppDisk` that survives simulated crashes,
 * and `extensionMode` makes a validator produce missing, garbage or oversized extensions.
 */

import type { CrashHook } from "../../consensus/crash.js";
import type {
  Application,
  BlockRequest,
  CommitResponse,
  FinalizeBlockResponse,
  PrepareProposalRequest,
  ValidatorUpdate,
  VerifyVoteExtensionRequest,
} from "../../lib/abci.js";
import { utf8 } from "../../lib/bytes.js";
import { decode, encode } from "../../lib/cbor.js";
import { sha256, sha256Parts } from "../../lib/hash.js";

export const GENESIS_APP_HASH = sha256(utf8("perpetua/sim/genesis"));

export class TestAppDisk {
  height = 0;
  appHash: Uint8Array = GENESIS_APP_HASH;
  /** Committed app hashes per height (for cross-node comparison). */
  readonly hashes = new Map<number, Uint8Array>();
}

export type ExtensionMode = "good" | "missing" | "garbage" | "oversized";

export class TestApp implements Application {
  private working: { height: number; appHash: Uint8Array } | null = null;
  crashHook: CrashHook | undefined;

  constructor(
    private readonly disk: TestAppDisk,
    private readonly extensionMode: ExtensionMode = "good",
    /** ABCI++ VoteExtensionsEnableHeight, as the app learns it from genesis (0 = off). */
    private readonly extensionsEnableHeight = 1,
    /** Validator updates the app returns at given heights (a staking module stand-in). */
    private readonly updatesAt: (height: number) => readonly ValidatorUpdate[] = () => [],
  ) {}

  info() {
    return { height: this.disk.height, appHash: this.disk.appHash };
  }

  initChain() {
    return { appHash: GENESIS_APP_HASH, validators: [] };
  }

  checkTx() {
    return { ok: true, code: 0, log: "", priority: 0, sender: "", nonce: 0 };
  }

  prepareProposal(req: PrepareProposalRequest): Uint8Array[] {
    return [...req.txs];
  }

  processProposal(req: BlockRequest): boolean {
    const enabled =
      this.extensionsEnableHeight > 0 && req.height - 1 >= this.extensionsEnableHeight;
    if (!enabled) return true;
    for (const v of req.localLastCommit.votes) {
      if (!v.committed) continue;
      if (
        !this.verifyVoteExtension({
          height: req.height - 1,
          round: req.localLastCommit.round,
          validatorAddress: v.validator.address,
          voteExtension: v.voteExtension,
        })
      ) {
        return false;
      }
    }
    return true;
  }

  extendVote(req: { height: number }): Uint8Array {
    switch (this.extensionMode) {
      case "good":
        return encode([req.height, 50_000 + (req.height % 7)]);
      case "missing":
        return new Uint8Array(0);
      case "garbage":
        return Uint8Array.from([0xff, 0x00, 0x13, 0x37]);
      case "oversized":
        return new Uint8Array(20_000).fill(7);
    }
  }

  verifyVoteExtension(req: VerifyVoteExtensionRequest): boolean {
    if (req.voteExtension.length === 0 || req.voteExtension.length > 64) return false;
    try {
      const v = decode(req.voteExtension);
      return Array.isArray(v) && v.length === 2 && v[0] === req.height && typeof v[1] === "number";
    } catch {
      return false;
    }
  }

  finalizeBlock(req: BlockRequest): FinalizeBlockResponse {
    const appHash = sha256Parts(
      this.disk.appHash,
      encode([req.height, req.txs.length]),
      ...req.txs,
    );
    this.working = { height: req.height, appHash };
    return {
      txResults: req.txs.map(() => ({ code: 0, log: "", data: new Uint8Array(0), events: [] })),
      events: [],
      validatorUpdates: this.updatesAt(req.height),
      appHash,
    };
  }

  async commit(): Promise<CommitResponse> {
    const w = this.working;
    if (w) {
      this.disk.height = w.height;
      this.disk.appHash = w.appHash;
      this.disk.hashes.set(w.height, w.appHash);
      this.working = null;
    }
    this.crashHook?.("commit:afterAppCommit");
    return { retainHeight: 0 };
  }

  query() {
    return { code: 0, log: "", height: this.disk.height, value: null };
  }
}
