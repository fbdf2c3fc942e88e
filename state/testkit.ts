/**
 * Test and benchmark fixtures for the application: a self-describing genesis, traders
 * that sign transactions, validators that sign vote extensions, and a block driver that
 * runs processProposal, finalizeBlock and commit as consensus would. Not used by the node.
 */
import type {
  BlockRequest,
  ExtendedCommitInfo,
  FinalizeBlockResponse,
  InitChainRequest,
} from "../lib/abci.js";
import { voteExtensionSignBytes } from "../lib/abci.js";
import { addressBytes, addressOf } from "../lib/address.js";
import { type KeyPair, keyPairFromSeed, sign } from "../lib/ed25519.js";
import { sha256 } from "../lib/hash.js";
import { PerpetuaApp } from "./app.js";
import type { KvStore } from "./store/kv.js";
import { MemoryKvStore } from "./store/memoryKv.js";
import type { AppStateJson } from "./types/appState.js";
import { buildTx, type Msg } from "./types/tx.js";

export const CHAIN_ID = "perpetua-test";
export const GENESIS_TIME_MS = 1_764_288_000_000;
export const BLOCK_MS = 1_000;

export function seedOf(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`perpetua-test/${label}`));
}

export class Trader {
  readonly keys: KeyPair;
  readonly address: string;
  private nonce = 0;
  constructor(readonly name: string) {
    this.keys = keyPairFromSeed(seedOf(name));
    this.address = addressOf(this.keys.publicKey);
  }
  tx(msgs: Msg[], nonce = ++this.nonce): Uint8Array {
    return buildTx({ chainId: CHAIN_ID, signer: this.keys.publicKey, nonce, msgs }, (m) =>
      sign(this.keys.seed, m),
    ).bytes;
  }
}

export interface TestValidator {
  readonly keys: KeyPair;
  readonly address: Uint8Array;
  readonly power: number;
}

export function validators(powers: readonly number[] = [10, 10, 10, 10]): TestValidator[] {
  return powers.map((power, i) => {
    const keys = keyPairFromSeed(seedOf(`validator-${i}`));
    return { keys, address: addressBytes(keys.publicKey), power };
  });
}

/** BTC-USD: tick 1 USDC, step 0.0001 BTC (100 quantums per tick×lot). */
export function btcMarket(
  overrides: Record<string, unknown> = {},
): AppStateJson["markets"][number] {
  return {
    id: "BTC-USD",
    tickSize: "1",
    stepSize: "0.0001",
    initialMarginPpm: 50_000,
    maintenanceMarginPpm: 30_000,
    oiLowerCap: "0",
    oiUpperCap: "0",
    openInterestCap: "1000",
    maxLiquidationFeePpm: 15_000,
    maxLiquidationNotionalPerBlock: "100000000",
    maxInsurancePayoutPerBlock: "1000000",
    impactNotional: "10000",
    fundingIntervalSeconds: 3600,
    fundingClampPpm: 6_000_000,
    fundingBaselinePpm: 0,
    makerFeePpm: 0,
    takerFeePpm: 500,
    minPriceChangePpm: 0,
    maxOracleAgeBlocks: 20,
    initialOraclePrice: "50000",
    ...overrides,
  };
}

/** ETH-USD: tick 0.1 USDC, step 0.001 ETH (100 quantums per tick×lot). */
export function ethMarket(
  overrides: Record<string, unknown> = {},
): AppStateJson["markets"][number] {
  return btcMarket({
    id: "ETH-USD",
    tickSize: "0.1",
    stepSize: "0.001",
    openInterestCap: "100000",
    initialOraclePrice: "3000",
    ...overrides,
  });
}

export function genesis(opts: {
  accounts: { address: string; collateral: string }[];
  markets?: AppStateJson["markets"];
  insuranceFund?: string;
  faucet?: boolean;
  vals?: TestValidator[];
}): InitChainRequest {
  const vals = opts.vals ?? validators();
  const appState: AppStateJson = {
    accounts: opts.accounts,
    markets: opts.markets ?? [btcMarket(), ethMarket()],
    insuranceFund: opts.insuranceFund ?? "100000",
    faucet: { enabled: opts.faucet ?? true, maxAmount: "100000" },
  };
  return {
    chainId: CHAIN_ID,
    genesisTimeMs: GENESIS_TIME_MS,
    initialHeight: 1,
    validators: vals.map((v) => ({ address: v.address, pubKey: v.keys.publicKey, power: v.power })),
    consensusParams: { maxBlockBytes: 4 << 20, maxBlockTxs: 20_000, voteExtensionsEnableHeight: 1 },
    appState,
  };
}

/** An extended commit of `height` where each validator reports `prices[i]` (undefined = absent). */
export function extendedCommit(
  vals: readonly TestValidator[],
  height: number,
  prices: readonly (Record<string, string> | undefined | Uint8Array)[],
  encodeFor: (p: Record<string, string>) => Uint8Array,
): ExtendedCommitInfo {
  if (height === 0) return { height: 0, round: 0, votes: [] };
  return {
    height,
    round: 0,
    votes: vals.map((v, i) => {
      const p = prices[i];
      const info = { address: v.address, pubKey: v.keys.publicKey, power: v.power };
      if (p === undefined) {
        return {
          validator: info,
          voteExtension: new Uint8Array(),
          extensionSignature: new Uint8Array(),
          committed: false,
        };
      }
      const ext = p instanceof Uint8Array ? p : encodeFor(p);
      return {
        validator: info,
        voteExtension: ext,
        extensionSignature: sign(v.keys.seed, voteExtensionSignBytes(CHAIN_ID, height, 0, ext)),
        committed: true,
      };
    }),
  };
}

export interface Chain {
  app: PerpetuaApp;
  kv: KvStore;
  vals: TestValidator[];
  height: number;
  /** Prices each validator reports in the next block's commit (same for all by default). */
  prices: (Record<string, string> | undefined | Uint8Array)[];
}

export async function startChain(
  req: InitChainRequest,
  vals = validators(),
  kv: KvStore = new MemoryKvStore(),
): Promise<Chain> {
  const app = await PerpetuaApp.open(kv);
  await app.initChain(req);
  return {
    app,
    kv,
    vals,
    height: 0,
    prices: vals.map(() => ({ "BTC-USD": "50000", "ETH-USD": "3000" })),
  };
}

/** The request consensus would send for the next block. */
export function nextBlock(chain: Chain, txs: Uint8Array[]): BlockRequest {
  const height = chain.height + 1;
  const encodeFor = (p: Record<string, string>) =>
    chain.app.extendVote({
      height: chain.height,
      round: 0,
      blockHash: new Uint8Array(32),
      prices: p,
    });
  return {
    height,
    timeMs: GENESIS_TIME_MS + height * BLOCK_MS,
    hash: sha256(new Uint8Array([height & 0xff, (height >> 8) & 0xff, (height >> 16) & 0xff])),
    proposerAddress: chain.vals[height % chain.vals.length].address,
    txs,
    localLastCommit: extendedCommit(chain.vals, chain.height, chain.prices, encodeFor),
    misbehavior: [],
  };
}

/** Runs one block through processProposal, finalizeBlock and commit. */
export async function runBlock(
  chain: Chain,
  txs: Uint8Array[] = [],
): Promise<FinalizeBlockResponse> {
  const req = nextBlock(chain, txs);
  if (!chain.app.processProposal(req))
    throw new Error(`block ${req.height} rejected by processProposal`);
  const res = await chain.app.finalizeBlock(req);
  await chain.app.commit();
  chain.height = req.height;
  return res;
}

/** Market parameters for hand-computed scenarios: no trading fees, a 0.5 % liquidation fee cap. */
export const NO_FEES = {
  takerFeePpm: 0,
  makerFeePpm: 0,
  maxLiquidationFeePpm: 5_000,
  maxInsurancePayoutPerBlock: "10000",
};

/** A limit order, not reduce-only (BTC-USD and gtc unless said otherwise). */
export function limitOrder(
  side: "buy" | "sell",
  price: string,
  size: string,
  clientId: number,
  tif: "gtc" | "ioc" = "gtc",
  market = "BTC-USD",
): Msg {
  return {
    kind: "place_order",
    market,
    side,
    type: "limit",
    price,
    size,
    tif,
    reduceOnly: false,
    clientId,
  };
}

export function setPrices(chain: Chain, prices: Record<string, string>): void {
  chain.prices = chain.vals.map(() => prices);
}
