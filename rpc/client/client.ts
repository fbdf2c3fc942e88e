/**
 * `PerpetuaClient`: every JSON-RPC method of a perpetua node (DESIGN.md section 5), typed,
 * over HTTP POST. Chain methods keep CometBFT's names and shapes; exchange methods return
 * perpetua's. Errors are `PerpetuaClientError`s carrying the JSON-RPC or application code.
 */
import { PerpetuaClientError } from "./errors.js";
import { decodeMsgResults, type MsgResult } from "./tx.js";
import type {
  AccountInfo,
  BlockchainResult,
  BlockResult,
  BlockResultsJson,
  BroadcastTxCommitResult,
  BroadcastTxJson,
  CheckTxJson,
  CommitResult,
  ExplainKind,
  GenesisJson,
  MarketInfo,
  NetInfoJson,
  NumUnconfirmedTxsResult,
  OraclePrice,
  OrderBook,
  StatusJson,
  Trade,
  TxJson,
  ValidatorsResult,
} from "./types.js";

export const DEFAULT_NODE_URL = "http://127.0.0.1:26657";

export interface ClientOptions {
  /** Base URL of the node's RPC, default http://127.0.0.1:26657. */
  url?: string;
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
  /** A fetch implementation (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

/** A committed transaction with its per-message results decoded. */
export interface CommittedTx {
  hash: string;
  height: number;
  /** 0 when the transaction ran; each message then has its own code in `results`. */
  code: number;
  log: string;
  results: MsgResult[];
  events: ExecTxResultJsonEvents;
}
type ExecTxResultJsonEvents = TxJson["tx_result"]["events"];

let nextId = 1;

export class PerpetuaClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ClientOptions | string = {}) {
    const o = typeof opts === "string" ? { url: opts } : opts;
    this.url = (o.url ?? DEFAULT_NODE_URL).replace(/\/+$/, "");
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.fetchImpl = o.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** WebSocket URL of the same node (`ws://host:port/websocket`). */
  get wsUrl(): string {
    return `${this.url.replace(/^http/, "ws")}/websocket`;
  }

  /** One JSON-RPC call. Throws PerpetuaClientError ("rpc" with the node's code, or "transport"). */
  async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = nextId++;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.url}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params: dropUndefined(params) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const why = e instanceof Error ? (causeMessage(e) ?? e.message) : String(e);
      const kind = e instanceof Error && e.name === "TimeoutError" ? "timeout" : "transport";
      throw new PerpetuaClientError(kind, `${method}: cannot reach ${this.url}: ${why}`);
    }
    let body: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new PerpetuaClientError(
        "transport",
        `${method}: ${this.url} answered HTTP ${res.status} without JSON-RPC`,
      );
    }
    if (body.error) {
      throw new PerpetuaClientError("rpc", body.error.message, {
        code: body.error.code,
        data: body.error.data,
      });
    }
    return body.result as T;
  }

  // --- chain (CometBFT v0.38) -----------------------------------------------------------
  status(): Promise<StatusJson> {
    return this.call("status");
  }
  health(): Promise<Record<string, never>> {
    return this.call("health");
  }
  netInfo(): Promise<NetInfoJson> {
    return this.call("net_info");
  }
  genesis(): Promise<GenesisJson> {
    return this.call("genesis");
  }
  block(height?: number): Promise<BlockResult> {
    return this.call("block", { height: height === undefined ? undefined : String(height) });
  }
  blockResults(height?: number): Promise<BlockResultsJson> {
    return this.call("block_results", {
      height: height === undefined ? undefined : String(height),
    });
  }
  blockchain(minHeight?: number, maxHeight?: number): Promise<BlockchainResult> {
    return this.call("blockchain", {
      minHeight: minHeight === undefined ? undefined : String(minHeight),
      maxHeight: maxHeight === undefined ? undefined : String(maxHeight),
    });
  }
  commit(height?: number): Promise<CommitResult> {
    return this.call("commit", { height: height === undefined ? undefined : String(height) });
  }
  validators(height?: number, page?: number, perPage?: number): Promise<ValidatorsResult> {
    return this.call("validators", {
      height: height === undefined ? undefined : String(height),
      page: page === undefined ? undefined : String(page),
      per_page: perPage === undefined ? undefined : String(perPage),
    });
  }
  /** A committed transaction by hash (hex, either case). */
  tx(hashHex: string): Promise<TxJson> {
    return this.call("tx", { hash: toBase64(hexToBytes(hashHex)) });
  }
  broadcastTxAsync(tx: Uint8Array): Promise<BroadcastTxJson> {
    return this.call("broadcast_tx_async", { tx: toBase64(tx) });
  }
  broadcastTxSync(tx: Uint8Array): Promise<BroadcastTxJson> {
    return this.call("broadcast_tx_sync", { tx: toBase64(tx) });
  }
  broadcastTxCommit(tx: Uint8Array): Promise<BroadcastTxCommitResult> {
    return this.call("broadcast_tx_commit", { tx: toBase64(tx) });
  }
  checkTx(tx: Uint8Array): Promise<CheckTxJson> {
    return this.call("check_tx", { tx: toBase64(tx) });
  }
  numUnconfirmedTxs(): Promise<NumUnconfirmedTxsResult> {
    return this.call("num_unconfirmed_txs");
  }

  // --- exchange --------------------------------------------------------------------------
  markets(): Promise<{ height: number; markets: MarketInfo[] }> {
    return this.call("markets");
  }
  orderbook(market: string, depth?: number): Promise<OrderBook> {
    return this.call("orderbook", { market, depth });
  }
  /** Recent fills, newest first. */
  trades(
    market: string,
    limit?: number,
  ): Promise<{ market: string; height: number; trades: Trade[] }> {
    return this.call("trades", { market, limit });
  }
  account(address: string, prove?: boolean): Promise<AccountInfo> {
    return this.call("account", { address: address.toLowerCase(), prove });
  }
  oraclePrices(): Promise<{ height: number; prices: OraclePrice[] }> {
    return this.call("oracle_prices");
  }
  insuranceFund(): Promise<{ height: number; balance: string; feePool?: string }> {
    return this.call("insurance_fund");
  }
  explain(p: {
    kind: ExplainKind;
    height: number;
    account?: string;
    market?: string;
  }): Promise<Record<string, unknown>> {
    return this.call("explain", { ...p, account: p.account?.toLowerCase() });
  }

  // --- transactions ------------------------------------------------------------------------
  /** The chain id the node serves (CometBFT's `node_info.network`). */
  async chainId(): Promise<string> {
    return (await this.status()).node_info.network;
  }

  /**
   * `broadcast_tx_sync`: checkTx only. Resolves with the hash when the mempool took the
   * transaction; throws kind "tx" with the application code (bad_nonce, …) when it did not.
   */
  async broadcast(tx: Uint8Array): Promise<{ hash: string }> {
    const r = await this.broadcastTxSync(tx);
    if (r.code !== 0) {
      throw new PerpetuaClientError("tx", r.log || `rejected with code ${r.code}`, {
        code: r.code,
        txHash: r.hash,
      });
    }
    return { hash: r.hash };
  }

  /**
   * Broadcasts and polls `tx` until the transaction is committed (default 30 s). A message
   * that failed inside a committed transaction is in `results[i].code`, not an exception:
   * the other messages of the batch may have succeeded.
   */
  async broadcastAndWait(
    tx: Uint8Array,
    opts: { timeoutMs?: number; pollMs?: number; rebroadcastMs?: number } = {},
  ): Promise<CommittedTx> {
    const { hash } = await this.broadcast(tx);
    // A transaction the mempool took can still be lost (the node restarts, gossip misses
    // the proposer). Sending the same bytes again is safe: the hash is the same, a copy in
    // a mempool is refused as already_in_mempool and a committed one as bad_nonce, so it
    // never executes twice. Refusals of the resend are therefore ignored.
    return this.waitForTx(hash, {
      ...opts,
      rebroadcast: () => this.broadcastTxSync(tx).then(() => {}),
    });
  }

  /** Polls `tx` until `hash` is committed. */
  async waitForTx(
    hash: string,
    opts: {
      timeoutMs?: number;
      pollMs?: number;
      rebroadcastMs?: number;
      rebroadcast?: () => Promise<void>;
    } = {},
  ): Promise<CommittedTx> {
    const until = Date.now() + (opts.timeoutMs ?? 30_000);
    const pollMs = opts.pollMs ?? 150;
    const rebroadcastMs = opts.rebroadcastMs ?? 5_000;
    let nextRebroadcast = Date.now() + rebroadcastMs;
    for (;;) {
      if (opts.rebroadcast && Date.now() >= nextRebroadcast) {
        nextRebroadcast = Date.now() + rebroadcastMs;
        await opts.rebroadcast().catch(() => {});
      }
      try {
        const t = await this.tx(hash);
        const r = t.tx_result;
        if (r.code !== 0) {
          throw new PerpetuaClientError("tx", r.log || `failed with code ${r.code}`, {
            code: r.code,
            txHash: t.hash,
          });
        }
        return {
          hash: t.hash,
          height: Number(t.height),
          code: r.code,
          log: r.log,
          results: decodeMsgResults(r.data),
          events: r.events,
        };
      } catch (e) {
        // "not found" is a -32602/-32603 from `tx` until the block commits; keep polling.
        if (!(e instanceof PerpetuaClientError) || e.kind !== "rpc") throw e;
      }
      if (Date.now() >= until) {
        throw new PerpetuaClientError("timeout", `tx ${hash} not committed in time`, {
          txHash: hash,
        });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** Base64 with the platform's btoa (Node 20 and browsers), not Node's Buffer. */
function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

function dropUndefined(p: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
}

function causeMessage(e: Error): string | undefined {
  const c = (e as { cause?: unknown }).cause;
  return c instanceof Error ? c.message : undefined;
}

function hexToBytes(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new TypeError(`not hex: ${hex}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
