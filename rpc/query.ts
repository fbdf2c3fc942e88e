/**
 * The subset of CometBFT's event query language (libs/pubsub/query) that perpetua serves:
 * a conjunction (AND) of equalities, exactly one of which is `tm.event='NewBlock'` or
 * `tm.event='Tx'`, e.g.
 *
 *   tm.event='Tx' AND tx.height=5
 *   tm.event='Tx' AND tx.hash='4A3F…' AND fill.market='BTC-USD'
 *
 * Any other `key='value'` / `key=N` equality matches against the event's composite keys
 * (`type.attribute`), as CometBFT does. OR, CONTAINS, EXISTS, <, <=, >, >=, dates and other
 * event types are rejected with a -32602 that says what is supported.
 */
import { invalidParams } from "./errors.js";

export type TmEventType = "NewBlock" | "Tx";

export interface Condition {
  readonly key: string;
  /** Normalized: integers without leading zeros, tx.hash upper-case. */
  readonly value: string;
}

export interface TmQuery {
  readonly event: TmEventType;
  /** Conditions other than tm.event, all of which must hold. */
  readonly conditions: readonly Condition[];
  /** Canonical text: same meaning, same string (used to match unsubscribe by query). */
  readonly canonical: string;
}

export const MAX_QUERY_LENGTH = 512;

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;
const INT = /^-?[0-9]+$/;
const HASH = /^[0-9A-Fa-f]{64}$/;
const SUPPORTED =
  "supported: tm.event='NewBlock' or tm.event='Tx', optionally AND key='value' / key=N";

function bad(why: string): never {
  throw invalidParams(`query: ${why} (${SUPPORTED})`);
}

/** Splits on the AND keyword outside single quotes. */
function splitAnd(q: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === "'") quoted = !quoted;
    if (!quoted && /\s/.test(c)) {
      const m = /^\s+AND\s+/.exec(q.slice(i));
      if (m) {
        parts.push(cur);
        cur = "";
        i += m[0].length - 1;
        continue;
      }
    }
    cur += c;
  }
  if (quoted) bad("unterminated quote");
  parts.push(cur);
  return parts.map((p) => p.trim());
}

function parseCondition(text: string): Condition {
  const m = /^([^\s=<>!]+)\s*(=|<=|>=|<|>|!=)?\s*(.*)$/s.exec(text);
  if (!m || text.length === 0) bad(`empty condition`);
  const [, key, op, rest] = m;
  if (/^(OR|CONTAINS|EXISTS|NOT)$/i.test(key) || /\s(OR|CONTAINS|EXISTS)\b/.test(text)) {
    bad(`only AND of equalities is supported, got "${text}"`);
  }
  if (!KEY.test(key)) bad(`invalid key "${key}"`);
  if (op === undefined) bad(`"${text}" has no operator`);
  if (op !== "=") bad(`operator ${op} is not supported in "${text}"`);
  let value: string;
  if (rest.startsWith("'")) {
    if (!rest.endsWith("'") || rest.length < 2 || rest.slice(1, -1).includes("'")) {
      bad(`bad quoted value in "${text}"`);
    }
    value = rest.slice(1, -1);
  } else if (INT.test(rest)) {
    value = BigInt(rest).toString();
  } else {
    bad(`value in "${text}" must be 'quoted' or an integer`);
  }
  if (key === "tx.height") {
    if (!INT.test(value) || value.startsWith("-")) bad("tx.height must be a non-negative integer");
    value = BigInt(value).toString();
  }
  if (key === "tx.hash") {
    if (!HASH.test(value)) bad("tx.hash must be 64 hex characters");
    value = value.toUpperCase();
  }
  return { key, value };
}

export function parseTmQuery(q: string): TmQuery {
  if (typeof q !== "string" || q.trim().length === 0) bad("empty query");
  if (q.length > MAX_QUERY_LENGTH) bad(`longer than ${MAX_QUERY_LENGTH} characters`);
  const conds = splitAnd(q.trim()).map(parseCondition);
  const tm = conds.filter((c) => c.key === "tm.event");
  if (tm.length !== 1) bad("exactly one tm.event condition is required");
  const event = tm[0].value;
  if (event !== "NewBlock" && event !== "Tx") bad(`event type ${event} is not served`);
  const rest = conds.filter((c) => c.key !== "tm.event");
  if (event === "NewBlock" && rest.some((c) => c.key.startsWith("tx."))) {
    bad("tx.* conditions only apply to tm.event='Tx'");
  }
  const fmt = (c: Condition) =>
    c.key === "tx.height" || INT.test(c.value) ? `${c.key}=${c.value}` : `${c.key}='${c.value}'`;
  const canonical = [`tm.event='${event}'`, ...rest.map(fmt)].join(" AND ");
  return { event, conditions: rest, canonical };
}

/** True when every condition has a matching value in the event's composite-key map. */
export function queryMatches(
  query: TmQuery,
  events: Readonly<Record<string, readonly string[]>> | undefined,
): boolean {
  for (const c of query.conditions) {
    const values = events?.[c.key];
    if (!values) return false;
    const want = c.value;
    const ok = values.some((v) =>
      c.key === "tx.hash"
        ? v.toUpperCase() === want
        : INT.test(v) && INT.test(want)
          ? BigInt(v) === BigInt(want)
          : v === want,
    );
    if (!ok) return false;
  }
  return true;
}
