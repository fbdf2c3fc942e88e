/**
 * Transactions (DESIGN.md section 5): canonical CBOR of `{ body, signature }` with
 * `body = { chainId, signer, nonce, msgs }`, signed as "perpetua/tx/v1" || cbor(body).
 *
 * The schemas below are the single definition of every message; TypeScript types derive
 * from them. Decoding is strict: canonical bytes only, closed maps, every field checked
 * for type, size and syntax (stateless validation). Whether a price is a multiple of the
 * market's tick, a market exists or a nonce is fresh is stateful and checked by the app.
 * docs/transactions.md documents the encoding with test vectors (state/types/tx.test.ts).
 */
import { concatBytes, toHex, utf8 } from "../../lib/bytes.js";
import { decode, encode } from "../../lib/cbor.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import { isPositiveDecimal, parseDecimal } from "../../lib/fixed.js";
import { sha256OfImmutable } from "../../lib/hash.js";
import * as s from "../../lib/schema.js";

/** Largest encoded transaction accepted anywhere (mempool, block, RPC). */
export const MAX_TX_BYTES = 32 * 1024;
/** Most messages in one transaction (batch orders). */
export const MAX_MSGS_PER_TX = 128;
export const MAX_CHAIN_ID_LENGTH = 50;
/** Decimal strings carry at most this many fractional digits and characters. */
export const MAX_DECIMALS = 18;
const MAX_DECIMAL_CHARS = 40;

export const TX_SIGN_DOMAIN = utf8("perpetua/tx/v1");

/** Market ids like BTC-USD: base and quote of upper-case letters and digits. */
export const MARKET_ID_RE = /^[A-Z0-9]{1,20}-[A-Z0-9]{1,10}$/;
const ADDRESS_RE = /^0x[0-9a-f]{40}$/;

const marketId = s.string({
  min: 3,
  max: 31,
  pattern: MARKET_ID_RE,
  what: "a market id like BTC-USD",
});

/** A decimal string as in DESIGN.md: plain digits with an optional dot, positive. */
function positiveDecimal(): s.Schema<string> {
  const base = s.string({ min: 1, max: MAX_DECIMAL_CHARS });
  return {
    parse(v, path) {
      const str = base.parse(v, path);
      // The fast check passes every valid string; parseDecimal then only runs to say why not.
      if (!isPositiveDecimal(str, MAX_DECIMALS)) {
        parseDecimal(str, MAX_DECIMALS, { field: path, allowZero: false });
      }
      return str;
    },
  };
}

export const Side = s.oneOf(["buy", "sell"] as const);
export const OrderTypeSchema = s.oneOf(["limit", "market"] as const);
export const TimeInForceSchema = s.oneOf(["gtc", "ioc", "fok", "post_only"] as const);
export const StpSchema = s.oneOf(["cancel_maker", "cancel_taker", "cancel_both"] as const);
export const TriggerKind = s.oneOf(["stop", "take_profit"] as const);

export const PlaceOrderMsg = s.refine(
  s.object({
    kind: s.literal("place_order"),
    market: marketId,
    side: Side,
    type: OrderTypeSchema,
    /** Limit price; for market orders an optional worst-price protection. */
    price: s.optional(positiveDecimal()),
    size: positiveDecimal(),
    tif: TimeInForceSchema,
    reduceOnly: s.bool(),
    /** The trader's own id for the order, unique among its live orders in the market. */
    clientId: s.uint({ max: 0xffff_ffff }),
    goodTilBlock: s.optional(s.uint({ min: 1 })),
    trigger: s.optional(s.object({ kind: TriggerKind, price: positiveDecimal() })),
    stp: s.optional(StpSchema),
  }),
  (m) => {
    if (m.type === "limit" && m.price === undefined) return "a limit order needs a price";
    if (m.type === "market" && (m.tif === "gtc" || m.tif === "post_only"))
      return "a market order must be ioc or fok";
    return undefined;
  },
);

export const CancelOrderMsg = s.refine(
  s.object({
    kind: s.literal("cancel_order"),
    market: marketId,
    orderId: s.optional(s.uint({ min: 1 })),
    clientId: s.optional(s.uint({ max: 0xffff_ffff })),
  }),
  (m) =>
    (m.orderId === undefined) === (m.clientId === undefined)
      ? "exactly one of orderId and clientId"
      : undefined,
);

export const CancelAllMsg = s.object({
  kind: s.literal("cancel_all"),
  market: s.optional(marketId),
});

export const TransferMsg = s.object({
  kind: s.literal("transfer"),
  to: s.string({ min: 42, max: 42, pattern: ADDRESS_RE, what: "a 0x address in lower case" }),
  amount: positiveDecimal(),
});

export const FaucetMsg = s.object({
  kind: s.literal("faucet"),
  amount: positiveDecimal(),
});

export const Msg = s.union("kind", {
  place_order: PlaceOrderMsg,
  cancel_order: CancelOrderMsg,
  cancel_all: CancelAllMsg,
  transfer: TransferMsg,
  faucet: FaucetMsg,
});

export const TxBody = s.object({
  chainId: s.string({
    min: 1,
    max: MAX_CHAIN_ID_LENGTH,
    pattern: /^[a-z0-9][a-z0-9-]*$/,
    what: "a chain id of a-z, 0-9 and -",
  }),
  signer: s.bytes({ len: 32 }),
  nonce: s.uint({ min: 1 }),
  msgs: s.array(Msg, { min: 1, max: MAX_MSGS_PER_TX }),
});

export const Tx = s.object({
  body: TxBody,
  signature: s.bytes({ len: 64 }),
});

export type PlaceOrderMsg = s.Infer<typeof PlaceOrderMsg>;
export type CancelOrderMsg = s.Infer<typeof CancelOrderMsg>;
export type CancelAllMsg = s.Infer<typeof CancelAllMsg>;
export type TransferMsg = s.Infer<typeof TransferMsg>;
export type FaucetMsg = s.Infer<typeof FaucetMsg>;
export type Msg = s.Infer<typeof Msg>;
export type MsgKind = Msg["kind"];
export type TxBody = s.Infer<typeof TxBody>;
export type Tx = s.Infer<typeof Tx>;

/** The bytes the signer signs: domain || cbor(body). */
export function txSignBytes(body: TxBody): Uint8Array {
  return concatBytes(TX_SIGN_DOMAIN, encode(body));
}

/** The head of a canonical tx, a2 64 "body" (a 2-entry map, then its first key). */
const TX_HEAD = Uint8Array.of(0xa2, 0x64, 0x62, 0x6f, 0x64, 0x79);
/** The tail before the signature bytes: 69 "signature" 58 40 (a 64-byte string). */
const TX_SIG_KEY = Uint8Array.of(
  0x69,
  0x73,
  0x69,
  0x67,
  0x6e,
  0x61,
  0x74,
  0x75,
  0x72,
  0x65,
  0x58,
  0x40,
);
const TX_TAIL = TX_SIG_KEY.length + 64;

/**
 * txSignBytes(tx.body) for a transaction decoded from `bytes`, without encoding the body
 * again: canonical CBOR of {body, signature} puts "body" first (bytewise key order), so the
 * body's canonical encoding is the run between the 6-byte head and the 76-byte tail. Only
 * meaningful for bytes that decoded as a Tx (decode checked they are canonical); other
 * bytes fall back to encoding the body.
 */
export function txSignBytesOf(bytes: Uint8Array, tx: Tx): Uint8Array {
  const end = bytes.length - TX_TAIL;
  let framed = end > TX_HEAD.length;
  for (let i = 0; framed && i < TX_HEAD.length; i++) framed = bytes[i] === TX_HEAD[i];
  for (let i = 0; framed && i < TX_SIG_KEY.length; i++) framed = bytes[end + i] === TX_SIG_KEY[i];
  if (!framed) return txSignBytes(tx.body);
  return concatBytes(TX_SIGN_DOMAIN, bytes.subarray(TX_HEAD.length, end));
}

export function encodeTx(tx: Tx): Uint8Array {
  return encode(tx);
}

/**
 * Decodes and statelessly validates a transaction. Throws PerpetuaError with TX_TOO_LARGE,
 * MALFORMED, NON_CANONICAL, INVALID_FIELD, INVALID_DECIMAL or UNKNOWN_MSG. Does not check
 * the signature (see verifyTx in the app, done once per node and cached).
 */
export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length > MAX_TX_BYTES) {
    throw new PerpetuaError(
      ErrorCode.TX_TOO_LARGE,
      `tx is ${bytes.length} bytes, limit ${MAX_TX_BYTES}`,
    );
  }
  return Tx.parse(decode(bytes), "tx");
}

/**
 * The transaction hash: sha256 of its bytes (as CometBFT), shown as upper-case hex. Computed
 * once per byte array (sha256OfImmutable): transaction bytes are never modified.
 */
export function txHash(bytes: Uint8Array): Uint8Array {
  return sha256OfImmutable(bytes);
}

export function txHashHex(bytes: Uint8Array): string {
  return toHex(txHash(bytes)).toUpperCase();
}

/** Builds and signs a transaction with a signing function (node:crypto or noble). */
export function buildTx(
  body: TxBody,
  signFn: (message: Uint8Array) => Uint8Array,
): { tx: Tx; bytes: Uint8Array } {
  const checked = TxBody.parse(body, "tx.body");
  const tx: Tx = { body: checked, signature: signFn(txSignBytes(checked)) };
  return { tx, bytes: encodeTx(tx) };
}
