/**
 * Genesis generation for local networks (`perpetua testnet`, `perpetua devnet`): BTC-USD and
 * ETH-USD with dYdX-like parameters, the faucet on, an insurance fund, and funded accounts.
 */
import type { AppStateJson } from "../state/types/appState.js";
import { type GenesisDoc, validatorEntry } from "./genesis.js";

export const DEVNET_MARKETS: AppStateJson["markets"] = [
  {
    id: "BTC-USD",
    tickSize: "1",
    stepSize: "0.0001",
    initialMarginPpm: 50_000, // 20× (dYdX v4 large-cap tier)
    maintenanceMarginPpm: 30_000,
    oiLowerCap: "20000000",
    oiUpperCap: "50000000",
    openInterestCap: "10000",
    maxLiquidationFeePpm: 5_000, // dYdX v4 default 0.5 %
    maxLiquidationNotionalPerBlock: "10000000",
    maxInsurancePayoutPerBlock: "1000000",
    impactNotional: "10000", // dYdX: 500 / IMF
    fundingIntervalSeconds: 3600,
    fundingClampPpm: 6_000_000, // dYdX funding rate clamp factor 600 %
    fundingBaselinePpm: 12, // 0.0012 %/h ≈ dYdX's default 0.01 % per 8 h
    makerFeePpm: -110, // rebate, as dYdX's top tier
    takerFeePpm: 500,
    minPriceChangePpm: 10,
    maxOracleAgeBlocks: 30,
    initialOraclePrice: "60000",
  },
  {
    id: "ETH-USD",
    tickSize: "0.1",
    stepSize: "0.001",
    initialMarginPpm: 50_000,
    maintenanceMarginPpm: 30_000,
    oiLowerCap: "20000000",
    oiUpperCap: "50000000",
    openInterestCap: "100000",
    maxLiquidationFeePpm: 5_000,
    maxLiquidationNotionalPerBlock: "10000000",
    maxInsurancePayoutPerBlock: "1000000",
    impactNotional: "10000",
    fundingIntervalSeconds: 3600,
    fundingClampPpm: 6_000_000,
    fundingBaselinePpm: 12,
    makerFeePpm: -110,
    takerFeePpm: 500,
    minPriceChangePpm: 10,
    maxOracleAgeBlocks: 30,
    initialOraclePrice: "3000",
  },
];

export interface DevnetGenesisOptions {
  chainId: string;
  genesisTime: string;
  validators: { pubKey: Uint8Array; power: number; name: string }[];
  accounts: { address: string; collateral: string }[];
  insuranceFund?: string;
  faucet?: { enabled: boolean; maxAmount: string };
  markets?: AppStateJson["markets"];
}

export function devnetGenesis(o: DevnetGenesisOptions): GenesisDoc {
  return {
    genesis_time: o.genesisTime,
    chain_id: o.chainId,
    initial_height: "1",
    consensus_params: {
      block: { max_bytes: String(8 << 20), max_txs: "20000" },
      feature: { vote_extensions_enable_height: "1" },
    },
    validators: o.validators.map((v) => validatorEntry(v.pubKey, v.power, v.name)),
    app_hash: "",
    app_state: {
      accounts: o.accounts,
      markets: o.markets ?? DEVNET_MARKETS,
      insuranceFund: o.insuranceFund ?? "1000000",
      faucet: o.faucet ?? { enabled: true, maxAmount: "100000" },
    },
  };
}
