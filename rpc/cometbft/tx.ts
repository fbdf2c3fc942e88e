/** Encoders for transaction results: `tx`, `broadcast_tx_*`, `check_tx`. */
import { sha256 } from "../../lib/hash.js";
import { type ExecTxResultJson, encodeTxResult } from "./block.js";
import { b64, type EventJson, events, hexUpper, int64 } from "./json.js";
import type { CheckTxView, TxView } from "./views.js";

/** CometBFT's transaction hash: sha256 of the transaction bytes. */
export function txHash(tx: Uint8Array): Uint8Array {
  return sha256(tx);
}

export interface TxJson {
  hash: string;
  height: string;
  index: number;
  tx_result: ExecTxResultJson;
  tx: string;
}

/** `tx` result (without proof: perpetua does not serve tx Merkle proofs). */
export function encodeTx(t: TxView): TxJson {
  return {
    hash: hexUpper(t.hash ?? txHash(t.tx)),
    height: int64(t.height),
    index: t.index,
    tx_result: encodeTxResult(t.result),
    tx: b64(t.tx),
  };
}

export interface BroadcastTxJson {
  code: number;
  /** HexBytes in CometBFT's ResultBroadcastTx: upper-case hex (empty for perpetua). */
  data: string;
  log: string;
  codespace: string;
  hash: string;
}

/** `broadcast_tx_sync` / `broadcast_tx_async` result. */
export function encodeBroadcastTx(
  tx: Uint8Array,
  r: CheckTxView,
  hash?: Uint8Array,
): BroadcastTxJson {
  return {
    code: r.code,
    data: hexUpper(r.data ?? new Uint8Array()),
    log: r.log,
    codespace: r.codespace ?? "",
    hash: hexUpper(hash ?? txHash(tx)),
  };
}

export interface CheckTxJson {
  code: number;
  data: string;
  log: string;
  info: string;
  gas_wanted: string;
  gas_used: string;
  events: EventJson[];
  codespace: string;
}

/** `check_tx` result (CometBFT's ResultCheckTx embeds abci CheckTxResponse; no hash). */
export function encodeCheckTx(r: CheckTxView): CheckTxJson {
  return {
    code: r.code,
    data: b64(r.data ?? new Uint8Array()),
    log: r.log,
    info: r.info ?? "",
    gas_wanted: int64(r.gasWanted ?? 0),
    gas_used: int64(r.gasUsed ?? 0),
    events: events(r.events ?? []),
    codespace: r.codespace ?? "",
  };
}

/**
 * `broadcast_tx_commit` result. When checkTx rejected the tx, `txResult` is absent and
 * height is 0 (CometBFT returns the zero ExecTxResult then).
 */
export function encodeBroadcastTxCommit(
  tx: Uint8Array,
  check: CheckTxView,
  committed?: { height: number; result: TxView["result"] },
): { check_tx: CheckTxJson; tx_result: ExecTxResultJson; hash: string; height: string } {
  return {
    check_tx: encodeCheckTx(check),
    tx_result: encodeTxResult(
      committed?.result ?? { code: 0, data: new Uint8Array(), log: "", events: [] },
    ),
    hash: hexUpper(txHash(tx)),
    height: int64(committed?.height ?? 0),
  };
}
