/**
 * The consensus driver: one event loop around the pure machine (CometBFT consensus/state.go
 * in shape). It
 *  - validates what arrives (signatures, proposer, block validity with the app's
 *    processProposal, vote extensions with verifyVoteExtension) — the reactor's half — and
 *    feeds the machine in order: our own messages first, then peers' messages and timeouts;
 *  - writes every message to the WAL before the machine sees it, and our own proposals and
 *    votes with fsync after the signer (which fsyncs its guard state) released them and
 *    before they are sent;
 *  - runs the machine's effects: timers, prepareProposal / extendVote, signing, gossip,
 *    finalizeBlock + commit with an end-of-height marker;
 *  - recovers on start: replays committed blocks the app has not applied, then the WAL of
 *    the unfinished height;
 *  - syncs: a message from a later height triggers a request for the block we miss, a
 *    message from an earlier height is answered with the block the sender misses
 *    (`applySyncedBlock` checks the commit before deciding).
 * Everything time-related goes through the injected Timers, so the simulator runs it on
 * virtual time.
 */
import type { Application, FinalizeBlockResponse, ValidatorUpdate } from "../lib/abci.js";
import { voteExtensionSignBytes } from "../lib/abci.js";
import { addressBytes } from "../lib/address.js";
import { equalBytes, toHex } from "../lib/bytes.js";
import { blockRequest, extendedCommitInfo, misbehaviors } from "./appRequests.js";
import type { BlockStore } from "./blockStore.js";
import { blockTimeFor, buildBlock, txsBytes } from "./buildBlock.js";
import { SimulatedCrash } from "./crash.js";
import type { SignatureScheme } from "./crypto.js";
import { ConsensusError, isConsensusError } from "./errors.js";
import { EvidencePool } from "./evidencePool.js";
import { extensionsRequiredAt, type HeightContext } from "./heightContext.js";
import { type Logger, silentLogger } from "./logger.js";
import type { Effect, MachineEvent } from "./machine/events.js";
import { startHeight, step } from "./machine/machine.js";
import type { MachineState } from "./machine/state.js";
import { DEFAULT_TIMEOUTS, type TimeoutConfig, type TimeoutStep } from "./machine/timeouts.js";
import type { GuardedSigner } from "./signer/guardedSigner.js";
import type { Timers } from "./timers.js";
import type { PeerId, Transport } from "./transport.js";
import { type Block, blockHash } from "./types/block.js";
import { voteTime } from "./types/blockTime.js";
import type { Commit } from "./types/commit.js";
import type { ConsensusMessage } from "./types/messages.js";
import { type Proposal, proposalSignBytes } from "./types/proposal.js";
import {
  applyValidatorUpdates,
  hasTwoThirds,
  indexOfAddress,
  newValidatorSet,
  nextHeightSet,
  proposerForRound,
  type ValidatorSet,
} from "./types/validatorSet.js";
import { type VerifiedCache, verifyCached, verifyCommit } from "./types/verifyCommit.js";
import { isNil, type Vote, VoteType, voteSignBytes } from "./types/vote.js";
import { validateBlock } from "./validateBlock.js";
import { recordHeight, type WalRecord } from "./wal/record.js";
import type { Wal } from "./wal/wal.js";

export interface DriverConfig {
  readonly chainId: string;
  readonly initialHeight: number;
  readonly genesisTimeMs: number;
  readonly genesisValidators: readonly { pubKey: Uint8Array; power: number }[];
  /** The app hash returned by initChain (the caller runs initChain once). */
  readonly genesisAppHash: Uint8Array;
  readonly timeouts?: TimeoutConfig;
  readonly maxBlockBytes?: number;
  readonly maxBlockTxs?: number;
  /** 1 = extensions required from genesis; 0 = never (ABCI++ VoteExtensionsEnableHeight). */
  readonly voteExtensionsEnableHeight?: number;
  readonly maxExtensionBytes?: number;
  readonly evidenceMaxAgeHeights?: number;
  readonly maxEvidencePerBlock?: number;
  /**
   * Period of re-gossip of current-round messages (default: timeouts.proposeMs; 0 = off).
   * A transport that already repairs losses (gossipsub's IHAVE/IWANT; its seen-cache also
   * drops identical re-publications) may turn it off, but then must also deliver to peers
   * that (re)join late, as the driver's catch-up relies on seeing later heights' messages.
   */
  readonly gossipIntervalMs?: number;
}

/** Where the proposer takes candidate transactions from (the node's mempool). */
export interface TxSource {
  reap(maxBytes: number, maxTxs: number): Uint8Array[];
  /** Called after each commit with the block's txs (the mempool drops and rechecks). */
  committed?(height: number, txs: readonly Uint8Array[]): void;
}

export interface DriverDeps {
  readonly app: Application;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly wal: Wal;
  /** null for a non-validator (it follows the chain but never signs). */
  readonly signer: GuardedSigner | null;
  readonly blockStore: BlockStore;
  readonly scheme: SignatureScheme;
  readonly mempool?: TxSource;
  /** This validator's oracle prices for extendVote (from the node's feeds). */
  readonly prices?: () => Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Called after each block is committed (node: events, RPC; simulator: safety checker). */
  readonly onCommit?: (block: Block, commit: Commit, result: FinalizeBlockResponse) => void;
}

type QueueItem =
  | { readonly kind: "peer"; readonly from: PeerId; readonly msg: ConsensusMessage }
  | { readonly kind: "own"; readonly msg: ConsensusMessage }
  | {
      readonly kind: "timeout";
      readonly height: number;
      readonly round: number;
      readonly step: TimeoutStep;
    }
  | { readonly kind: "gossip" }
  | {
      readonly kind: "sync";
      readonly block: Block;
      readonly commit: Commit;
      readonly done: (applied: boolean) => void;
    };

const MAX_FUTURE_MESSAGES = 2000;

export interface DriverStats {
  messagesHandled: number;
  votesRejected: number;
  proposalsRejected: number;
  signerRefusals: number;
  syncedBlocks: number;
}

export class Driver {
  private readonly cfg: Required<DriverConfig>;
  private machine!: MachineState;
  private ctx!: HeightContext;
  private readonly ownQueue: QueueItem[] = [];
  private readonly queue: QueueItem[] = [];
  private running: Promise<void> | null = null;
  private readonly timerHandles = new Set<unknown>();
  private future: { from: PeerId; msg: ConsensusMessage }[] = [];
  private validity = new Map<string, boolean>();
  private readonly sigCache: VerifiedCache & { clear(): void };
  private readonly evidence: EvidencePool;
  private readonly log: Logger;
  private replaying = false;
  private ready = false;
  private stopped = false;
  private crashed: unknown = null;
  private syncAsked = new Set<string>();
  private readonly myAddress: Uint8Array | null;
  private readonly setsByHeight = new Map<number, ValidatorSet>();
  readonly stats: DriverStats = {
    messagesHandled: 0,
    votesRejected: 0,
    proposalsRejected: 0,
    signerRefusals: 0,
    syncedBlocks: 0,
  };

  constructor(
    config: DriverConfig,
    private readonly deps: DriverDeps,
  ) {
    const timeouts = config.timeouts ?? DEFAULT_TIMEOUTS;
    this.cfg = {
      timeouts,
      maxBlockBytes: 4 << 20,
      maxBlockTxs: 10_000,
      voteExtensionsEnableHeight: 1,
      maxExtensionBytes: 16 << 10,
      evidenceMaxAgeHeights: 100,
      maxEvidencePerBlock: 16,
      gossipIntervalMs: timeouts.proposeMs,
      ...config,
    } as Required<DriverConfig>;
    this.log = deps.logger ?? silentLogger;
    const set = new Set<string>();
    this.sigCache = {
      has: (k) => set.has(k),
      add: (k) => {
        if (set.size > 50_000) set.clear();
        set.add(k);
      },
      clear: () => set.clear(),
    };
    this.evidence = new EvidencePool();
    this.myAddress = deps.signer ? addressBytes(deps.signer.publicKey) : null;
  }

  /** Current height and round, for status and tests. */
  get height(): number {
    return this.machine.height;
  }
  get round(): number {
    return this.machine.round;
  }
  get state(): MachineState {
    return this.machine;
  }
  get lastCommittedHeight(): number {
    return this.deps.blockStore.height();
  }

  /**
   * Recovers and starts: the app catches up with the block store, the machine starts at
   * the next height, and the WAL records of that height are replayed into it.
   */
  async start(): Promise<void> {
    const store = this.deps.blockStore;
    const top = store.height();
    const app = this.deps.app;
    const info = app.info();
    if (info.height > top) {
      throw new ConsensusError(
        "recovery",
        `app at height ${info.height} ahead of block store ${top}`,
      );
    }
    // Validator sets per height: updates returned by finalizeBlock(h) shape the set of h + 2.
    let set = newValidatorSet(this.cfg.genesisValidators);
    let next = nextHeightSet(set);
    let prevSet: ValidatorSet | null = null;
    for (let h = this.cfg.initialHeight; h <= top; h++) {
      const stored = store.load(h);
      if (!stored) throw new ConsensusError("recovery", `block ${h} missing from the store`);
      this.rememberSet(h, set);
      let updates: readonly ValidatorUpdate[] | null;
      if (h > info.height) {
        // Handshake: the app missed this block (crash between block save and app commit).
        const resp = await app.finalizeBlock(blockRequest(stored.block, prevSet, set));
        updates = resp.validatorUpdates;
        await this.saveFinalizeResult(h, resp);
        await app.commit();
        // The node never saw this block's results before the crash: report it now.
        this.deps.onCommit?.(stored.block, stored.commit, resp);
      } else {
        // A store that cannot keep results never accepted updates (saveFinalizeResult).
        updates = store.loadFinalizeResult
          ? (store.loadFinalizeResult(h)?.validatorUpdates ?? null)
          : [];
        if (!updates) {
          throw new ConsensusError("recovery", `finalize result of height ${h} not stored`);
        }
      }
      for (const ev of stored.block.evidence) this.evidence.markCommitted(ev);
      prevSet = set;
      set = next;
      next = nextHeightSet(applyValidatorUpdates(next, updates));
    }
    this.rememberSet(top + 1, set);
    const last = top >= this.cfg.initialHeight ? store.load(top) : null;
    const appHash = last ? app.info().appHash : this.cfg.genesisAppHash;
    this.setContext(
      top + 1,
      set,
      next,
      prevSet,
      last?.block ?? null,
      last && prevSet ? this.usableCommit(last.commit, top, prevSet) : null,
      appHash,
    );
    this.deps.transport.setHandler((from, msg) => this.receive(from, msg));
    const t = startHeight({
      chainId: this.cfg.chainId,
      timeouts: this.cfg.timeouts,
      height: top + 1,
      validators: set,
      myIndex: this.myIndexIn(set),
    });
    this.machine = t.state;
    const replay = this.deps.wal.replay();
    if (replay.tornTail) {
      this.log.warn({ ...replay.tornTail }, "WAL had a torn or corrupted tail; it was cut off");
    }
    this.replaying = true;
    try {
      for (const fx of t.effects) await this.runEffect(fx);
      for (const rec of replay.records) await this.replayRecord(rec, top + 1);
    } finally {
      this.replaying = false;
    }
    this.scheduleGossip();
    this.ready = true;
    if (this.queue.length > 0 || this.ownQueue.length > 0) this.running = this.run();
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.timerHandles) this.deps.timers.clearTimeout(h);
    this.timerHandles.clear();
    for (const item of this.queue) if (item.kind === "sync") item.done(false);
    this.queue.length = 0;
    this.ownQueue.length = 0;
  }

  /** Resolves when every queued event has been handled; rejects if the loop halted. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    if (this.crashed) throw this.crashed;
  }

  /** The error that halted the loop (a SimulatedCrash in the simulator), if any. */
  get haltedBy(): unknown {
    return this.crashed;
  }

  /** Transport entry point. */
  receive(from: PeerId, msg: ConsensusMessage): void {
    this.enqueue({ kind: "peer", from, msg });
  }

  /**
   * Block sync: applies `block` of the current height decided by `commit` (+2/3 valid
   * precommits and the block's linkage are checked here; otherwise it is ignored).
   */
  applySyncedBlock(block: Block, commit: Commit): Promise<boolean> {
    return new Promise((done) => {
      if (this.stopped || this.crashed) return done(false);
      this.enqueue({ kind: "sync", block, commit, done });
    });
  }

  private enqueue(item: QueueItem): void {
    if (this.stopped || this.crashed) return;
    if (item.kind === "own") this.ownQueue.push(item);
    else this.queue.push(item);
    if (this.ready && !this.running) this.running = this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const item = this.ownQueue.shift() ?? this.queue.shift();
        if (!item || this.stopped) break;
        await this.process(item);
      }
    } catch (e) {
      // A failed durable step or a broken invariant halts consensus rather than continue
      // from a state that is not on disk; drain() reports it.
      this.crashed = e;
      this.stop();
      if (!(e instanceof SimulatedCrash)) this.log.error({ err: String(e) }, "consensus halted");
    } finally {
      this.running = null;
    }
  }

  private myIndexIn(set: ValidatorSet): number {
    return this.myAddress ? indexOfAddress(set, this.myAddress) : -1;
  }

  /**
   * The part of a decided commit we can put in our next block: precommits whose
   * extensions our app accepts. A commit obtained by block sync, or holding our own
   * precommit, may carry an extension the app rejects (a faulty validator's); a block
   * carrying it would be rejected by every correct validator's processProposal.
   */
  private extensionAccepted(v: Vote): boolean {
    try {
      return this.deps.app.verifyVoteExtension({
        height: v.height,
        round: v.round,
        validatorAddress: v.validatorAddress,
        voteExtension: v.extension,
      });
    } catch {
      return false;
    }
  }

  private usableCommit(commit: Commit, height: number, set: ValidatorSet): Commit {
    if (this.cfg.voteExtensionsEnableHeight <= 0 || height < this.cfg.voteExtensionsEnableHeight) {
      return commit;
    }
    const sigs = commit.sigs.filter((s) => {
      const v = set.validators[s.validatorIndex];
      try {
        return this.deps.app.verifyVoteExtension({
          height,
          round: commit.round,
          validatorAddress: v.address,
          voteExtension: s.extension,
        });
      } catch {
        return false;
      }
    });
    return sigs.length === commit.sigs.length ? commit : { ...commit, sigs };
  }

  /**
   * A precommit of the previous height that arrives after our decision (CometBFT adds
   * these to its LastCommit too): with a valid signature and an extension our app accepts,
   * it joins the commit our next proposal carries, so a last commit trimmed by
   * usableCommit regains more than 2/3 of the power.
   */
  private addLatePrecommit(vote: Vote): void {
    const lc = this.ctx.lastCommit;
    const set = this.ctx.prevValidators;
    if (!lc || !set || this.machine.step === "commit") return;
    if (vote.type !== VoteType.Precommit || vote.round !== lc.round) return;
    if (!equalBytes(vote.blockHash, lc.blockHash)) return;
    if (lc.sigs.some((s) => s.validatorIndex === vote.validatorIndex)) return;
    if (this.voteRejection(vote, set) !== null) return;
    const sigs = [
      ...lc.sigs,
      {
        validatorIndex: vote.validatorIndex,
        timestampMs: vote.timestampMs,
        signature: vote.signature,
        extension: vote.extension,
        extensionSignature: vote.extensionSignature,
      },
    ].sort((a, b) => a.validatorIndex - b.validatorIndex);
    this.ctx = { ...this.ctx, lastCommit: { ...lc, sigs } };
  }

  private async saveFinalizeResult(height: number, resp: FinalizeBlockResponse): Promise<void> {
    const store = this.deps.blockStore;
    if (store.saveFinalizeResult) return store.saveFinalizeResult(height, resp);
    if (resp.validatorUpdates.length > 0) {
      throw new ConsensusError(
        "recovery",
        "validator updates need a block store with saveFinalizeResult/loadFinalizeResult",
      );
    }
  }

  /** Keeps the sets of the last heights evidence may come from. */
  private rememberSet(height: number, set: ValidatorSet): void {
    this.setsByHeight.set(height, set);
    this.setsByHeight.delete(height - this.cfg.evidenceMaxAgeHeights - 2);
  }

  private setContext(
    height: number,
    validators: ValidatorSet,
    nextValidators: ValidatorSet,
    prevValidators: ValidatorSet | null,
    lastBlock: Block | null,
    lastCommit: Commit | null,
    appHash: Uint8Array,
  ): void {
    this.ctx = {
      chainId: this.cfg.chainId,
      initialHeight: this.cfg.initialHeight,
      genesisTimeMs: this.cfg.genesisTimeMs,
      height,
      lastBlockHash: lastBlock ? blockHash(lastBlock) : new Uint8Array(0),
      lastCommit,
      appHash,
      validators,
      nextValidators,
      validatorsAt: (h) => this.setsByHeight.get(h) ?? null,
      prevValidators,
      voteExtensionsEnableHeight: this.cfg.voteExtensionsEnableHeight,
      maxExtensionBytes: this.cfg.maxExtensionBytes,
      evidenceMaxAgeHeights: this.cfg.evidenceMaxAgeHeights,
    };
    this.validity = new Map();
  }

  private async replayRecord(rec: WalRecord, height: number): Promise<void> {
    if (rec.kind === "endHeight" || recordHeight(rec) !== height) return;
    if (rec.kind === "timeout") {
      await this.feed({ kind: "timeout", height: rec.height, round: rec.round, step: rec.step });
    } else if (rec.kind === "own") {
      await this.processOwn(rec.msg);
    } else {
      await this.processPeer(rec.from, rec.msg);
    }
    // Our own messages the replay produced are handled right away, in order.
    while (this.ownQueue.length > 0) await this.process(this.ownQueue.shift()!);
  }

  private async process(item: QueueItem): Promise<void> {
    switch (item.kind) {
      case "peer":
        this.stats.messagesHandled++;
        return this.processPeer(item.from, item.msg);
      case "own":
        return this.processOwn(item.msg);
      case "timeout":
        if (item.height !== this.machine.height) return;
        await this.walAppend({
          kind: "timeout",
          height: item.height,
          round: item.round,
          step: item.step,
        });
        return this.feed({
          kind: "timeout",
          height: item.height,
          round: item.round,
          step: item.step,
        });
      case "gossip":
        return this.gossip();
      case "sync":
        item.done(await this.processSynced(item.block, item.commit));
        return;
    }
  }

  private async walAppend(rec: WalRecord): Promise<void> {
    if (!this.replaying) await this.deps.wal.append(rec);
  }

  private async processOwn(msg: ConsensusMessage): Promise<void> {
    if (msg.type === "proposal") {
      if (msg.proposal.height !== this.machine.height) return;
      this.validity.set(toHex(msg.proposal.blockHash), true);
      await this.feed({ kind: "proposal", proposal: msg.proposal, block: msg.block, valid: true });
    } else if (msg.type === "vote") {
      const v = msg.vote;
      if (v.height !== this.machine.height) return;
      if (
        v.type === VoteType.Precommit &&
        !isNil(v.blockHash) &&
        extensionsRequiredAt(this.ctx, v.height) &&
        !this.extensionAccepted(v)
      ) {
        // Peers drop it, so we do not count it either: our commit must be one they accept.
        this.log.error(
          { height: v.height, round: v.round },
          "our app rejected its own vote extension",
        );
        return;
      }
      await this.feed({ kind: "vote", vote: v });
    }
  }

  private async processPeer(from: PeerId, msg: ConsensusMessage): Promise<void> {
    const h = this.machine.height;
    switch (msg.type) {
      case "syncRequest":
        this.answerSync(from, msg.height);
        return;
      case "syncResponse":
        if (msg.block.header.height === h) await this.processSynced(msg.block, msg.commit);
        return;
      case "proposal":
      case "vote": {
        const mh = msg.type === "vote" ? msg.vote.height : msg.proposal.height;
        if (mh < h) {
          if (msg.type === "vote" && mh === h - 1) this.addLatePrecommit(msg.vote);
          this.answerSync(from, mh);
          return;
        }
        if (mh > h) {
          this.bufferFuture(from, msg);
          // The sender is at mh, so height h (at least) is decided: ask for it.
          this.requestSync(from, h);
          return;
        }
        if (msg.type === "vote") await this.onPeerVote(from, msg.vote, msg);
        else await this.onPeerProposal(from, msg.proposal, msg.block, msg);
      }
    }
  }

  private bufferFuture(from: PeerId, msg: ConsensusMessage): void {
    if (this.future.length >= MAX_FUTURE_MESSAGES) this.future.shift();
    this.future.push({ from, msg });
  }

  private requestSync(peer: PeerId, height: number): void {
    const key = `${peer}:${height}:req`;
    if (this.syncAsked.has(key)) return;
    this.syncAsked.add(key);
    this.deps.transport.send(peer, { type: "syncRequest", height });
  }

  private answerSync(peer: PeerId, height: number): void {
    const key = `${peer}:${height}:ans`;
    if (this.syncAsked.has(key)) return;
    const stored = this.deps.blockStore.load(height);
    if (!stored) return;
    this.syncAsked.add(key);
    this.deps.transport.send(peer, {
      type: "syncResponse",
      block: stored.block,
      commit: stored.commit,
    });
  }

  /**
   * Why a peer's vote is not acceptable, or null: a member's valid signature, and for a
   * precommit for a block (extensions enabled) a non-empty extension within the size limit,
   * validly signed and accepted by the app. An invalid extension drops the precommit (it
   * must not count towards a commit the next proposer has to include) but never halts us.
   */
  private voteRejection(vote: Vote, set: ValidatorSet): string | null {
    const val = set.validators[vote.validatorIndex];
    if (!val || !equalBytes(val.address, vote.validatorAddress)) return "unknown validator";
    const scheme = this.deps.scheme;
    const signBytes = voteSignBytes(this.cfg.chainId, vote);
    if (!verifyCached(scheme, val.pubKey, signBytes, vote.signature, this.sigCache)) {
      return "bad signature";
    }
    const forBlock = vote.type === VoteType.Precommit && !isNil(vote.blockHash);
    if (forBlock && extensionsRequiredAt(this.ctx, vote.height)) {
      if (vote.extension.length === 0) return "missing vote extension";
      if (vote.extension.length > this.cfg.maxExtensionBytes) return "oversized vote extension";
      const ext = voteExtensionSignBytes(this.cfg.chainId, vote.height, vote.round, vote.extension);
      if (!verifyCached(scheme, val.pubKey, ext, vote.extensionSignature, this.sigCache)) {
        return "bad extension signature";
      }
      if (!this.extensionAccepted(vote)) return "extension rejected by the app";
    } else if (vote.extension.length > 0 || vote.extensionSignature.length > 0) {
      return "unexpected vote extension";
    }
    return null;
  }

  private async onPeerVote(from: PeerId, vote: Vote, msg: ConsensusMessage): Promise<void> {
    const why = this.voteRejection(vote, this.machine.validators);
    if (why) {
      this.stats.votesRejected++;
      this.log.debug({ from, height: vote.height, round: vote.round, why }, "vote rejected");
      return;
    }
    await this.walAppend({ kind: "msg", from, msg });
    await this.feed({ kind: "vote", vote });
  }

  private async onPeerProposal(
    from: PeerId,
    proposal: Proposal,
    block: Block,
    msg: ConsensusMessage,
  ): Promise<void> {
    const reject = (why: string) => {
      this.stats.proposalsRejected++;
      this.log.debug(
        { from, height: proposal.height, round: proposal.round, why },
        "proposal rejected",
      );
    };
    if (this.machine.proposals.has(proposal.round)) return; // first proposal of a round counts
    if (proposal.polRound < -1 || proposal.polRound >= proposal.round) return reject("polRound");
    const hash = blockHash(block);
    if (!equalBytes(hash, proposal.blockHash)) return reject("block does not match proposal");
    const proposer = proposerForRound(this.machine.validators, proposal.round);
    if (
      !verifyCached(
        this.deps.scheme,
        proposer.pubKey,
        proposalSignBytes(this.cfg.chainId, proposal),
        proposal.signature,
        this.sigCache,
      )
    ) {
      return reject("not signed by the round's proposer");
    }
    await this.walAppend({ kind: "msg", from, msg });
    const valid = this.blockValidity(block);
    await this.feed({ kind: "proposal", proposal, block, valid });
  }

  /** valid(v): consensus checks, then processProposal; memoised per block at this height. */
  private blockValidity(block: Block): boolean {
    const key = toHex(blockHash(block));
    const known = this.validity.get(key);
    if (known !== undefined) return known;
    let valid = true;
    try {
      validateBlock(this.ctx, block, {
        scheme: this.deps.scheme,
        cache: this.sigCache,
        isCommittedEvidence: (k) => this.evidence.isCommitted(k),
      });
      valid = this.deps.app.processProposal(
        blockRequest(block, this.ctx.prevValidators, this.ctx.validators),
      );
    } catch (e) {
      if (!isConsensusError(e)) throw e;
      this.log.info({ height: block.header.height, code: e.code, why: e.message }, "invalid block");
      valid = false;
    }
    this.validity.set(key, valid);
    return valid;
  }

  /** True when the block was decided (and committed) from the synced commit. */
  private async processSynced(block: Block, commitIn: Commit): Promise<boolean> {
    if (block.header.height !== this.machine.height || this.machine.step === "commit") {
      return false;
    }
    let commit = commitIn;
    try {
      const hash = blockHash(block);
      verifyCommit(this.cfg.chainId, this.machine.validators, block.header.height, hash, commit, {
        scheme: this.deps.scheme,
        cache: this.sigCache,
        requireExtensions: extensionsRequiredAt(this.ctx, block.header.height),
        maxExtensionBytes: this.cfg.maxExtensionBytes,
      });
      // We must be able to carry the commit into our next proposal: keep the precommits
      // whose extensions our app accepts and require that they still hold +2/3. Otherwise a
      // faulty validator could hand us a decided block whose only commit counts its own
      // rejected extension, and no correct validator could propose the next block.
      commit = this.usableCommit(commit, block.header.height, this.machine.validators);
      if (
        !hasTwoThirds(
          commitPower(commit, this.machine.validators),
          this.machine.validators.totalPower,
        )
      ) {
        throw new ConsensusError("bad_extension", "accepted extensions in the commit lack +2/3");
      }
      // +2/3 committed it, so it was valid for a correct validator; we still check that it
      // extends our chain (a mismatch would mean our own state diverged).
      validateBlock(this.ctx, block, {
        scheme: this.deps.scheme,
        cache: this.sigCache,
        isCommittedEvidence: (k) => this.evidence.isCommitted(k),
      });
    } catch (e) {
      if (!isConsensusError(e)) throw e;
      this.log.warn(
        { height: block.header.height, code: e.code, why: e.message },
        "synced block rejected",
      );
      return false;
    }
    this.stats.syncedBlocks++;
    await this.feed({ kind: "synced", block, commit });
    return true;
  }

  private async feed(event: MachineEvent): Promise<void> {
    const t = step(this.machine, event);
    this.machine = t.state;
    for (const fx of t.effects) await this.runEffect(fx);
  }

  private async runEffect(fx: Effect): Promise<void> {
    switch (fx.kind) {
      case "timeout": {
        const handle = this.deps.timers.setTimeout(() => {
          this.timerHandles.delete(handle);
          this.enqueue({ kind: "timeout", height: fx.height, round: fx.round, step: fx.step });
        }, fx.durationMs);
        this.timerHandles.add(handle);
        return;
      }
      case "propose":
        return this.propose(fx.height, fx.round, fx.validRound, fx.validBlock);
      case "vote":
        return this.vote(fx.type, fx.height, fx.round, fx.blockHash, fx.block);
      case "decide":
        return this.commitBlock(fx.block, fx.commit);
      case "evidence":
        this.evidence.addPending(fx.evidence);
        return;
    }
  }

  private async propose(
    height: number,
    round: number,
    validRound: number,
    validBlock: Block | null,
  ): Promise<void> {
    const signer = this.deps.signer;
    if (!signer || !this.myAddress) return;
    const lc = this.ctx.lastCommit;
    if (!validBlock && lc && this.ctx.prevValidators) {
      const prev = this.ctx.prevValidators;
      if (!hasTwoThirds(commitPower(lc, prev), prev.totalPower)) {
        // Our last commit lost precommits with rejected extensions: a block with it would be
        // invalid. Let the round time out; late precommits may complete it meanwhile.
        this.log.info({ height, round }, "last commit too weak to propose");
        return;
      }
    }
    let block = validBlock;
    if (!block) {
      const candidates =
        this.deps.mempool?.reap(this.cfg.maxBlockBytes, this.cfg.maxBlockTxs) ?? [];
      const timeMs = blockTimeFor(this.ctx);
      const localLastCommit = extendedCommitInfo(this.ctx.lastCommit, this.ctx.prevValidators);
      const evidence = this.evidence.pendingFor(
        this.cfg.maxEvidencePerBlock,
        (ev) =>
          ev.voteA.height < height && ev.voteA.height >= height - this.cfg.evidenceMaxAgeHeights,
      );
      let txs = this.deps.app.prepareProposal({
        height,
        timeMs,
        proposerAddress: this.myAddress,
        txs: candidates,
        localLastCommit,
        maxTxBytes: this.cfg.maxBlockBytes,
        misbehavior: misbehaviors(evidence, this.ctx.validators, timeMs),
      });
      // The app must respect maxTxBytes; a proposer does not trust it blindly.
      while (txs.length > 0 && txsBytes(txs) > this.cfg.maxBlockBytes) txs = txs.slice(0, -1);
      block = buildBlock(this.ctx, this.myAddress, txs, evidence);
    }
    const unsigned = { height, round, polRound: validRound, blockHash: blockHash(block) };
    let signature: Uint8Array;
    try {
      signature = await signer.signProposal(unsigned);
    } catch (e) {
      if (!isConsensusError(e)) throw e;
      this.stats.signerRefusals++;
      this.log.warn({ height, round, why: e.message }, "signer refused to sign a proposal");
      return;
    }
    const msg: ConsensusMessage = { type: "proposal", proposal: { ...unsigned, signature }, block };
    await this.deps.wal.appendSync({ kind: "own", msg });
    this.deps.transport.broadcast(msg);
    // A re-proposal travels with its proof of lock (CometBFT sends the POL prevotes too).
    this.broadcastPol(validRound, unsigned.blockHash);
    this.enqueue({ kind: "own", msg });
  }

  private async vote(
    type: VoteType,
    height: number,
    round: number,
    hash: Uint8Array,
    block: Block | null,
  ): Promise<void> {
    const signer = this.deps.signer;
    const index = this.machine.myIndex;
    if (!signer || index < 0) return;
    const now = this.deps.timers.now();
    const timestampMs = block ? voteTime(now, block.header.timeMs) : now;
    let extension: Uint8Array | null = null;
    if (type === VoteType.Precommit && block && extensionsRequiredAt(this.ctx, height)) {
      extension = this.deps.app.extendVote({
        height,
        round,
        blockHash: hash,
        prices: this.deps.prices?.(),
      });
    }
    let parts: Awaited<ReturnType<GuardedSigner["signVote"]>>;
    try {
      parts = await signer.signVote(
        { type, height, round, blockHash: hash, timestampMs },
        extension,
      );
    } catch (e) {
      if (!isConsensusError(e)) throw e;
      this.stats.signerRefusals++;
      this.log.warn({ height, round, type, why: e.message }, "signer refused to sign a vote");
      return;
    }
    const vote: Vote = {
      type,
      height,
      round,
      blockHash: hash,
      timestampMs: parts.timestampMs,
      validatorIndex: index,
      validatorAddress: this.machine.validators.validators[index].address,
      signature: parts.signature,
      extension: parts.extension,
      extensionSignature: parts.extensionSignature,
    };
    const msg: ConsensusMessage = { type: "vote", vote };
    await this.deps.wal.appendSync({ kind: "own", msg });
    this.deps.transport.broadcast(msg);
    this.enqueue({ kind: "own", msg });
  }

  /** Line 49's decision, made durable: block store, app, end-of-height marker, next height. */
  private async commitBlock(block: Block, commit: Commit): Promise<void> {
    const height = block.header.height;
    const store = this.deps.blockStore;
    const app = this.deps.app;
    const request = blockRequest(block, this.ctx.prevValidators, this.ctx.validators);
    let resp: FinalizeBlockResponse;
    if (store.commitHeight && store.height() < height) {
      // One atomic batch: block, commit, results and state (consensus/blockStore.ts).
      resp = await app.finalizeBlock(request);
      await store.commitHeight(block, commit, resp, () => app.commit());
    } else {
      if (store.height() < height) await store.save(block, commit);
      resp = await app.finalizeBlock(request);
      await this.saveFinalizeResult(height, resp);
      await app.commit();
    }
    await this.deps.wal.appendSync({ kind: "endHeight", height });
    for (const ev of block.evidence) this.evidence.markCommitted(ev);
    this.evidence.prune(height + 1 - this.cfg.evidenceMaxAgeHeights);
    this.deps.mempool?.committed?.(height, block.txs);
    const set = this.ctx.validators;
    const next = this.ctx.nextValidators;
    // Updates of height h take effect at h + 2 (CometBFT): h + 1's set is already fixed.
    const nextNext = nextHeightSet(applyValidatorUpdates(next, resp.validatorUpdates));
    this.rememberSet(height + 1, next);
    this.setContext(
      height + 1,
      next,
      nextNext,
      set,
      block,
      this.usableCommit(commit, height, set),
      resp.appHash,
    );
    this.syncAsked.clear();
    this.deps.onCommit?.(block, commit, resp);
    await this.feed({
      kind: "committed",
      height,
      nextValidators: next,
      myIndex: this.myIndexIn(next),
    });
    // Messages that arrived early for the new height go through the queue again.
    const early = this.future.filter((f) => msgHeight(f.msg) === height + 1);
    this.future = this.future.filter((f) => msgHeight(f.msg) > height + 1);
    for (const f of early) this.queue.push({ kind: "peer", from: f.from, msg: f.msg });
  }

  private scheduleGossip(): void {
    if (this.stopped || this.cfg.gossipIntervalMs <= 0) return;
    const handle = this.deps.timers.setTimeout(() => {
      this.timerHandles.delete(handle);
      this.enqueue({ kind: "gossip" });
    }, this.cfg.gossipIntervalMs);
    this.timerHandles.add(handle);
  }

  /**
   * Periodic re-gossip (CometBFT's reactor gossips continuously; we do it on a timer): the
   * current round's proposal and votes, so lost messages are eventually delivered and
   * peers that are behind see our height and ask for blocks.
   */
  private gossip(): void {
    this.syncAsked.clear();
    const m = this.machine;
    const t = this.deps.transport;
    // The previous height's precommits, so every proposer can gather a last commit whose
    // extensions its app accepts (see addLatePrecommit).
    const lc = this.ctx.lastCommit;
    if (lc && this.ctx.prevValidators && m.step !== "commit") {
      for (const s of lc.sigs)
        t.broadcast({ type: "vote", vote: commitSigVote(lc, s, this.ctx.prevValidators) });
    }
    const p = m.proposals.get(m.round);
    if (p) {
      t.broadcast({ type: "proposal", proposal: p.proposal, block: p.block });
      this.broadcastPol(p.proposal.polRound, p.proposal.blockHash);
    }
    // Our lock's and valid block's justifications, so a proposer that re-proposes it and
    // the peers that must accept it (line 28) can both see +2/3 prevotes of that round.
    if (m.validRound >= 0 && m.validBlock) this.broadcastPol(m.validRound, blockHash(m.validBlock));
    if (m.lockedRound >= 0 && m.lockedBlock && m.lockedRound !== m.validRound) {
      this.broadcastPol(m.lockedRound, blockHash(m.lockedBlock));
    }
    for (const r of [m.round - 1, m.round]) {
      const rv = m.rounds.get(r);
      if (!rv) continue;
      for (const v of rv.prevotes.votes) if (v) t.broadcast({ type: "vote", vote: v });
      for (const v of rv.precommits.votes) if (v) t.broadcast({ type: "vote", vote: v });
    }
    this.scheduleGossip();
  }

  /** Sends the prevotes for `hash` in round `polRound` (the POL of a re-proposal). */
  private broadcastPol(polRound: number, hash: Uint8Array): void {
    if (polRound < 0) return;
    const rv = this.machine.rounds.get(polRound);
    if (!rv) return;
    for (const v of rv.prevotes.votesByHash.get(toHex(hash)) ?? []) {
      this.deps.transport.broadcast({ type: "vote", vote: v });
    }
  }
}

function msgHeight(m: ConsensusMessage): number {
  switch (m.type) {
    case "proposal":
      return m.proposal.height;
    case "vote":
      return m.vote.height;
    case "syncRequest":
      return m.height;
    case "syncResponse":
      return m.block.header.height;
  }
}

/** A commit signature as the precommit vote it was (for re-gossip). */
function commitSigVote(c: Commit, s: Commit["sigs"][number], set: ValidatorSet): Vote {
  return {
    type: VoteType.Precommit,
    height: c.height,
    round: c.round,
    blockHash: c.blockHash,
    timestampMs: s.timestampMs,
    validatorIndex: s.validatorIndex,
    validatorAddress: set.validators[s.validatorIndex].address,
    signature: s.signature,
    extension: s.extension,
    extensionSignature: s.extensionSignature,
  };
}

function commitPower(c: Commit, set: ValidatorSet): number {
  let power = 0;
  for (const s of c.sigs) power += set.validators[s.validatorIndex]?.power ?? 0;
  return power;
}
