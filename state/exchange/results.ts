/** The result of one message: a stable code, a readable log and, for orders, what happened. */
import { encode } from "../../lib/cbor.js";
import { RecordWriter } from "../../lib/cborEncode.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";

export interface MsgResult {
  readonly code: number;
  readonly log: string;
  readonly orderId?: number;
  /** filled | partially_filled | resting | cancelled | untriggered | triggered */
  readonly status?: string;
  /** Filled size as a decimal string. */
  readonly filled?: string;
  /** Number of orders cancelled (cancel_all). */
  readonly cancelled?: number;
}

export function ok(log: string, extra: Omit<MsgResult, "code" | "log"> = {}): MsgResult {
  return { code: ErrorCode.OK, log, ...extra };
}

export function failure(e: unknown): MsgResult {
  if (e instanceof PerpetuaError) return { code: e.code, log: e.message };
  throw e;
}

/** MsgResult's keys in canonical CBOR map order: shorter first, then bytewise. */
const RESULT_KEYS = ["log", "code", "filled", "status", "orderId", "cancelled"] as const;
const KNOWN = new Set<string>(RESULT_KEYS);
const resultsWriter = new RecordWriter();

/** The result without its undefined fields (CBOR has no undefined), keys in the same order. */
function definedFields(r: MsgResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = r as unknown as Record<string, unknown>;
  for (const k in src) {
    const v = src[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Canonical CBOR of a transaction's message results, undefined fields left out: the bytes
 * of `encode(rs.map(definedFields))`, written without copying and sorting each result
 * (results.test.ts checks). A result with a field outside MsgResult takes the generic path.
 */
export function encodeResults(rs: readonly MsgResult[]): Uint8Array {
  for (const r of rs) {
    for (const k in r) if (!KNOWN.has(k)) return encode(rs.map(definedFields));
  }
  const w = resultsWriter.begin();
  try {
    w.array(rs.length);
    for (const r of rs) {
      const rec = r as unknown as Record<string, unknown>;
      let n = 0;
      for (const k of RESULT_KEYS) if (rec[k] !== undefined) n++;
      w.map(n);
      for (const k of RESULT_KEYS) {
        const v = rec[k];
        if (v !== undefined) w.text(k).value(v);
      }
    }
  } catch (e) {
    w.end();
    throw e;
  }
  return w.end();
}

export { definedFields as definedResultFields };
