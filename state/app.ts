/**
 * The Application (DESIGN.md section 4): perpetua's state machine behind the ABCI++-shaped
 * interface that consensus calls. It owns the in-memory exchange (state/exchange/) and the
 * authenticated store (state/store/), and is deterministic: equal blocks give equal app
 * hashes on every node, whatever its history of checkTx calls and restarts.
 *
 * Signatures are verified once per node: checkTx verifies and caches the decoded
 * transaction by hash; prepareProposal, processProposal and finalizeBlock reuse the cache
 * and verify only what they have not seen.
 */
import type {
  AppInfo,
  Application,
  BlockRequest,
  CheckTxMode,
  CheckTxResponse,
  CommitResponse,
  ExtendVoteRequest,
  FinalizeBlockResponse,
  InitChainRequest,
  InitChainResponse,
  PrepareProposalRequest,
  QueryRequest,
  QueryResponse,
  VerifyVoteExtensionRequest,
} from "../lib/abci.js";
import { voteExtensionSignBytes } from "../lib/abci.js";
import { addressOf } from "../lib/address.js";
import { BoundedMap } from "../lib/boundedMap.js";
import { toHex } from "../lib/bytes.js";
import { verify, verifyAsync } from "../lib/ed25519.js";
import { ErrorCode, InvariantError, PerpetuaError } from "../lib/errors.js";
import { formatUsdc, parseUsdc } from "../lib/fixed.js";
import { nonceProblem, useNonce } from "./accounts/nonceWindow.js";
import { type BlockTx, executeBlock } from "./exchange/block.js";
import { accountKey } from "./exchange/codec.js";
import { exchangeFromGenesis } from "./exchange/genesis.js";
import { dirtyAll, loadExchange, persistDirty, type StateSink } from "./exchange/persist.js";
import { prepareOrder } from "./exchange/placeOrder.js";
import type { Exchange } from "./exchange/types.js";
import { newDirty } from "./exchange/types.js";
import { accountView, marketsView, oracleView, orderbookView } from "./exchange/views.js";
import { encodeExtension, oraclePricesFromFeed, tryDecodeExtension } from "./oracle/index.js";
import { DeferredKv } from "./store/deferred.js";
import type { KvStore } from "./store/kv.js";
import { AuthenticatedStore } from "./store/store.js";
import { decodeTx, type Tx, txHash, txSignBytesOf } from "./types/tx.js";

/** Raw (unauthenticated) records live under this prefix of the backend, beside the store's. */
const RAW_BUCKET = 0x10;
/**
 * Bounds of the verified-transaction cache: entries, and the summed size of their bytes (a
 * decoded batch of orders takes a few times its encoding on the heap). Committed
 * transactions leave it at finalizeBlock, so it holds what the mempool and proposals still
 * need; past a bound the oldest go, and are verified again if they come back.
 */
const TX_CACHE_MAX = 200_000;
const TX_CACHE_MAX_BYTES = 32 << 20;
const EMPTY = new Uint8Array(0);

interface CachedTx {
  readonly tx: Tx;
  readonly sender: string;
}

export class PerpetuaApp implements Application {
  private ex: Exchange | undefined;
  private lastAppHash: Uint8Array = EMPTY;
  /** Decoded, signature-checked transactions by hash (hex). */
  private readonly txCache = new BoundedMap<string, CachedTx>(TX_CACHE_MAX, TX_CACHE_MAX_BYTES);
  /** The mempool's view of nonces: committed windows plus what checkTx accepted since. */
  private checkNonces = new Map<string, number[]>();
  private finalized: { height: number; appHash: Uint8Array } | undefined;

  private constructor(
    private readonly kv: DeferredKv,
    private readonly backend: KvStore,
    private store: AuthenticatedStore,
  ) {}

  /** Opens the application over a key-value backend, at its last committed state. */
  static async open(backend: KvStore): Promise<PerpetuaApp> {
    const kv = new DeferredKv(backend);
    const store = await AuthenticatedStore.open(kv);
    const app = new PerpetuaApp(kv, backend, store);
    app.ex = await loadExchange(app.source());
    app.lastAppHash = app.ex ? store.root() : EMPTY;
    return app;
  }

  /** The in-memory exchange (read-only use: RPC views, tests). */
  exchange(): Exchange {
    if (!this.ex) throw new PerpetuaError(ErrorCode.INTERNAL, "chain not initialized");
    return this.ex;
  }

  private source() {
    const store = this.store;
    const backend = this.backend;
    return {
      get: (k: Uint8Array) => store.getCommitted(k),
      entries: (prefix: Uint8Array) => store.entries(prefix),
      rawEntries: async function* (prefix: Uint8Array) {
        const p = rawKey(prefix);
        for await (const [k, v] of backend.iterate({ prefix: p }))
          yield [k.subarray(1), v] as [Uint8Array, Uint8Array];
      },
    };
  }

  private sink(): StateSink {
    return {
      set: (k, v) => this.store.set(k, v),
      delete: (k) => this.store.delete(k),
      stageRaw: (puts, dels) =>
        this.kv.stage(
          puts.map(([k, v]) => [rawKey(k), v]),
          dels.map(rawKey),
        ),
    };
  }

  info(): AppInfo {
    return { height: this.ex?.height ?? 0, appHash: this.lastAppHash };
  }

  async initChain(req: InitChainRequest): Promise<InitChainResponse> {
    if (this.ex) throw new InvariantError("init_chain", "the chain is already initialized");
    const ex = exchangeFromGenesis(req);
    dirtyAll(ex, newDirty(), this.sink());
    const { root } = await this.store.commit(storeVersion(ex.height));
    await this.kv.flush();
    this.ex = ex;
    this.lastAppHash = root;
    return { appHash: root, validators: [] };
  }

  // ---- transactions -------------------------------------------------------------------

  /** Decodes and verifies a transaction once; throws PerpetuaError on any problem. */
  private verified(bytes: Uint8Array): CachedTx {
    return this.verifiedAs(toHex(txHash(bytes)), bytes, true);
  }

  /** verified() for the transaction whose hash (hex) is `key`; `keep` caches the result. */
  private verifiedAs(key: string, bytes: Uint8Array, keep: boolean): CachedTx {
    const hit = this.txCache.get(key);
    if (hit) return hit;
    const tx = decodeTx(bytes);
    if (!verify(tx.body.signer, txSignBytesOf(bytes, tx), tx.signature)) {
      throw new PerpetuaError(ErrorCode.BAD_SIGNATURE, "signature does not verify");
    }
    const entry = { tx, sender: addressOf(tx.body.signer) };
    // Evicting the oldest never reaches state: the cache only saves work.
    if (keep) this.txCache.set(key, entry, bytes.length);
    return entry;
  }

  /**
   * Verifies the signatures of many transactions on libuv's thread pool (both cores) and
   * caches the good ones, so the synchronous checkTx that follows finds them verified.
   * Transactions that fail are simply not cached: checkTx then reports why. This changes
   * no result, only where the verification runs.
   */
  async preverify(txs: readonly Uint8Array[]): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const bytes of txs) {
      const key = toHex(txHash(bytes));
      if (this.txCache.has(key)) continue;
      let tx: Tx;
      try {
        tx = decodeTx(bytes);
      } catch {
        continue;
      }
      pending.push(
        // Stale if a proposal needed this tx first and verified it meanwhile (cached).
        verifyAsync(tx.body.signer, txSignBytesOf(bytes, tx), tx.signature, () =>
          this.txCache.has(key),
        ).then((ok) => {
          if (ok && !this.txCache.has(key))
            this.txCache.set(key, { tx, sender: addressOf(tx.body.signer) }, bytes.length);
        }),
      );
    }
    await Promise.all(pending);
  }

  /** The verified-transaction cache's size (tests, metrics). */
  txCacheSize(): { entries: number; bytes: number } {
    return { entries: this.txCache.size, bytes: this.txCache.weight };
  }

  checkTx(bytes: Uint8Array, mode: CheckTxMode): CheckTxResponse {
    let sender = "";
    let nonce = 0;
    try {
      const ex = this.exchange();
      const { tx, sender: s } = this.verified(bytes);
      sender = s;
      nonce = tx.body.nonce;
      if (tx.body.chainId !== ex.chainId) {
        throw new PerpetuaError(
          ErrorCode.WRONG_CHAIN,
          `chain id ${tx.body.chainId}, expected ${ex.chainId}`,
        );
      }
      const window = this.checkNonces.get(sender) ?? ex.accounts.get(sender)?.nonces ?? [];
      const why = nonceProblem(window, nonce);
      if (why) throw new PerpetuaError(ErrorCode.BAD_NONCE, why);
      this.statefulMsgChecks(ex, tx, sender);
      this.checkNonces.set(sender, useNonce(window, nonce));
      let priority = 1;
      let maxGtb = 0;
      let allGtb = true;
      for (const m of tx.body.msgs) {
        if (m.kind === "cancel_order" || m.kind === "cancel_all") priority = 2;
        if (m.kind === "place_order" && m.goodTilBlock !== undefined) {
          maxGtb = m.goodTilBlock > maxGtb ? m.goodTilBlock : maxGtb;
        } else allGtb = false;
      }
      return {
        ok: true,
        code: 0,
        log: mode === "new" ? "ok" : "ok (recheck)",
        priority,
        sender,
        nonce,
        expiresAfterHeight: allGtb ? maxGtb : 0,
      };
    } catch (e) {
      if (!(e instanceof PerpetuaError)) throw e;
      return { ok: false, code: e.code, log: e.message, priority: 0, sender, nonce };
    }
  }

  /** Cheap checks against committed state: markets exist, prices and sizes fit the market. */
  private statefulMsgChecks(ex: Exchange, tx: Tx, sender: string): void {
    const acct = ex.accounts.get(sender) ?? {
      address: sender,
      ownerId: -1,
      quoteBalance: 0n,
      positions: [],
      nonces: [],
    };
    for (const m of tx.body.msgs) {
      switch (m.kind) {
        case "place_order":
          prepareOrder(ex, acct, m, ex.height + 1);
          break;
        case "cancel_order":
          if (!ex.markets.has(m.market))
            throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, `unknown market ${m.market}`);
          break;
        case "cancel_all":
          if (m.market !== undefined && !ex.markets.has(m.market)) {
            throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, `unknown market ${m.market}`);
          }
          break;
        case "faucet":
          if (!ex.faucet.enabled)
            throw new PerpetuaError(
              ErrorCode.FAUCET_DISABLED,
              "the faucet is not enabled on this chain",
            );
          if (parseUsdc(m.amount, { field: "amount" }) > ex.faucet.maxAmountQuantums) {
            throw new PerpetuaError(ErrorCode.INVALID_FIELD, "amount: above the faucet's maximum");
          }
          break;
        case "transfer":
          parseUsdc(m.amount, { field: "amount", allowZero: false });
          break;
      }
    }
  }

  prepareProposal(req: PrepareProposalRequest): Uint8Array[] {
    const ex = this.exchange();
    const out: Uint8Array[] = [];
    const windows = new Map<string, number[]>();
    let bytes = 0;
    for (const t of req.txs) {
      if (bytes + t.length > req.maxTxBytes) continue;
      let c: CachedTx;
      try {
        c = this.verified(t);
      } catch {
        continue;
      }
      if (c.tx.body.chainId !== ex.chainId) continue;
      const w = windows.get(c.sender) ?? ex.accounts.get(c.sender)?.nonces ?? [];
      if (nonceProblem(w, c.tx.body.nonce)) continue;
      windows.set(c.sender, useNonce(w, c.tx.body.nonce));
      out.push(t);
      bytes += t.length;
    }
    return out;
  }

  /**
   * Every validator: the block's transactions decode and verify, and its extended commit
   * carries vote extensions signed by validators holding more than 2/3 of the power
   * (DESIGN.md section 6, oracle). Garbage inside a correctly signed extension is not a
   * reason to reject: the oracle step ignores it.
   */
  processProposal(req: BlockRequest): boolean {
    const ex = this.exchange();
    for (const t of req.txs) {
      try {
        this.verified(t);
      } catch {
        return false;
      }
    }
    return this.extensionsValid(ex, req);
  }

  private extensionsValid(ex: Exchange, req: BlockRequest): boolean {
    const c = req.localLastCommit;
    // Only the first block has no previous commit (chains start at height 1).
    if (c.votes.length === 0) return ex.height === 0;
    const byAddress = new Map(ex.validators.map((v) => [v.address, v]));
    let total = 0;
    for (const v of ex.validators) total += v.power;
    let signed = 0;
    const seen = new Set<string>();
    for (const v of c.votes) {
      if (!v.committed) continue;
      const addr = toHex(v.validator.address);
      const known = byAddress.get(addr);
      if (!known || seen.has(addr) || known.power !== v.validator.power) return false;
      seen.add(addr);
      const msg = voteExtensionSignBytes(ex.chainId, c.height, c.round, v.voteExtension);
      if (!verify(known.pubKey, msg, v.extensionSignature)) return false;
      signed += known.power;
    }
    return 3 * signed > 2 * total;
  }

  extendVote(req: ExtendVoteRequest): Uint8Array {
    const ex = this.exchange();
    if (!req.prices) return EMPTY;
    const params = ex.marketIds.map((id) => ex.markets.get(id)!.params);
    const prices = oraclePricesFromFeed(req.prices, params);
    if (prices.length === 0) return EMPTY;
    return encodeExtension(prices, ex.marketIds);
  }

  verifyVoteExtension(req: VerifyVoteExtensionRequest): boolean {
    const ex = this.exchange();
    if (req.voteExtension.length === 0) return true; // a validator without prices
    return tryDecodeExtension(req.voteExtension, ex.marketIds) !== undefined;
  }

  async finalizeBlock(req: BlockRequest): Promise<FinalizeBlockResponse> {
    const ex = this.exchange();
    if (req.height !== ex.height + 1) {
      throw new InvariantError(
        "block_height",
        `finalizeBlock at ${req.height}, expected ${ex.height + 1}`,
      );
    }
    if (this.finalized)
      throw new InvariantError("commit_order", "finalizeBlock twice without commit");
    const txs: BlockTx[] = req.txs.map((t) => {
      try {
        // A committed transaction leaves the cache: its nonce is spent, so it can only come
        // back as a replay, which the nonce check rejects after verifying it again.
        const key = toHex(txHash(t));
        const { tx } = this.verifiedAs(key, t, false);
        this.txCache.delete(key);
        return { ok: true, tx };
      } catch (e) {
        if (!(e instanceof PerpetuaError)) throw e;
        return { ok: false, code: e.code, log: e.message };
      }
    });
    const out = executeBlock(ex, req, txs);
    persistDirty(ex, out.ctx.dirty, this.sink());
    const { root } = await this.store.commit(storeVersion(req.height));
    this.finalized = { height: req.height, appHash: root };
    return {
      txResults: out.txResults,
      events: out.blockEvents,
      validatorUpdates: [],
      appHash: root,
    };
  }

  /** Persists the last finalized block in one atomic batch. */
  async commit(): Promise<CommitResponse> {
    if (!this.finalized) return { retainHeight: 0 };
    await this.kv.flush();
    this.lastAppHash = this.finalized.appHash;
    this.finalized = undefined;
    // The mempool's nonce view restarts from committed state; the node rechecks its txs.
    this.checkNonces = new Map();
    return { retainHeight: 0 };
  }

  /**
   * For a node that writes the state batch inside its own block batch: the pending
   * records (backend keys), then `commitDone()` once they are on disk.
   */
  pendingBatch() {
    return this.kv.takePending();
  }

  commitDone(): void {
    this.kv.markFlushed();
    if (this.finalized) this.lastAppHash = this.finalized.appHash;
    this.finalized = undefined;
    this.checkNonces = new Map();
  }

  async query(req: QueryRequest): Promise<QueryResponse> {
    const ex = this.exchange();
    const p = req.params;
    const ok = (value: unknown, proof?: unknown): QueryResponse => ({
      code: 0,
      log: "",
      height: ex.height,
      value,
      proof,
    });
    try {
      switch (req.path) {
        case "account": {
          const address = String(p.address ?? "");
          const value = accountView(ex, address);
          if (!req.prove) return ok(value);
          const proven = await this.store.prove(accountKey(address));
          return ok(value, { ...proven, key: accountKey(address) });
        }
        case "markets":
          return ok(marketsView(ex));
        case "orderbook": {
          const id = String(p.market ?? "");
          if (!ex.markets.has(id))
            throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, `unknown market ${id}`);
          return ok(orderbookView(ex, id, Number(p.depth ?? 50)));
        }
        case "oracle_prices":
          return ok(oracleView(ex));
        case "insurance_fund":
          return ok({
            balance: formatUsdc(ex.insuranceFundQuantums),
            feePool: formatUsdc(ex.feePoolQuantums),
          });
        default:
          return {
            code: ErrorCode.INVALID_FIELD,
            log: `unknown query path ${req.path}`,
            height: ex.height,
            value: null,
          };
      }
    } catch (e) {
      if (!(e instanceof PerpetuaError)) throw e;
      return { code: e.code, log: e.message, height: ex.height, value: null };
    }
  }
}

/** The authenticated store's version of a height (the store starts at version 1: genesis). */
function storeVersion(height: number): number {
  return height + 1;
}

function rawKey(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.length + 1);
  out[0] = RAW_BUCKET;
  // A byte loop: TypedArray.prototype.set is a runtime call, slower on keys this short.
  for (let i = 0; i < k.length; i++) out[i + 1] = k[i];
  return out;
}
