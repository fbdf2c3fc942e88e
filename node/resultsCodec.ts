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
 * results to return one): the items before it are skipped by their CBOR headers. Undefined
 * when the height has fewer transactions.
 */
export function decodeTxResultAt(bytes: Uint8Array, index: number): ExecTxResult | undefined {
  const r = { at: 0 };
  if (header(bytes, r, 4) !== 4) throw new Error("block results: not a 4-item array");
  const n = header(bytes, r, 4);
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) return undefined;
  for (let i = 0; i < index; i++) skip(bytes, r, 0);
  const start = r.at;
  skip(bytes, r, 0);
  return txResultFromCbor(decodeTrusted(bytes.subarray(start, r.at)) as unknown[]);
}

/** Reads the head of a definite-length item of `major` at r.at; returns its argument. */
function header(b: Uint8Array, r: { at: number }, major: number): number {
  const ib = b[r.at];
  if (ib === undefined || ib >> 5 !== major) throw new Error("block results: unexpected item");
  return argument(b, r, ib & 0x1f);
}

function argument(b: Uint8Array, r: { at: number }, ai: number): number {
  r.at++;
  if (ai < 24) return ai;
  const size = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : 0;
  if (size === 0 || r.at + size > b.length) throw new Error("block results: bad length");
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[r.at + i];
  r.at += size;
  return v;
}

/** Moves r.at past one whole item (definite lengths only, as the results are written). */
function skip(b: Uint8Array, r: { at: number }, depth: number): void {
  if (depth > 64) throw new Error("block results: nested too deep");
  const ib = b[r.at];
  if (ib === undefined) throw new Error("block results: truncated");
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (major === 7) {
    // simple values and floats: the argument is the payload
    argument(b, r, ai);
    return;
  }
  const n = argument(b, r, ai);
  if (major === 2 || major === 3) r.at += n;
  else if (major === 4) for (let i = 0; i < n; i++) skip(b, r, depth + 1);
  else if (major === 5) for (let i = 0; i < 2 * n; i++) skip(b, r, depth + 1);
  else if (major === 6) skip(b, r, depth + 1);
  if (r.at > b.length) throw new Error("block results: truncated");
}
