/**
 * Message builders with the defaults a trader expects, and transaction signing through a
 * `Signer`. The wire format and its stateless validation are state/types/tx.ts's (one
 * schema for the chain and the SDK); the hash is computed with @noble/hashes.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../lib/bytes.js";
import { decode } from "../../lib/cbor.js";
import type { MsgResult } from "../../state/exchange/results.js";
import {
  type CancelAllMsg,
  type CancelOrderMsg,
  encodeTx,
  type FaucetMsg,
  type Msg,
  type PlaceOrderMsg,
  type TransferMsg,
  TxBody,
  txSignBytes,
} from "../../state/types/tx.js";
import type { Signer } from "./signer.js";

export { MAX_MSGS_PER_TX } from "../../state/types/tx.js";
export type { CancelAllMsg, CancelOrderMsg, FaucetMsg, Msg, PlaceOrderMsg, TransferMsg };

export interface PlaceOrderInput {
  market: string;
  side: "buy" | "sell";
  /** Default "limit". */
  type?: "limit" | "market";
  /** Decimal string; required for limit orders, worst price for market orders. */
  price?: string;
  size: string;
  /** Default "gtc" for limit, "ioc" for market orders. */
  tif?: "gtc" | "ioc" | "fok" | "post_only";
  reduceOnly?: boolean;
  /** Default 0. Must be unique among the account's live orders in the market. */
  clientId?: number;
  goodTilBlock?: number;
  trigger?: { kind: "stop" | "take_profit"; price: string };
  stp?: "cancel_maker" | "cancel_taker" | "cancel_both";
}

export function placeOrder(o: PlaceOrderInput): PlaceOrderMsg {
  const type = o.type ?? "limit";
  const msg: PlaceOrderMsg = {
    kind: "place_order",
    market: o.market,
    side: o.side,
    type,
    size: o.size,
    tif: o.tif ?? (type === "market" ? "ioc" : "gtc"),
    reduceOnly: o.reduceOnly ?? false,
    clientId: o.clientId ?? 0,
  };
  // Absent optional fields must be omitted, not undefined: canonical CBOR has no undefined.
  if (o.price !== undefined) msg.price = o.price;
  if (o.goodTilBlock !== undefined) msg.goodTilBlock = o.goodTilBlock;
  if (o.trigger !== undefined) msg.trigger = o.trigger;
  if (o.stp !== undefined) msg.stp = o.stp;
  return msg;
}

export function cancelOrder(
  market: string,
  id: { orderId: number } | { clientId: number },
): CancelOrderMsg {
  return { kind: "cancel_order", market, ...id };
}

export function cancelAll(market?: string): CancelAllMsg {
  return market === undefined ? { kind: "cancel_all" } : { kind: "cancel_all", market };
}

export function transfer(to: string, amount: string): TransferMsg {
  return { kind: "transfer", to: to.toLowerCase(), amount };
}

export function faucet(amount: string): FaucetMsg {
  return { kind: "faucet", amount };
}

export interface SignedTx {
  readonly bytes: Uint8Array;
  /** sha256 of the bytes, upper-case hex, as CometBFT and `tx` show it. */
  readonly hash: string;
  readonly nonce: number;
}

/**
 * Validates the body with the chain's own schema (so a bad field fails here with the same
 * message the node would give) and signs it.
 */
export async function signTx(
  signer: Signer,
  chainId: string,
  nonce: number,
  msgs: readonly Msg[],
): Promise<SignedTx> {
  const body = TxBody.parse(
    { chainId, signer: signer.publicKey, nonce, msgs: [...msgs] },
    "tx.body",
  );
  const signature = await signer.sign(txSignBytes(body));
  const bytes = encodeTx({ body, signature });
  return { bytes, hash: txHashOf(bytes), nonce };
}

export function txHashOf(bytes: Uint8Array): string {
  return toHex(sha256(bytes)).toUpperCase();
}

/** The per-message result the chain puts, CBOR-encoded, in a transaction result's `data`. */
export type { MsgResult };

/** Decodes the base64 `data` of a tx result into its per-message results. */
export function decodeMsgResults(dataBase64: string | undefined | null): MsgResult[] {
  if (!dataBase64) return [];
  const bytes = Uint8Array.from(atob(dataBase64), (c) => c.charCodeAt(0));
  if (bytes.length === 0) return [];
  const v = decode(bytes);
  if (!Array.isArray(v)) return [];
  return v.map((r) => {
    const o = r as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = typeof x === "bigint" ? Number(x) : x;
    return out as unknown as MsgResult;
  });
}
