/**
 * The node's answers to the CometBFT-compatible RPC (rpc/cometbft ChainSource): views over
 * the block store, the block results, the tx index, the mempool and the application.
 * Validator sets are the genesis set (perpetua has no validator updates yet).
 */

import type { Block, Header } from "../consensus/types/block.js";
import { blockHash } from "../consensus/types/block.js";
import type { Commit } from "../consensus/types/commit.js";
import { newValidatorSet, type ValidatorSet } from "../consensus/types/validatorSet.js";
import type { Vote } from "../consensus/types/vote.js";
import type { ParsedGenesis } from "../genesis/genesis.js";
import type { Application } from "../lib/abci.js";
import { addressBytes } from "../lib/address.js";
import { sha256 } from "../lib/hash.js";
import {
  BlockIdFlag,
  type BlockIdView,
  type BlockResultsView,
  type BlockView,
  type ChainSource,
  type CheckTxView,
  type CommitView,
  type EvidenceVoteView,
  type GenesisView,
  type HeaderView,
  type MempoolView,
  type NetInfoView,
  type NodeStatusView,
  type TxResultView,
  type TxView,
  type ValidatorView,
} from "../rpc/cometbft/index.js";
import type { NodeBlockStore } from "./blockStore.js";
import type { NodeDb } from "./db/index.js";
import { type Mempool, txHashHex } from "./mempool/mempool.js";
import type { P2PHost } from "./p2p/index.js";

export interface ChainSourceDeps {
  readonly genesis: ParsedGenesis;
  readonly blocks: NodeBlockStore;
  readonly db: NodeDb;
  readonly app: Application;
  readonly mempool: Mempool;
  readonly host: P2PHost;
  readonly moniker: string;
  readonly rpcAddress: string;
  readonly p2pListen: string;
  readonly nodePublicKey: Uint8Array;
  readonly validatorPublicKey: Uint8Array | null;
  /** Adds to the mempool and gossips. */
  readonly submit: (tx: Uint8Array) => CheckTxView | Promise<CheckTxView>;
  /** Resolves when `hashHex` is committed (or rejects on timeout). */
  readonly waitForTx: (
    hashHex: string,
    timeoutMs: number,
  ) => Promise<{ height: number; index: number }>;
  readonly catchingUp: () => boolean;
}

const EMPTY = new Uint8Array(0);

function blockId(hash: Uint8Array): BlockIdView {
  return { hash, parts: { total: 1, hash } };
}

function voteView(v: Vote): EvidenceVoteView {
  return {
    type: v.type,
    height: v.height,
    round: v.round,
    blockId: v.blockHash.length === 0 ? null : blockId(v.blockHash),
    timeMs: v.timestampMs,
    validatorAddress: v.validatorAddress,
    validatorIndex: v.validatorIndex,
    signature: v.signature,
  };
}

function headerView(h: Header): HeaderView {
  return {
    version: { block: 11, app: 1 },
    chainId: h.chainId,
    height: h.height,
    timeMs: h.timeMs,
    lastBlockId: h.lastBlockHash.length === 0 ? null : blockId(h.lastBlockHash),
    lastCommitHash: h.lastCommitHash,
    dataHash: h.dataHash,
    validatorsHash: h.validatorsHash,
    nextValidatorsHash: h.nextValidatorsHash,
    consensusHash: EMPTY,
    appHash: h.appHash,
    lastResultsHash: EMPTY,
    evidenceHash: h.evidenceHash,
    proposerAddress: h.proposerAddress,
  };
}

export class NodeChainSource implements ChainSource {
  private readonly set: ValidatorSet;

  constructor(private readonly d: ChainSourceDeps) {
    this.set = newValidatorSet(
      d.genesis.initChain.validators.map((v) => ({ pubKey: v.pubKey, power: v.power })),
    );
  }

  private commitView(c: Commit): CommitView {
    const byIndex = new Map(c.sigs.map((s) => [s.validatorIndex, s]));
    return {
      height: c.height,
      round: c.round,
      blockId: blockId(c.blockHash),
      signatures: this.set.validators.map((v, i) => {
        const s = byIndex.get(i);
        return s
          ? {
              blockIdFlag: BlockIdFlag.COMMIT,
              validatorAddress: v.address,
              timeMs: s.timestampMs,
              signature: s.signature,
            }
          : {
              blockIdFlag: BlockIdFlag.ABSENT,
              validatorAddress: EMPTY,
              timeMs: 0,
              signature: null,
            };
      }),
    };
  }

  private blockView(b: Block): BlockView {
    return {
      blockId: blockId(blockHash(b)),
      header: headerView(b.header),
      txs: b.txs,
      lastCommit: b.lastCommit ? this.commitView(b.lastCommit) : null,
      evidence: b.evidence.map((e) => ({ voteA: voteView(e.voteA), voteB: voteView(e.voteB) })),
    };
  }

  heights(): { base: number; latest: number } {
    const latest = this.d.blocks.height();
    return { base: latest > 0 ? 1 : 0, latest };
  }

  status(): NodeStatusView {
    const latest = this.d.blocks.height();
    const top = latest > 0 ? this.d.blocks.load(latest) : null;
    const first = latest > 0 ? this.d.blocks.load(1) : null;
    const vpk = this.d.validatorPublicKey;
    const me = vpk ? this.set.validators.find((v) => equal(v.pubKey, vpk)) : undefined;
    return {
      nodeInfo: this.nodeInfo(),
      syncInfo: {
        latestBlockHash: top ? blockHash(top.block) : EMPTY,
        latestAppHash: this.d.app.info().appHash,
        latestBlockHeight: latest,
        latestBlockTimeMs: top ? top.block.header.timeMs : this.d.genesis.initChain.genesisTimeMs,
        earliestBlockHash: first ? blockHash(first.block) : EMPTY,
        earliestAppHash: first ? first.block.header.appHash : EMPTY,
        earliestBlockHeight: first ? 1 : 0,
        earliestBlockTimeMs: first
          ? first.block.header.timeMs
          : this.d.genesis.initChain.genesisTimeMs,
        catchingUp: this.d.catchingUp(),
      },
      validatorInfo: {
        address: vpk ? addressBytes(vpk) : addressBytes(this.d.nodePublicKey),
        pubKey: vpk ?? this.d.nodePublicKey,
        votingPower: me?.power ?? 0,
      },
    };
  }

  private nodeInfo() {
    return {
      protocolVersion: { p2p: 8, block: 11, app: 1 },
      id: sha256(this.d.nodePublicKey).subarray(0, 20),
      listenAddr: this.d.p2pListen,
      network: this.d.genesis.initChain.chainId,
      version: "perpetua/0.1.0",
      channels: new Uint8Array([0x20, 0x21, 0x22, 0x23, 0x30, 0x38, 0x40]),
      moniker: this.d.moniker,
      txIndex: true,
      rpcAddress: this.d.rpcAddress,
    };
  }

  netInfo(): NetInfoView {
    return {
      listening: true,
      listeners: [this.d.p2pListen],
      peers: this.d.host.peers().map((p) => ({
        nodeInfo: {
          ...this.nodeInfo(),
          id: sha256(new TextEncoder().encode(p.peerId)).subarray(0, 20),
          moniker: p.peerId,
        },
        isOutbound: p.direction === "outbound",
        remoteIp: p.addr,
        connectedMs: 0,
      })),
    };
  }

  genesis(): GenesisView {
    const g = this.d.genesis;
    return {
      genesisTimeMs: g.initChain.genesisTimeMs,
      chainId: g.initChain.chainId,
      initialHeight: g.initChain.initialHeight,
      consensusParams: g.initChain.consensusParams,
      validators: g.initChain.validators.map((v, i) => ({
        address: v.address,
        pubKey: v.pubKey,
        power: v.power,
        name: g.names[i],
      })),
      appHash: EMPTY,
      appState: g.doc.app_state,
    };
  }

  block(height: number): BlockView | undefined {
    const s = this.d.blocks.load(height);
    return s ? this.blockView(s.block) : undefined;
  }

  blockResults(height: number): BlockResultsView | undefined {
    const r = this.d.blocks.loadFinalizeResult(height);
    if (!r) return undefined;
    return {
      height,
      txResults: r.txResults.map(
        (t): TxResultView => ({ code: t.code, data: t.data, log: t.log, events: t.events }),
      ),
      finalizeBlockEvents: r.events,
      validatorUpdates: r.validatorUpdates,
      appHash: r.appHash,
    };
  }

  commit(height: number) {
    const s = this.d.blocks.load(height);
    if (!s) return undefined;
    return {
      header: headerView(s.block.header),
      commit: this.commitView(s.commit),
      canonical: height < this.d.blocks.height(),
    };
  }

  validators(_height: number): readonly ValidatorView[] {
    return [...this.set.validators]
      .sort((a, b) => b.power - a.power || compare(a.address, b.address))
      .map((v) => ({
        address: v.address,
        pubKey: v.pubKey,
        votingPower: v.power,
        proposerPriority: v.proposerPriority,
      }));
  }

  async tx(hash: Uint8Array): Promise<TxView | undefined> {
    const loc = await this.d.db.txIndex.get(hash);
    if (!loc) return undefined;
    const s = this.d.blocks.load(loc.height);
    const t = this.d.blocks.loadTxResult(loc.height, loc.index);
    if (!s || !t) return undefined;
    return {
      hash,
      height: loc.height,
      index: loc.index,
      tx: s.block.txs[loc.index],
      result: { code: t.code, data: t.data, log: t.log, events: t.events },
    };
  }

  checkTx(tx: Uint8Array): CheckTxView {
    const r = this.d.app.checkTx(tx, "recheck");
    return { code: r.code, log: r.log };
  }

  broadcastTx(tx: Uint8Array): CheckTxView | Promise<CheckTxView> {
    return this.d.submit(tx);
  }

  async broadcastTxCommit(tx: Uint8Array, timeoutMs: number) {
    const check = await this.d.submit(tx);
    if (check.code !== 0) return { check };
    const hex = txHashHex(tx);
    const { height, index } = await this.d.waitForTx(hex, timeoutMs);
    const t = this.d.blocks.loadTxResult(height, index)!;
    return {
      check,
      committed: { height, result: { code: t.code, data: t.data, log: t.log, events: t.events } },
    };
  }

  mempool(): MempoolView {
    return { count: this.d.mempool.size(), totalBytes: this.d.mempool.sizeBytes() };
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
