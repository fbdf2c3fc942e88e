/**
 * The in-memory state of the clearing house: accounts, markets with their books, the
 * insurance fund and the fee pool. The Application (state/app.ts) owns one `Exchange`,
 * mutates it block by block through the rule files of state/exchange/ and
 * state/liquidation/, and persists what changed (state/exchange/persist.ts).
 *
 * Iteration order never leaks: every loop that reaches results or hashes goes over
 * sorted ids (`marketIds`, sorted account addresses) or the book's own deterministic order.
 */
import type { FundingLedger } from "../funding/index.js";
import type { OrderBook, SelfTradePrevention, Side } from "../orderbook/index.js";
import type { LtHash } from "../store/lthash.js";
import type { Position } from "../types/account.js";
import type { MarketParams, MarketState } from "../types/market.js";

/** One account: dYdX-style quote balance and positions, plus its nonce window. */
export interface AccountRec {
  readonly address: string;
  /** The account's index in the books (interned once, never reused). */
  readonly ownerId: number;
  quoteBalance: bigint;
  /** Sorted by market id; no zero positions. */
  positions: Position[];
  /** Sorted ascending, at most NONCE_WINDOW. */
  nonces: number[];
}

/** What the state machine keeps about an order beyond what the book holds. */
export interface OrderRec {
  readonly id: number;
  readonly market: string;
  readonly owner: string;
  readonly ownerId: number;
  readonly side: Side;
  readonly type: "limit" | "market";
  /** Limit price (market orders: protection price, 0 = none). */
  readonly priceTicks: number;
  readonly sizeLots: number;
  readonly tif: "gtc" | "ioc" | "fok" | "post_only";
  readonly reduceOnly: boolean;
  readonly clientId: number;
  readonly goodTilBlock?: number;
  readonly stp: SelfTradePrevention;
  readonly trigger?: { readonly kind: "stop" | "take_profit"; readonly priceTicks: bigint };
  readonly placedHeight: number;
  /** Position in the book's time priority, assigned when the order rests. */
  restSeq?: number;
}

export interface MarketRec {
  readonly params: MarketParams;
  state: MarketState;
  readonly book: OrderBook;
  /** Resting orders' records, by order id. */
  readonly resting: Map<number, OrderRec>;
  /** Untriggered stop / take-profit orders, by order id. */
  readonly triggers: Map<number, OrderRec>;
  fundingLedger: FundingLedger;
  /** LtHash of the encodings of every order record of the market (resting + untriggered). */
  readonly ordersHash: LtHash;
  /** The encoding each order was last hashed and persisted with (to remove it later). */
  readonly orderEncodings: Map<number, Uint8Array>;
  /** The market params as genesis JSON (persisted so a restart parses the same params). */
  readonly paramsJson: Record<string, unknown>;
}

export interface FaucetParams {
  readonly enabled: boolean;
  readonly maxAmountQuantums: bigint;
}

export interface ValidatorPower {
  /** Lower-case hex of the 20-byte address. */
  readonly address: string;
  readonly pubKey: Uint8Array;
  readonly power: number;
}

export interface Exchange {
  readonly chainId: string;
  /** Last finalized height (0 before the first block). */
  height: number;
  /** Block time (Unix ms) of the last finalized block, or genesis time. */
  timeMs: number;
  readonly accounts: Map<string, AccountRec>;
  /** ownerId -> address. */
  readonly owners: string[];
  readonly markets: Map<string, MarketRec>;
  /** Market ids, sorted. */
  readonly marketIds: string[];
  insuranceFundQuantums: bigint;
  feePoolQuantums: bigint;
  /** USDC that entered through genesis accounts, the genesis insurance fund and the faucet. */
  mintedQuantums: bigint;
  nextOrderId: number;
  /** Time priority of resting orders across restarts: the next rest sequence number. */
  nextRestSeq: number;
  /** Open (resting + untriggered) orders per account; derived, rebuilt on load. */
  readonly openOrders: Map<string, number>;
  /** Withdrawals and transfers out are blocked while height ≤ this (after negative equity). */
  withdrawalsGatedUntil: number;
  readonly faucet: FaucetParams;
  /** Validators by address, for oracle aggregation and vote-extension checks. */
  validators: ValidatorPower[];
}

/** Tracks what a block changed, for persistence. */
export interface Dirty {
  readonly accounts: Set<string>;
  readonly markets: Set<string>;
  /** order id -> record to write, or null to delete (resting and trigger orders). */
  readonly orders: Map<number, OrderRec | null>;
  globals: boolean;
  validators: boolean;
}

export function newDirty(): Dirty {
  return {
    accounts: new Set(),
    markets: new Set(),
    orders: new Map(),
    globals: false,
    validators: false,
  };
}
