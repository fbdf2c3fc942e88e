/**
 * Canonical CBOR of a FinalizeBlockResponse, as the node stores it (block_results) and
 * reads it back for the RPC and for crash recovery.
 */
import type { AppEvent, ExecTxResult, FinalizeBlockResponse } from "../lib/abci.js";
import { asSafeInt, decodeTrusted } from "../lib/cbor.js";
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

export function decodeResults(bytes: Uint8Array): FinalizeBlockResponse {
  const [txs, events, updates, appHash] = decodeTrusted(bytes) as unknown[];
  return {
    txResults: (txs as unknown[][]).map(
      (t): ExecTxResult => ({
        code: asSafeInt(t[0], "code"),
        log: t[1] as string,
        data: t[2] as Uint8Array,
        events: eventsFromCbor(t[3]),
      }),
    ),
    events: eventsFromCbor(events),
    validatorUpdates: (updates as unknown[][]).map((u) => ({
      pubKey: u[0] as Uint8Array,
      power: asSafeInt(u[1], "power"),
    })),
    appHash: appHash as Uint8Array,
  };
}
