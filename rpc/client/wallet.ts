/**
 * `Wallet`: a signer bound to a client and a chain. It numbers transactions with the
 * NonceManager (concurrent sends are safe), signs, broadcasts and optionally waits for the
 * commit. A `bad_nonce` from checkTx releases the nonce slot and is rethrown: the caller
 * decides whether to retry (a fresh nonce is always taken on the next send).
 */
import type { CommittedTx, PerpetuaClient } from "./client.js";
import { NonceManager } from "./nonce.js";
import type { Signer } from "./signer.js";
import {
  cancelAll,
  cancelOrder,
  faucet,
  type Msg,
  type PlaceOrderInput,
  placeOrder,
  type SignedTx,
  signTx,
  transfer,
} from "./tx.js";

export interface SendOptions {
  /** Wait for the commit and decode per-message results (default true). */
  wait?: boolean;
  timeoutMs?: number;
}

export class Wallet {
  readonly nonces: NonceManager;
  private chainIdPromise: Promise<string> | undefined;

  constructor(
    readonly client: PerpetuaClient,
    readonly signer: Signer,
    opts: { chainId?: string; nonces?: NonceManager } = {},
  ) {
    this.nonces = opts.nonces ?? new NonceManager();
    if (opts.chainId) this.chainIdPromise = Promise.resolve(opts.chainId);
  }

  get address(): string {
    return this.signer.address;
  }

  /** The chain id, asked of the node once and remembered. */
  chainId(): Promise<string> {
    this.chainIdPromise ??= this.client.chainId();
    return this.chainIdPromise;
  }

  /** Signs msgs with a fresh nonce without sending (pre-signing for benchmarks, offline use). */
  async sign(msgs: readonly Msg[]): Promise<SignedTx> {
    return signTx(this.signer, await this.chainId(), this.nonces.next(), msgs);
  }

  send(msgs: readonly Msg[], opts: SendOptions & { wait: false }): Promise<{ hash: string }>;
  send(msgs: readonly Msg[], opts?: SendOptions): Promise<CommittedTx>;
  async send(
    msgs: readonly Msg[],
    opts: SendOptions = {},
  ): Promise<CommittedTx | { hash: string }> {
    const chainId = await this.chainId();
    const nonce = await this.nonces.acquire();
    try {
      const tx = await signTx(this.signer, chainId, nonce, msgs);
      if (opts.wait === false) return await this.client.broadcast(tx.bytes);
      return await this.client.broadcastAndWait(tx.bytes, { timeoutMs: opts.timeoutMs });
    } finally {
      this.nonces.release();
    }
  }

  placeOrder(o: PlaceOrderInput, opts?: SendOptions): Promise<CommittedTx> {
    return this.send([placeOrder(o)], opts);
  }
  cancelOrder(
    market: string,
    id: { orderId: number } | { clientId: number },
    opts?: SendOptions,
  ): Promise<CommittedTx> {
    return this.send([cancelOrder(market, id)], opts);
  }
  cancelAll(market?: string, opts?: SendOptions): Promise<CommittedTx> {
    return this.send([cancelAll(market)], opts);
  }
  transfer(to: string, amount: string, opts?: SendOptions): Promise<CommittedTx> {
    return this.send([transfer(to, amount)], opts);
  }
  faucet(amount: string, opts?: SendOptions): Promise<CommittedTx> {
    return this.send([faucet(amount)], opts);
  }
}
