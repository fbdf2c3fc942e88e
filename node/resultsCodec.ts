/**
 * Canonical CBOR of a FinalizeBlockResponse, as the node stores it (block_results) and
 * reads it back for the RPC and for crash recovery.
 */
import type { AppEvent, ExecTxResult, FinalizeBlockResponse } from "../lib/abci.js";
import { asSafeInt, decodeTrusted } from "../lib/cbor.js";
import { elementBytes } from "../lib/cborDecode.js";
import { RecordWriter } from "../lib/cborEncode.js";

/**
 * The results are written field by field: at devnet load a block holds ~17,000 order events
 * of 10 attributes each, and building the generic value first ([type, [[key, value], …]]
 * arrays for every event) was most of the cost. Same bytes as `encode` of that value
 * (resultsCodec.test.ts).
 */
const writer = new RecordWriter();

function writeEvents(w: RecordWriter, events: readonly AppEvent[]): void {
  w.array(events.length);
  for (const e of events) {
    w.array(2).text(e.type).array(e.attributes.length);
    for (const a of e.attributes) w.array(2).text(a.key).text(a.value);
  }
}

function eventsFromCbor(v: unknown): AppEvent[] {
  return (v as [string, [string, string][]][]).map(([type, attrs]) => ({
    type,
    attributes: attrs.map(([key, value]) => ({ key, value })),
  }));
}

export function encodeResults(r: FinalizeBlockResponse): Uint8Array {
  const w = writer.begin().array(4).array(r.txResults.length);
  for (const t of r.txResults) {
    w.array(4).int(t.code).text(t.log).bytes(t.data);
    writeEvents(w, t.events);
  }
  writeEvents(w, r.events);
  w.array(r.validatorUpdates.length);
  for (const u of r.validatorUpdates) w.array(2).bytes(u.pubKey).int(u.power);
  return w.bytes(r.appHash).end();
}

function txResultFromCbor(t: unknown[]): ExecTxResult {
  return {
    code: asSafeInt(t[0], "code"),
    log: t[1] as string,
    data: t[2] as Uint8Array,
    events: eventsFromCbor(t[3]),
  };
}

export function decodeResults(bytes: Uint8Array): FinalizeBlockResponse {
  const [txs, events, updates, appHash] = decodeTrusted(bytes) as unknown[];
  return {
    txResults: (txs as unknown[][]).map(txResultFromCbor),
    events: eventsFromCbor(events),
    validatorUpdates: (updates as unknown[][]).map((u) => ({
      pubKey: u[0] as Uint8Array,
      power: asSafeInt(u[1], "power"),
    })),
    appHash: appHash as Uint8Array,
  };
}

/**
 * The result of transaction `index` alone, read out of a height's stored results without
 * decoding the others (a `tx` query at devnet load would otherwise decode ~17,000 order
 * results to return one): elementBytes skips the items before it by their CBOR headers.
 * Undefined when the height has fewer transactions.
 */
export function decodeTxResultAt(bytes: Uint8Array, index: number): ExecTxResult | undefined {
  // The stored layout: a 4-item array, its first item the tx results (0x84: its header).
  if (bytes[0] !== 0x84) throw new Error("block results: not a 4-item array");
  const item = elementBytes(bytes, [0, index]);
  return item === undefined ? undefined : txResultFromCbor(decodeTrusted(item) as unknown[]);
}
