/**
 * Deterministic views of a small chain for tests: FOUR_VALIDATORS, a genesis, and blocks
 * 1..5 with two transactions at each height from 2 on (BLOCK_5_TWO_TXS …). Bytes are
 * derived from sha256 of labels so every field is distinct and recognizable.
 */
import type { ConsensusParams } from "../../lib/abci.js";
import { utf8 } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";
import {
  BlockIdFlag,
  type BlockResultsView,
  type BlockView,
  type CommitView,
  type GenesisView,
  type NodeStatusView,
  type TxView,
  type ValidatorView,
} from "./views.js";

export const CHAIN_ID = "perpetua-test-1";
export const GENESIS_TIME_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 0);
export const BLOCK_INTERVAL_MS = 1_000;

const h32 = (label: string) => sha256(utf8(label));
const addr = (label: string) => sha256(utf8(label)).subarray(0, 20);

export const FOUR_VALIDATORS: ValidatorView[] = [0, 1, 2, 3].map((i) => {
  const pubKey = h32(`validator-${i}-pubkey`);
  return {
    address: sha256(pubKey).subarray(0, 20),
    pubKey,
    votingPower: 10 + i,
    proposerPriority: i - 2,
  };
});

export const CONSENSUS_PARAMS: ConsensusParams = {
  maxBlockBytes: 4 * 1024 * 1024,
  maxBlockTxs: 10_000,
  voteExtensionsEnableHeight: 1,
};

export const GENESIS: GenesisView = {
  genesisTimeMs: GENESIS_TIME_MS,
  chainId: CHAIN_ID,
  initialHeight: 1,
  consensusParams: CONSENSUS_PARAMS,
  validators: FOUR_VALIDATORS.map((v, i) => ({
    address: v.address,
    pubKey: v.pubKey,
    power: v.votingPower,
    name: `validator-${i}`,
  })),
  appHash: new Uint8Array(),
  appState: { markets: ["BTC-USD"] },
};

export function txsAt(height: number): Uint8Array[] {
  if (height < 2) return [];
  return [utf8(`tx-${height}-0`), utf8(`tx-${height}-1`)];
}

function blockIdAt(height: number) {
  return { hash: h32(`block-${height}`), parts: { total: 1, hash: h32(`parts-${height}`) } };
}

function commitFor(height: number): CommitView {
  return {
    height,
    round: 0,
    blockId: blockIdAt(height),
    signatures: FOUR_VALIDATORS.map((v, i) =>
      i === 3
        ? {
            blockIdFlag: BlockIdFlag.ABSENT,
            validatorAddress: new Uint8Array(),
            timeMs: 0,
            signature: null,
          }
        : {
            blockIdFlag: BlockIdFlag.COMMIT,
            validatorAddress: v.address,
            timeMs: GENESIS_TIME_MS + height * BLOCK_INTERVAL_MS + 123 + i,
            signature: new Uint8Array([
              ...h32(`sig-${height}-${i}`),
              ...h32(`sig2-${height}-${i}`),
            ]),
          },
    ),
  };
}

export function blockAt(height: number): BlockView {
  return {
    blockId: blockIdAt(height),
    header: {
      version: { block: 11, app: 1 },
      chainId: CHAIN_ID,
      height,
      timeMs: GENESIS_TIME_MS + height * BLOCK_INTERVAL_MS + 456,
      lastBlockId: height > 1 ? blockIdAt(height - 1) : null,
      lastCommitHash: height > 1 ? h32(`last-commit-${height}`) : new Uint8Array(),
      dataHash: h32(`data-${height}`),
      validatorsHash: h32("validators"),
      nextValidatorsHash: h32("validators"),
      consensusHash: h32("consensus"),
      appHash: h32(`app-${height - 1}`),
      lastResultsHash: h32(`results-${height - 1}`),
      evidenceHash: new Uint8Array(),
      proposerAddress: FOUR_VALIDATORS[height % 4].address,
    },
    txs: txsAt(height),
    lastCommit: height > 1 ? commitFor(height - 1) : null,
    sizeBytes: 1000 + height,
  };
}

export function commitAt(height: number): CommitView {
  return commitFor(height);
}

export function resultsAt(height: number): BlockResultsView {
  return {
    height,
    txResults: txsAt(height).map((_, i) => ({
      code: i === 1 ? 301 : 0,
      data: utf8(`result-${height}-${i}`),
      log: i === 1 ? "invalid price: not a multiple of the tick size" : "",
      events:
        i === 1
          ? []
          : [
              {
                type: "fill",
                attributes: [
                  { key: "market", value: "BTC-USD" },
                  { key: "price", value: "50000.5" },
                ],
              },
            ],
    })),
    finalizeBlockEvents: [{ type: "oracle", attributes: [{ key: "BTC-USD", value: "50000.25" }] }],
    validatorUpdates: height === 3 ? [{ pubKey: FOUR_VALIDATORS[0].pubKey, power: 20 }] : [],
    consensusParamUpdates: height === 4 ? CONSENSUS_PARAMS : undefined,
    appHash: h32(`app-${height}`),
  };
}

export function txAt(height: number, index: number): TxView {
  return { height, index, tx: txsAt(height)[index], result: resultsAt(height).txResults[index] };
}

export function statusAt(height: number): NodeStatusView {
  const latest = blockAt(height);
  const earliest = blockAt(1);
  return {
    nodeInfo: {
      protocolVersion: { p2p: 8, block: 11, app: 1 },
      id: addr("node-key"),
      listenAddr: "/ip4/127.0.0.1/tcp/26656",
      network: CHAIN_ID,
      version: "0.1.0",
      channels: new Uint8Array([0x40, 0x20, 0x21, 0x22]),
      moniker: "node0",
      txIndex: true,
      rpcAddress: "tcp://127.0.0.1:26657",
    },
    syncInfo: {
      latestBlockHash: latest.blockId.hash,
      latestAppHash: h32(`app-${height}`),
      latestBlockHeight: height,
      latestBlockTimeMs: latest.header.timeMs,
      earliestBlockHash: earliest.blockId.hash,
      earliestAppHash: h32("app-0"),
      earliestBlockHeight: 1,
      earliestBlockTimeMs: earliest.header.timeMs,
      catchingUp: false,
    },
    validatorInfo: {
      address: FOUR_VALIDATORS[0].address,
      pubKey: FOUR_VALIDATORS[0].pubKey,
      votingPower: FOUR_VALIDATORS[0].votingPower,
    },
  };
}
