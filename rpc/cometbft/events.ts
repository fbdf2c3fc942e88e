/**
 * Subscription payloads for `tm.event='NewBlock'` and `tm.event='Tx'` (CometBFT v0.38's
 * EventDataNewBlock and EventDataTx), ready to publish on the hub: the node calls these after
 * committing a block and passes the result to `hub.publish(TM_NEW_BLOCK | TM_TX, event)`.
 */
import type { HubEvent } from "../subscriptions.js";
import {
  type BlockJson,
  type BlockResultsJson,
  type ExecTxResultJson,
  encodeBlockBody,
  encodeBlockResults,
  encodeTxResult,
} from "./block.js";
import {
  type BlockIdJson,
  b64,
  blockId,
  compositeKeys,
  type EventJson,
  events,
  hexUpper,
  int64,
} from "./json.js";
import { txHash } from "./tx.js";
import type { BlockResultsView, BlockView, TxView } from "./views.js";

export interface NewBlockEventData {
  type: "tendermint/event/NewBlock";
  value: {
    block: BlockJson;
    block_id: BlockIdJson;
    result_finalize_block: Omit<
      BlockResultsJson,
      "height" | "txs_results" | "finalize_block_events"
    > & {
      events: EventJson[];
      tx_results: ExecTxResultJson[];
    };
  };
}

export function newBlockEvent(block: BlockView, results: BlockResultsView): HubEvent {
  const r = encodeBlockResults(results);
  const data: NewBlockEventData = {
    type: "tendermint/event/NewBlock",
    value: {
      block: encodeBlockBody(block),
      block_id: blockId(block.blockId),
      result_finalize_block: {
        events: events(results.finalizeBlockEvents),
        tx_results: r.txs_results,
        validator_updates: r.validator_updates,
        consensus_param_updates: r.consensus_param_updates,
        app_hash: r.app_hash,
      },
    },
  };
  const keys = compositeKeys(results.finalizeBlockEvents, {
    "tm.event": ["NewBlock"],
    "block.height": [int64(block.header.height)],
  });
  return { height: block.header.height, data, events: keys };
}

export interface TxEventData {
  type: "tendermint/event/Tx";
  value: { TxResult: { height: string; index: number; tx: string; result: ExecTxResultJson } };
}

export function txEvent(t: TxView): HubEvent {
  const hash = hexUpper(t.hash ?? txHash(t.tx));
  const data: TxEventData = {
    type: "tendermint/event/Tx",
    value: {
      TxResult: {
        height: int64(t.height),
        index: t.index,
        tx: b64(t.tx),
        result: encodeTxResult(t.result),
      },
    },
  };
  const keys = compositeKeys(t.result.events, {
    "tm.event": ["Tx"],
    "tx.hash": [hash],
    "tx.height": [int64(t.height)],
  });
  return { height: t.height, data, events: keys };
}
