/** The exchange at genesis: funded accounts, markets with empty books, the insurance fund. */

import type { InitChainRequest } from "../../lib/abci.js";
import { toHex } from "../../lib/bytes.js";
import { EMPTY_FUNDING_LEDGER } from "../funding/index.js";
import { createBook } from "../orderbook/index.js";
import { LtHash } from "../store/lthash.js";
import { parseAppState } from "../types/appState.js";
import { initialMarketState } from "../types/market.js";
import type { Exchange } from "./types.js";

export function exchangeFromGenesis(req: InitChainRequest): Exchange {
  const app = parseAppState(req.appState);
  const height = req.initialHeight - 1;
  const ex: Exchange = {
    chainId: req.chainId,
    height,
    timeMs: req.genesisTimeMs,
    accounts: new Map(),
    owners: [],
    markets: new Map(),
    marketIds: app.markets.map((m) => m.params.id).sort(),
    insuranceFundQuantums: app.insuranceFundQuantums,
    feePoolQuantums: 0n,
    mintedQuantums: app.insuranceFundQuantums,
    nextOrderId: 1,
    nextRestSeq: 1,
    withdrawalsGatedUntil: 0,
    faucet: app.faucet,
    validators: req.validators
      .map((v) => ({ address: toHex(v.address), pubKey: v.pubKey, power: v.power }))
      .sort((a, b) => (a.address < b.address ? -1 : 1)),
    openOrders: new Map(),
  };
  const raw = (req.appState as { markets: Record<string, unknown>[] }).markets;
  for (let i = 0; i < app.markets.length; i++) {
    const gm = app.markets[i];
    const { initialOraclePrice: _p, ...paramsJson } = raw[i];
    ex.markets.set(gm.params.id, {
      params: gm.params,
      state: initialMarketState(gm.initialOraclePriceTicks, height, req.genesisTimeMs),
      book: createBook(),
      resting: new Map(),
      triggers: new Map(),
      fundingLedger: EMPTY_FUNDING_LEDGER,
      ordersHash: new LtHash(),
      orderEncodings: new Map(),
      paramsJson,
    });
  }
  for (const a of app.accounts) {
    ex.accounts.set(a.address, {
      address: a.address,
      ownerId: ex.owners.length,
      quoteBalance: a.collateralQuantums,
      positions: [],
      nonces: [],
    });
    ex.owners.push(a.address);
    ex.mintedQuantums += a.collateralQuantums;
  }
  return ex;
}
