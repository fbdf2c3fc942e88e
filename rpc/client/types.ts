/**
 * Result types. Chain methods return CometBFT v0.38's JSON, typed by the server's own
 * encoders (type-only imports: no runtime dependency on the server). Exchange methods are
 * perpetua's (DESIGN.md section 5): amounts are decimal strings, addresses 0x hex; fields
 * beyond the ones named here pass through untouched.
 */
import type {
  BlockIdJson,
  BlockJson,
  BlockMetaJson,
  BlockResultsJson,
  BroadcastTxJson,
  CheckTxJson,
  CommitJson,
  ExecTxResultJson,
  GenesisJson,
  HeaderJson,
  NetInfoJson,
  StatusJson,
  TxJson,
  ValidatorJson,
} from "../cometbft/index.js";

export type {
  BlockJson,
  BlockResultsJson,
  BroadcastTxJson,
  CheckTxJson,
  ExecTxResultJson,
  GenesisJson,
  NetInfoJson,
  StatusJson,
  TxJson,
  ValidatorJson,
};

export interface BlockResult {
  block_id: BlockIdJson;
  block: BlockJson;
}
export interface BlockchainResult {
  last_height: string;
  block_metas: BlockMetaJson[];
}
export interface CommitResult {
  signed_header: { header: HeaderJson; commit: CommitJson };
  canonical: boolean;
}
export interface ValidatorsResult {
  block_height: string;
  validators: ValidatorJson[];
  count: string;
  total: string;
}
export interface BroadcastTxCommitResult {
  check_tx: CheckTxJson;
  tx_result: ExecTxResultJson;
  hash: string;
  height: string;
}
export interface NumUnconfirmedTxsResult {
  n_txs: string;
  total: string;
  total_bytes: string;
}

import type {
  accountView,
  marketsView,
  oracleView,
  orderbookView,
} from "../../state/exchange/views.js";
import type { TradeView } from "../exchange/events.js";

export type {
  AccountUpdate,
  DeleverageView,
  FundingPaymentView,
  Level,
  LiquidationView,
  OrderUpdateView,
} from "../exchange/events.js";
/** One fill as `trades` and the `trades:<market>` topic carry it. */
export type Trade = TradeView;
/** The state machine's own view types (type-only: the SDK does not load state/exchange). */
export type AccountInfo = ReturnType<typeof accountView> & {
  height: number;
  proof?: unknown;
};
export type Position = AccountInfo["positions"][number];
export type OpenOrder = AccountInfo["openOrders"][number];
export type MarketInfo = ReturnType<typeof marketsView>[number];
export type OrderBook = ReturnType<typeof orderbookView>;
export type OraclePrice = ReturnType<typeof oracleView>[number];
export type ExplainKind = "liquidation" | "oracle" | "funding";

/** One notification of a perpetua topic. */
export interface TopicEvent<T = unknown> {
  topic: string;
  /** The height the event belongs to (a complete resume cursor: one event per topic per height). */
  height: number;
  /** The server's sequence number within the current subscription (restarts on reconnect). */
  seq: number;
  data: T;
}
