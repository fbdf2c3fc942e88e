import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppEvent, CompactEvent, FinalizeBlockResponse } from "../lib/abci.js";
import { encode } from "../lib/cbor.js";
import { decodeResults, decodeTxResultAt, encodeResults } from "./resultsCodec.js";

const event: fc.Arbitrary<AppEvent> = fc.record({
  type: fc.string({ maxLength: 12 }),
  attributes: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.string({ unit: "grapheme", maxLength: 50 }),
    }),
    { maxLength: 12 },
  ),
});

const response: fc.Arbitrary<FinalizeBlockResponse> = fc.record({
  txResults: fc.array(
    fc.record({
      code: fc.nat({ max: 2 ** 40 }),
      log: fc.string({ maxLength: 40 }),
      data: fc.uint8Array({ maxLength: 300 }),
      events: fc.array(event, { maxLength: 5 }),
    }),
    { maxLength: 20 },
  ),
  events: fc.array(event, { maxLength: 5 }),
  validatorUpdates: fc.array(
    fc.record({ pubKey: fc.uint8Array({ minLength: 32, maxLength: 32 }), power: fc.nat() }),
    { maxLength: 3 },
  ),
  appHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

/** The older stored layout (v1) as a generic value: still readable. */
function genericV1(r: FinalizeBlockResponse): Uint8Array {
  const ev = (es: readonly AppEvent[]) =>
    es.map((e) => [e.type, e.attributes.map((a) => [a.key, a.value])]);
  return encode([
    r.txResults.map((t) => [t.code, t.log, t.data, ev(t.events)]),
    ev(r.events),
    r.validatorUpdates.map((u) => [u.pubKey, u.power]),
    r.appHash,
  ]);
}

/**
 * The stored layout (v2) as a generic value, its shape table built another way (keyed by
 * the JSON of type and keys): what the field-by-field writer must match.
 */
function generic(r: FinalizeBlockResponse): Uint8Array {
  const index = new Map<string, number>();
  const shapes: [string, string[]][] = [];
  const ev = (es: readonly AppEvent[]) =>
    es.map((e) => {
      const keys = e.attributes.map((a) => a.key);
      const id = JSON.stringify([e.type, keys]);
      if (!index.has(id)) {
        index.set(id, shapes.length);
        shapes.push([e.type, keys]);
      }
      return [index.get(id), ...e.attributes.map((a) => a.value)];
    });
  const txs = r.txResults.map((t) => [t.code, t.log, t.data, ev(t.events)]);
  const events = ev(r.events);
  return encode([
    txs,
    events,
    r.validatorUpdates.map((u) => [u.pubKey, u.power]),
    r.appHash,
    shapes,
  ]);
}

/** Events drawn from a few shapes, as a block's are (with the odd one out). */
const shapedEvent: fc.Arbitrary<AppEvent> = fc.oneof(
  event,
  fc
    .record({
      type: fc.constantFrom("order", "fill"),
      values: fc.array(fc.string({ maxLength: 8 }), { minLength: 3, maxLength: 3 }),
    })
    .map(({ type, values }) => ({
      type,
      attributes: ["market", "owner", type === "order" ? "status" : "price"].map((key, i) => ({
        key,
        value: values[i],
      })),
    })),
);

const shapedResponse: fc.Arbitrary<FinalizeBlockResponse> = response.chain((r) =>
  fc
    .array(fc.array(shapedEvent, { maxLength: 6 }), {
      minLength: r.txResults.length,
      maxLength: r.txResults.length,
    })
    .map((evs) => ({ ...r, txResults: r.txResults.map((t, i) => ({ ...t, events: evs[i] })) })),
);

describe("block results codec", () => {
  it("writes the canonical CBOR of the generic layout, and reads it back", () => {
    fc.assert(
      fc.property(fc.oneof(response, shapedResponse), (r) => {
        const bytes = encodeResults(r);
        expect(bytes).toEqual(generic(r));
        expect(decodeResults(bytes)).toEqual(r);
      }),
      { numRuns: 400 },
    );
  });

  it("writes compact events (shared keys, values on read) as the same bytes as plain ones", () => {
    const shared = new Map<string, readonly string[]>();
    const compact = (e: AppEvent): AppEvent => {
      const own = e.attributes.map((a) => a.key);
      const id = JSON.stringify([e.type, own]);
      const keys = shared.get(id) ?? own;
      shared.set(id, keys);
      const values = e.attributes.map((a) => a.value);
      const c: CompactEvent = {
        type: e.type,
        keys,
        value: (i) => values[i],
        get attributes() {
          return keys.map((key, i) => ({ key, value: values[i] }));
        },
      };
      return c;
    };
    fc.assert(
      fc.property(shapedResponse, fc.array(fc.boolean(), { maxLength: 40 }), (r, pick) => {
        let n = 0;
        const mixed = (es: readonly AppEvent[]) => es.map((e) => (pick[n++ % 40] ? compact(e) : e));
        const m: FinalizeBlockResponse = {
          ...r,
          txResults: r.txResults.map((t) => ({ ...t, events: mixed(t.events) })),
          events: mixed(r.events),
        };
        const bytes = encodeResults(m);
        expect(bytes).toEqual(encodeResults(r));
        expect(decodeResults(bytes)).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it("still reads the older layout (each event with its keys)", () => {
    fc.assert(
      fc.property(shapedResponse, fc.nat(25), (r, i) => {
        const old = genericV1(r);
        expect(decodeResults(old)).toEqual(r);
        expect(decodeTxResultAt(old, i)).toEqual(r.txResults[i]);
      }),
      { numRuns: 200 },
    );
  });

  it("writes each event's keys once per height: order events take ~40 % fewer bytes", () => {
    const order = (i: number): AppEvent => ({
      type: "order",
      attributes: [
        ["market", "BTC-USD"],
        ["owner", `0x${"d4b70edf1f".repeat(4)}`],
        ["orderId", String(88_000 + i)],
        ["clientId", String(i)],
        ["side", "buy"],
        ["price", "60007"],
        ["size", "0.0333"],
        ["remaining", "0.0333"],
        ["status", "cancelled"],
        ["reason", "ioc"],
      ].map(([key, value]) => ({ key, value })),
    });
    const r: FinalizeBlockResponse = {
      txResults: Array.from({ length: 100 }, (_, t) => ({
        code: 0,
        log: "50 ok",
        data: new Uint8Array(0),
        events: Array.from({ length: 50 }, (_, i) => order(t * 50 + i)),
      })),
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32),
    };
    const bytes = encodeResults(r);
    expect(decodeResults(bytes)).toEqual(r);
    expect(bytes.length).toBeLessThan(genericV1(r).length * 0.6);
  });

  it("refuses an event of a shape the table does not have, or of another length", () => {
    const r: FinalizeBlockResponse = {
      txResults: [{ code: 0, log: "", data: new Uint8Array(0), events: [] }],
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32),
    };
    const shapes = [["order", ["market", "owner"]]];
    const layout = (ev: unknown[]) =>
      encode([[[0, "", new Uint8Array(0), [ev]]], [], [], r.appHash, shapes]);
    expect(decodeResults(layout([0, "BTC-USD", "0xab"])).txResults[0].events).toEqual([
      {
        type: "order",
        attributes: [
          { key: "market", value: "BTC-USD" },
          { key: "owner", value: "0xab" },
        ],
      },
    ]);
    expect(() => decodeResults(layout([1, "BTC-USD", "0xab"]))).toThrow(/unknown shape 1/);
    expect(() => decodeResults(layout([0, "BTC-USD"]))).toThrow(/unknown shape 0/);
    expect(() => decodeTxResultAt(layout([3]), 0)).toThrow(/unknown shape 3/);
  });

  it("keeps its bytes when results of megabytes are written in turn", () => {
    const big: FinalizeBlockResponse = {
      txResults: Array.from({ length: 3000 }, (_, i) => ({
        code: 0,
        log: "",
        data: new Uint8Array(64).fill(i & 0xff),
        events: [{ type: "order", attributes: [{ key: "owner", value: `0x${"ab".repeat(200)}` }] }],
      })),
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32).fill(9),
    };
    const first = encodeResults(big);
    const small = encodeResults({ ...big, txResults: big.txResults.slice(0, 1) });
    expect(first.length).toBeGreaterThan(1_000_000);
    expect(decodeResults(first)).toEqual(big);
    expect(decodeResults(small).txResults).toHaveLength(1);
    expect(encodeResults(big)).toEqual(first);
  });

  it("reads one transaction's result alone, equal to the whole decode's", () => {
    fc.assert(
      fc.property(response, fc.nat(25), (r, i) => {
        const bytes = encodeResults(r);
        expect(decodeTxResultAt(bytes, i)).toEqual(decodeResults(bytes).txResults[i]);
      }),
      { numRuns: 300 },
    );
    const bytes = encodeResults({
      txResults: [],
      events: [],
      validatorUpdates: [],
      appHash: new Uint8Array(32),
    });
    expect(decodeTxResultAt(bytes, -1)).toBeUndefined();
    expect(decodeTxResultAt(bytes, 0)).toBeUndefined();
    expect(() => decodeTxResultAt(new Uint8Array([0x83, 0x80]), 0)).toThrow(/4- or 5-item array/);
    expect(() => decodeTxResultAt(bytes.subarray(0, 1), 0)).toThrow();
  });
});
