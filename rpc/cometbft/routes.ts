/**
 * CometBFT v0.38's chain methods on a Router, over a `ChainSource` that the node implements
 * from its stores and mempool. Names, parameters (named or positional, int64 as number or
 * string, bytes as base64) and defaults follow rpc/core of CometBFT:
 *
 * status, health, net_info, genesis, block, block_results, blockchain, commit, validators,
 * tx, broadcast_tx_async, broadcast_tx_sync, broadcast_tx_commit, check_tx,
 * num_unconfirmed_txs.
 *
 * Heights beyond the store are -32602 naming `height` (CometBFT answers -32603 with the same
 * words in `data`; naming the field is more useful and still an error to every client).
 */
import { invalidParams } from "../errors.js";
import { bool, bytes, height, int, optional } from "../params.js";
import type { Router } from "../routes.js";
import {
  encodeBlock,
  encodeBlockchain,
  encodeBlockResults,
  encodeCommitResult,
  encodeValidators,
} from "./block.js";
import {
  encodeGenesis,
  encodeHealth,
  encodeNetInfo,
  encodeNumUnconfirmedTxs,
  encodeStatus,
} from "./node.js";
import { encodeBroadcastTx, encodeBroadcastTxCommit, encodeCheckTx, encodeTx } from "./tx.js";
import type {
  BlockResultsView,
  BlockView,
  CheckTxView,
  CommitView,
  GenesisView,
  HeaderView,
  MempoolView,
  NetInfoView,
  NodeStatusView,
  TxResultView,
  TxView,
  ValidatorView,
} from "./views.js";

type MaybeAsync<T> = T | Promise<T>;

/** What the node provides; `undefined` means "not stored" (pruned or not yet committed). */
export interface ChainSource {
  /** Lowest and highest stored heights (0, 0 before the first block). */
  heights(): { base: number; latest: number };
  status(): MaybeAsync<NodeStatusView>;
  netInfo(): MaybeAsync<NetInfoView>;
  genesis(): MaybeAsync<GenesisView>;
  block(height: number): MaybeAsync<BlockView | undefined>;
  blockResults(height: number): MaybeAsync<BlockResultsView | undefined>;
  /** The header of `height` and the commit that signed it (seen commit for the latest). */
  commit(
    height: number,
  ): MaybeAsync<{ header: HeaderView; commit: CommitView; canonical: boolean } | undefined>;
  /** The validator set that signs `height`, in CometBFT order (power desc, address asc). */
  validators(height: number): MaybeAsync<readonly ValidatorView[] | undefined>;
  tx(hash: Uint8Array): MaybeAsync<TxView | undefined>;
  /** checkTx without adding to the mempool. */
  checkTx(tx: Uint8Array): MaybeAsync<CheckTxView>;
  /** Adds to the mempool (checkTx first) and gossips; resolves with the checkTx result. */
  broadcastTx(tx: Uint8Array): MaybeAsync<CheckTxView>;
  /**
   * Adds and waits until the tx is committed or `timeoutMs` passes; `committed` is absent
   * when checkTx rejected it. Should throw on timeout (CometBFT answers an error then).
   */
  broadcastTxCommit(
    tx: Uint8Array,
    timeoutMs: number,
  ): MaybeAsync<{ check: CheckTxView; committed?: { height: number; result: TxResultView } }>;
  mempool(): MaybeAsync<MempoolView>;
  /** Throws when the node is unhealthy. */
  health?(): MaybeAsync<void>;
}

export interface CometRouteOptions {
  /** Largest transaction accepted by broadcast_tx_* and check_tx. */
  maxTxBytes: number;
  broadcastTxCommitTimeoutMs: number;
}

/** CometBFT's blockchain range: at most 20 metas. */
const BLOCKCHAIN_LIMIT = 20;
const PER_PAGE_DEFAULT = 30;
const PER_PAGE_MAX = 100;

const heightParams = { height: optional(height()) };

export function registerCometRoutes(
  router: Router,
  chain: ChainSource,
  opts: CometRouteOptions = { maxTxBytes: 1024 * 1024, broadcastTxCommitTimeoutMs: 10_000 },
): void {
  /** The requested height, defaulting to the latest, checked against the store. */
  const resolve = (h: number | undefined): number => {
    const { base, latest } = chain.heights();
    if (latest === 0) throw invalidParams("height: no block has been committed yet");
    const v = h ?? latest;
    if (v > latest) {
      throw invalidParams(
        `height: ${v} must be less than or equal to the current height ${latest}`,
      );
    }
    if (v < base) throw invalidParams(`height: ${v} is below the lowest stored height ${base}`);
    return v;
  };
  const missing = (what: string, h: number): never => {
    throw invalidParams(`height: no ${what} stored at ${h}`);
  };
  const common = { allowUnknownParams: true };
  const txParam = { tx: bytes({ max: opts.maxTxBytes }) };

  router.register("health", {
    ...common,
    description: "{} when the node is up",
    handler: async () => {
      await chain.health?.();
      return encodeHealth();
    },
  });
  router.register("status", {
    ...common,
    description: "node info, sync info, validator info",
    handler: async () => encodeStatus(await chain.status()),
  });
  router.register("net_info", {
    ...common,
    description: "peers",
    handler: async () => encodeNetInfo(await chain.netInfo()),
  });
  router.register("genesis", {
    ...common,
    description: "the genesis document",
    handler: async () => encodeGenesis(await chain.genesis()),
  });
  router.register("block", {
    ...common,
    params: heightParams,
    description: "block at height (latest by default)",
    handler: async (p) => {
      const h = resolve(p.height);
      return encodeBlock((await chain.block(h)) ?? missing("block", h));
    },
  });
  router.register("block_results", {
    ...common,
    params: heightParams,
    description: "FinalizeBlock results at height",
    handler: async (p) => {
      const h = resolve(p.height);
      return encodeBlockResults((await chain.blockResults(h)) ?? missing("block results", h));
    },
  });
  router.register("commit", {
    ...common,
    params: heightParams,
    description: "signed header at height",
    handler: async (p) => {
      const h = resolve(p.height);
      const c = (await chain.commit(h)) ?? missing("commit", h);
      return encodeCommitResult(c.header, c.commit, c.canonical);
    },
  });
  router.register("blockchain", {
    ...common,
    params: { minHeight: optional(int()), maxHeight: optional(int()) },
    description: "block metas of [minHeight, maxHeight], at most 20, highest first",
    handler: async (p) => {
      const { base, latest } = chain.heights();
      const min = p.minHeight ?? 0;
      const max = p.maxHeight ?? 0;
      if (min > 0 && max > 0 && min > max) {
        throw invalidParams(`minHeight: ${min} is greater than maxHeight ${max}`);
      }
      // CometBFT's filterMinMax: 0 means "unbounded", then clamp to the store and 20 blocks.
      const hi = Math.min(latest, max === 0 ? latest : max);
      const lo = Math.max(base, min, hi - BLOCKCHAIN_LIMIT + 1, 1);
      const blocks: BlockView[] = [];
      for (let h = hi; h >= lo; h--) {
        const b = await chain.block(h);
        if (b) blocks.push(b);
      }
      return encodeBlockchain(latest, blocks);
    },
  });
  router.register("validators", {
    ...common,
    params: {
      height: optional(height()),
      page: optional(int({ min: 1 })),
      per_page: optional(int({ min: 1 })),
    },
    description: "validator set at height, paginated (per_page ≤ 100)",
    handler: async (p) => {
      const h = resolve(p.height);
      const set = (await chain.validators(h)) ?? missing("validator set", h);
      const perPage = Math.min(p.per_page ?? PER_PAGE_DEFAULT, PER_PAGE_MAX);
      const pages = Math.max(1, Math.ceil(set.length / perPage));
      const page = p.page ?? 1;
      if (page > pages) throw invalidParams(`page: must be 1..${pages}`);
      const slice = set.slice((page - 1) * perPage, page * perPage);
      return encodeValidators(h, slice, set.length);
    },
  });
  router.register("tx", {
    ...common,
    params: { hash: bytes({ len: 32, max: 32 }), prove: optional(bool()) },
    description: "a committed transaction by hash (base64 in JSON, 0x-hex in URI)",
    handler: async (p) => {
      if (p.prove) throw invalidParams("prove: transaction proofs are not served");
      const t = await chain.tx(p.hash);
      if (!t)
        throw invalidParams(
          `hash: transaction ${Buffer.from(p.hash).toString("hex").toUpperCase()} not found`,
        );
      return encodeTx(t);
    },
  });
  router.register("broadcast_tx_async", {
    ...common,
    params: txParam,
    description: "submit a transaction, return at once",
    handler: (p) => {
      // Async: answer before checkTx; failures show up in the node's logs and metrics.
      void Promise.resolve()
        .then(() => chain.broadcastTx(p.tx))
        .catch(() => {});
      return encodeBroadcastTx(p.tx, { code: 0, log: "" });
    },
  });
  router.register("broadcast_tx_sync", {
    ...common,
    params: txParam,
    description: "submit a transaction, return its checkTx result",
    handler: async (p) => encodeBroadcastTx(p.tx, await chain.broadcastTx(p.tx)),
  });
  router.register("broadcast_tx_commit", {
    ...common,
    params: txParam,
    description: "submit a transaction and wait for its block",
    handler: async (p) => {
      const r = await chain.broadcastTxCommit(p.tx, opts.broadcastTxCommitTimeoutMs);
      return encodeBroadcastTxCommit(p.tx, r.check, r.committed);
    },
  });
  router.register("check_tx", {
    ...common,
    params: txParam,
    description: "run checkTx without submitting",
    handler: async (p) => encodeCheckTx(await chain.checkTx(p.tx)),
  });
  router.register("num_unconfirmed_txs", {
    ...common,
    description: "mempool size",
    handler: async () => encodeNumUnconfirmedTxs(await chain.mempool()),
  });
}
