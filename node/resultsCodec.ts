/**
 * The stored form of a FinalizeBlockResponse (block_results), as the node writes it and
 * reads it back for the RPC and for crash recovery. It is the node's own storage format: no
 * hash covers it and no peer reads it.
 *
 * Layout (canonical CBOR), a 5-item array:
 *   [txResults, blockEvents, validatorUpdates, appHash, shapes]
 *   txResult: [code, log, data, events]
 *   event:    [shape, value₀, value₁, …]      its attribute values, in order
 *   shapes:   [[type, [key₀, key₁, …]], …]    each distinct (type, keys) once, in first use
 *
 * At devnet load a block carries ~17,000 order events of 10 attributes each, every one with
 * the same ten keys. Writing each key with each event made the results ~40 % larger
 * (10 MB for a block of the bot's transactions), and those bytes went through the write
 * batch, LevelDB's log, its memtable and its compactions. The shape table holds each key
 * list once per height. The older layout, a 4-item array with each event as
 * [type, [[key, value], …]], is still read (data written before this change).
 */
import {
  type AppEvent,
  type ExecTxResult,
  type FinalizeBlockResponse,
  isCompactEvent,
} from "../lib/abci.js";
import { asSafeInt, decodeTrusted } from "../lib/cbor.js";
import { elementBytes } from "../lib/cborDecode.js";
import { RecordWriter } from "../lib/cborEncode.js";

const V1_HEAD = 0x84; // a 4-item array
const V2_HEAD = 0x85; // a 5-item array

/** Written field by field (no generic value is built first); one writer, reused. */
const writer = new RecordWriter();

/** The shape table of one encoding: shape indexes by event type, and the shapes in order. */
class Shapes {
  private readonly byType = new Map<string, number[]>();
  readonly list: { type: string; keys: readonly string[] }[] = [];

  /** The index of e's shape, added if new. */
  indexOf(e: AppEvent): number {
    let candidates = this.byType.get(e.type);
    if (candidates === undefined) {
      candidates = [];
      this.byType.set(e.type, candidates);
    }
    for (const i of candidates) if (hasKeys(e, this.list[i].keys)) return i;
    const i = this.list.length;
    this.list.push({
      type: e.type,
      keys: isCompactEvent(e) ? e.keys : e.attributes.map((a) => a.key),
    });
    candidates.push(i);
    return i;
  }
}

/**
 * Whether e's attribute keys are `keys`, in order: a compact event's shared key array
 * matches by identity; otherwise keys are compared one by one (mostly the same strings).
 */
function hasKeys(e: AppEvent, keys: readonly string[]): boolean {
  if (isCompactEvent(e)) {
    const own = e.keys;
    if (own === keys) return true;
    if (own.length !== keys.length) return false;
    for (let k = 0; k < own.length; k++) if (own[k] !== keys[k]) return false;
    return true;
  }
  const attrs = e.attributes;
  if (attrs.length !== keys.length) return false;
  for (let k = 0; k < attrs.length; k++) if (attrs[k].key !== keys[k]) return false;
  return true;
}

function writeEvents(w: RecordWriter, shapes: Shapes, events: readonly AppEvent[]): void {
  w.array(events.length);
  for (const e of events) {
    if (isCompactEvent(e)) {
      const n = e.keys.length;
      w.array(n + 1).int(shapes.indexOf(e));
      for (let i = 0; i < n; i++) w.text(e.value(i));
    } else {
      const attrs = e.attributes;
      w.array(attrs.length + 1).int(shapes.indexOf(e));
      for (const a of attrs) w.text(a.value);
    }
  }
}

export function encodeResults(r: FinalizeBlockResponse): Uint8Array {
  const shapes = new Shapes();
  const w = writer.begin().array(5).array(r.txResults.length);
  for (const t of r.txResults) {
    w.array(4).int(t.code).text(t.log).bytes(t.data);
    writeEvents(w, shapes, t.events);
  }
  writeEvents(w, shapes, r.events);
  w.array(r.validatorUpdates.length);
  for (const u of r.validatorUpdates) w.array(2).bytes(u.pubKey).int(u.power);
  w.bytes(r.appHash).array(shapes.list.length);
  for (const s of shapes.list) {
    w.array(2).text(s.type).array(s.keys.length);
    for (const k of s.keys) w.text(k);
  }
  return w.end();
}

type EventReader = (v: unknown) => AppEvent[];

/** Events of the older layout: [type, [[key, value], …]] each. */
const v1Events: EventReader = (v) =>
  (v as [string, [string, string][]][]).map(([type, attrs]) => ({
    type,
    attributes: attrs.map(([key, value]) => ({ key, value })),
  }));

function v2Events(shapesValue: unknown): EventReader {
  const shapes = shapesValue as [string, string[]][];
  return (v) =>
    (v as unknown[][]).map((e) => {
      const shape = shapes[e[0] as number];
      if (shape === undefined || shape[1].length !== e.length - 1)
        throw new Error(`block results: event of unknown shape ${String(e[0])}`);
      const [type, keys] = shape;
      return { type, attributes: keys.map((key, i) => ({ key, value: e[i + 1] as string })) };
    });
}

function txResultFromCbor(t: unknown[], events: EventReader): ExecTxResult {
  return {
    code: asSafeInt(t[0], "code"),
    log: t[1] as string,
    data: t[2] as Uint8Array,
    events: events(t[3]),
  };
}

export function decodeResults(bytes: Uint8Array): FinalizeBlockResponse {
  const head = checkHead(bytes);
  const [txs, events, updates, appHash, shapes] = decodeTrusted(bytes) as unknown[];
  const readEvents = head === V2_HEAD ? v2Events(shapes) : v1Events;
  return {
    txResults: (txs as unknown[][]).map((t) => txResultFromCbor(t, readEvents)),
    events: readEvents(events),
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
  const head = checkHead(bytes);
  const item = elementBytes(bytes, [0, index]);
  if (item === undefined) return undefined;
  const readEvents =
    head === V2_HEAD ? v2Events(decodeTrusted(elementBytes(bytes, [4]) ?? fail())) : v1Events;
  return txResultFromCbor(decodeTrusted(item) as unknown[], readEvents);
}

function checkHead(bytes: Uint8Array): number {
  const head = bytes[0];
  if (head !== V1_HEAD && head !== V2_HEAD)
    throw new Error("block results: not a 4- or 5-item array");
  return head;
}

function fail(): never {
  throw new Error("block results: no shape table");
}
