/**
 * Canonical CBOR of a FinalizeBlockResponse, as the node stores it (block_results) and
 * reads it back for the RPC and for crash recovery.
 */
import type { AppEvent, ExecTxResult, FinalizeBlockResponse } from "../lib/abci.js";
import { asSafeInt, decodeTrusted, encode } from "../lib/cbor.js";

function eventsToCbor(events: readonly AppEvent[]): unknown {
  return events.map((e) => [e.type, e.attributes.map((a) => [a.key, a.value])]);
}

function eventsFromCbor(v: unknown): AppEvent[] {
  return (v as [string, [string, string][]][]).map(([type, attrs]) => ({
    type,
    attributes: attrs.map(([key, value]) => ({ key, value })),
  }));
}

export function encodeResults(r: FinalizeBlockResponse): Uint8Array {
  return encode([
    r.txResults.map((t) => [t.code, t.log, t.data, eventsToCbor(t.events)]),
    eventsToCbor(r.events),
    r.validatorUpdates.map((u) => [u.pubKey, u.power]),
    r.appHash,
  ]);
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
