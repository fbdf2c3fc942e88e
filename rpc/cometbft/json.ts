/**
 * CometBFT's JSON spelling of primitive values (libs/json and the types' JSON tags):
 * - int64/uint64 (heights, powers, gas, counts of type int) as decimal strings; int32/uint32
 *   (round, code, index, parts.total, block_id_flag) as numbers;
 * - HexBytes (hashes, addresses) as upper-case hex; []byte (txs, data, signatures, keys) as
 *   base64;
 * - time.Time as RFC 3339 in UTC with nanoseconds; Go's zero time for "no time".
 */
import type { AppEvent } from "../../lib/abci.js";
import { toBase64, toHex } from "../../lib/bytes.js";
import type { BlockIdView } from "./views.js";

export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function int64(n: number | bigint): string {
  if (typeof n === "number" && !Number.isSafeInteger(n)) {
    throw new RangeError(`not an integer: ${n}`);
  }
  return n.toString();
}

export function hexUpper(b: Uint8Array): string {
  return toHex(b).toUpperCase();
}

export function b64(b: Uint8Array): string {
  return toBase64(b);
}

/** Unix ms -> "2026-01-02T03:04:05.678000000Z" (RFC 3339, nanosecond digits). */
export function rfc3339(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  const iso = new Date(ms).toISOString(); // always ….sssZ for years 0000-9999
  return `${iso.slice(0, -1)}000000Z`;
}

export interface BlockIdJson {
  hash: string;
  parts: { total: number; hash: string };
}

export const EMPTY_BLOCK_ID: BlockIdJson = { hash: "", parts: { total: 0, hash: "" } };

export function blockId(v: BlockIdView | null): BlockIdJson {
  if (!v) return { hash: "", parts: { total: 0, hash: "" } };
  return { hash: hexUpper(v.hash), parts: { total: v.parts.total, hash: hexUpper(v.parts.hash) } };
}

export interface PubKeyJson {
  type: "tendermint/PubKeyEd25519";
  value: string;
}

export function pubKey(key: Uint8Array): PubKeyJson {
  return { type: "tendermint/PubKeyEd25519", value: b64(key) };
}

/** The protobuf form of a key that ABCI types (validator_updates) carry in v0.38's JSON. */
export function protoPubKey(key: Uint8Array): {
  Sum: { type: string; value: { ed25519: string } };
} {
  return { Sum: { type: "tendermint.crypto.PublicKey_Ed25519", value: { ed25519: b64(key) } } };
}

export interface EventJson {
  type: string;
  attributes: { key: string; value: string; index: boolean }[];
}

/** ABCI events; every attribute indexed (perpetua's events are all meant to be queryable). */
export function events(list: readonly AppEvent[]): EventJson[] {
  return list.map((e) => ({
    type: e.type,
    attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: true })),
  }));
}

/** CometBFT's composite-key map (`type.key` -> values) that event queries match against. */
export function compositeKeys(list: readonly AppEvent[], into: Record<string, string[]> = {}) {
  for (const e of list) {
    for (const a of e.attributes) {
      const k = `${e.type}.${a.key}`;
      const arr = into[k];
      if (arr) arr.push(a.value);
      else into[k] = [a.value];
    }
  }
  return into;
}
