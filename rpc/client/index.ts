/**
 * The perpetua SDK: a typed JSON-RPC client, signing through a `Signer`, concurrent-safe
 * nonces, resumable subscriptions, and the chain's own margin formulas for previews.
 * No dependency on node/; node:crypto only in the optional `nodeSigner` (./nodeSigner.ts).
 * docs/sdk.md walks through it with a runnable example.
 */

export { formatDecimal, parseDecimal } from "../../lib/fixed.js";
/**
 * The margin and risk formulas of state/margin, exactly as the chain computes them (bigint
 * quantums, ticks and lots; see docs/risk.md), so a front end can preview initial margin,
 * health and liquidation price before sending an order.
 */
export * from "../../state/margin/index.js";
export * as margin from "../../state/margin/index.js";
export {
  type ClientOptions,
  type CommittedTx,
  DEFAULT_NODE_URL,
  PerpetuaClient,
} from "./client.js";
export { type ClientErrorKind, isClientError, PerpetuaClientError } from "./errors.js";
export { NONCE_WINDOW, NonceManager } from "./nonce.js";
export {
  accountFromView,
  loadRiskMarkets,
  type OrderPreview,
  previewOrder,
} from "./preview.js";
export {
  addressOfPublicKey,
  generateSeed,
  nobleSigner,
  type Signer,
  seedFromHex,
} from "./signer.js";
export {
  type Subscription,
  SubscriptionClient,
  type SubscriptionClientOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from "./subscriptions.js";
export {
  type CancelAllMsg,
  type CancelOrderMsg,
  cancelAll,
  cancelOrder,
  decodeMsgResults,
  type FaucetMsg,
  faucet,
  MAX_MSGS_PER_TX,
  type Msg,
  type MsgResult,
  type PlaceOrderInput,
  type PlaceOrderMsg,
  placeOrder,
  type SignedTx,
  signTx,
  type TransferMsg,
  transfer,
  txHashOf,
} from "./tx.js";
export type * from "./types.js";
export { type SendOptions, Wallet } from "./wallet.js";
