/**
 * Parameter schemas at the RPC edge.
 *
 * A param schema is lib/schema's `Schema<T>` (parse + optional) plus a hint of how CometBFT's
 * URI form (`GET /block?height=5`) spells the value, so that one declaration serves POST
 * bodies (positional or named), WebSocket messages and query strings. Any lib/schema schema
 * can be used directly too (its URI hint defaults to "json"); its INVALID_FIELD errors map to
 * -32602 like ours.
 *
 * JSON spellings follow CometBFT's JSON (libs/json): 64-bit integers may arrive as numbers or
 * as decimal strings ("5"), byte slices as base64 strings.
 */
import { fromBase64, fromHex, utf8 } from "../lib/bytes.js";
import type { Schema } from "../lib/schema.js";
import { invalidParams } from "./errors.js";

/** How a URI query value is converted before `parse` (CometBFT http_uri_handler.go rules). */
export type UriKind = "int" | "string" | "bytes" | "json";

export interface ParamSchema<T> extends Schema<T> {
  readonly uri?: UriKind;
  /** Shown by `GET /` next to the param name. */
  readonly describe?: string;
}

/** Ordered: positional params bind to these keys in declaration order. */
export type ParamsSpec = Record<string, ParamSchema<unknown>>;

type OptionalKeys<S extends ParamsSpec> = {
  [K in keyof S]: S[K] extends { optional: true } ? K : never;
}[keyof S];
type RequiredKeys<S extends ParamsSpec> = Exclude<keyof S, OptionalKeys<S>>;
type Out<S> = S extends Schema<infer T> ? T : never;
export type ParamsOf<S extends ParamsSpec> = { [K in RequiredKeys<S>]: Out<S[K]> } & {
  [K in OptionalKeys<S>]?: Exclude<Out<S[K]>, undefined>;
};

const DIGITS = /^-?[0-9]+$/;

function bad(path: string, why: string): never {
  throw invalidParams(`${path}: ${why}`);
}

/** An integer within [min, max]; accepts a JSON number or a decimal string (CometBFT int64). */
export function int(opts: { min?: number; max?: number } = {}): ParamSchema<number> {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    uri: "int",
    describe: "integer",
    parse(v, path) {
      let n: number;
      if (typeof v === "number") n = v;
      else if (typeof v === "string" && DIGITS.test(v) && v.length <= 17) n = Number(v);
      else bad(path, "expected an integer (number or decimal string)");
      if (!Number.isSafeInteger(n)) bad(path, "expected an integer");
      if (n < min || n > max) bad(path, `must be ${min}..${max}`);
      return n;
    },
  };
}

/** A block height: integer ≥ 1. */
export function height(): ParamSchema<number> {
  return { ...int({ min: 1 }), describe: "height" };
}

export function str(opts: {
  min?: number;
  max: number;
  pattern?: RegExp;
  what?: string;
}): ParamSchema<string> {
  const min = opts.min ?? 0;
  return {
    uri: "string",
    describe: opts.what ?? "string",
    parse(v, path) {
      if (typeof v !== "string") bad(path, "expected a string");
      if (v.length < min || v.length > opts.max) bad(path, `length must be ${min}..${opts.max}`);
      if (opts.pattern && !opts.pattern.test(v)) {
        bad(path, `expected ${opts.what ?? `a string matching ${opts.pattern.source}`}`);
      }
      return v;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): ParamSchema<T[number]> {
  const set = new Set<string>(values);
  return {
    uri: "string",
    describe: values.join("|"),
    parse(v, path) {
      if (typeof v !== "string" || !set.has(v)) bad(path, `expected one of ${values.join(", ")}`);
      return v as T[number];
    },
  };
}

export function bool(): ParamSchema<boolean> {
  return {
    uri: "json",
    describe: "boolean",
    parse(v, path) {
      if (typeof v !== "boolean") bad(path, "expected a boolean");
      return v;
    },
  };
}

/**
 * Bytes: base64 in JSON (CometBFT's []byte), `0x`-hex or a quoted raw string in the URI form
 * (the URI converter hands over a Uint8Array already).
 */
export function bytes(opts: { max: number; len?: number }): ParamSchema<Uint8Array> {
  return {
    uri: "bytes",
    describe: "base64 bytes",
    parse(v, path) {
      let b: Uint8Array;
      if (v instanceof Uint8Array) b = v;
      else if (typeof v === "string") {
        // 4/3 expansion: refuse to decode what cannot fit anyway.
        if (v.length > Math.ceil(opts.max / 3) * 4) bad(path, `at most ${opts.max} bytes`);
        try {
          b = fromBase64(v);
        } catch {
          bad(path, "expected base64 (standard alphabet, padded)");
        }
      } else bad(path, "expected a base64 string");
      if (opts.len !== undefined && b.length !== opts.len) bad(path, `expected ${opts.len} bytes`);
      if (b.length > opts.max) bad(path, `at most ${opts.max} bytes`);
      return b;
    },
  };
}

export function optional<T>(inner: ParamSchema<T>): ParamSchema<T | undefined> & {
  optional: true;
} {
  return {
    uri: inner.uri,
    describe: inner.describe,
    optional: true,
    parse: (v, path) => inner.parse(v, path),
  };
}

/**
 * Converts one URI query value the way CometBFT does (rpc/jsonrpc/server/http_uri_handler.go):
 * - a decimal integer where an integer is expected is taken as is;
 * - `0x…` is hex, decoded to bytes (or to a string where a string is expected), an error
 *   elsewhere;
 * - a double-quoted value where bytes are expected is a JSON string whose UTF-8 bytes are
 *   the value;
 * - anything else is parsed as JSON (so strings are written quoted: `query="tm.event='Tx'"`).
 * Deviation, on purpose: where a string is expected and the value is not valid JSON for a
 * string, the raw text is taken (`?market=BTC-USD` works); CometBFT would refuse it.
 */
export function uriValue(kind: UriKind, raw: string, path: string): unknown {
  if (kind === "int" && DIGITS.test(raw)) return raw;
  if (raw.startsWith("0x") || raw.startsWith("0X")) {
    if (kind !== "string" && kind !== "bytes") bad(path, "got a hex string, expected a number");
    let b: Uint8Array;
    try {
      b = fromHex(raw);
    } catch {
      bad(path, "invalid hex");
    }
    return kind === "string" ? new TextDecoder().decode(b) : b;
  }
  const quoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"');
  if (quoted && kind === "bytes") {
    let s: unknown;
    try {
      s = JSON.parse(raw);
    } catch {
      bad(path, "invalid quoted string");
    }
    if (typeof s !== "string") bad(path, "invalid quoted string");
    return utf8(s);
  }
  try {
    const v: unknown = JSON.parse(raw);
    if (kind === "string" && typeof v !== "string") return raw;
    return v;
  } catch {
    if (kind === "string") return raw;
    bad(path, 'not valid JSON (quote strings, e.g. name="value")');
  }
}

export interface BindOptions {
  /** Ignore named params that the spec does not declare (CometBFT does); default false. */
  allowUnknown?: boolean;
}

/**
 * Binds raw JSON-RPC params (absent, positional array or named object) to a spec.
 * `null` counts as absent, as in CometBFT.
 */
export function bindParams<S extends ParamsSpec>(
  spec: S,
  raw: unknown,
  opts: BindOptions = {},
): ParamsOf<S> {
  const keys = Object.keys(spec);
  const named: Record<string, unknown> = {};
  if (raw === undefined || raw === null) {
    // no params
  } else if (Array.isArray(raw)) {
    if (raw.length > keys.length) {
      bad("params", `expected at most ${keys.length} positional params (${keys.join(", ")})`);
    }
    for (let i = 0; i < raw.length; i++) named[keys[i]] = raw[i];
  } else if (typeof raw === "object") {
    for (const k of Object.keys(raw)) {
      if (!Object.hasOwn(spec, k)) {
        if (opts.allowUnknown) continue;
        bad(k, `unknown param (expected ${keys.length ? keys.join(", ") : "none"})`);
      }
      named[k] = (raw as Record<string, unknown>)[k];
    }
  } else {
    bad("params", "expected an array or an object");
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const s = spec[k];
    const v = named[k];
    if (v === undefined || v === null) {
      if (!s.optional) bad(k, "required");
      continue;
    }
    const parsed = s.parse(v, k);
    if (parsed !== undefined) out[k] = parsed;
  }
  return out as ParamsOf<S>;
}

/** Binds a URI query string (`?height=5&prove=true`) to a spec. */
export function bindUriParams<S extends ParamsSpec>(
  spec: S,
  query: URLSearchParams,
  opts: BindOptions = {},
): ParamsOf<S> {
  const named: Record<string, unknown> = {};
  for (const k of new Set(query.keys())) {
    if (!Object.hasOwn(spec, k)) {
      if (opts.allowUnknown) continue;
      bad(k, "unknown param");
    }
  }
  for (const [k, s] of Object.entries(spec)) {
    const raw = query.get(k);
    // CometBFT: an empty value is the type's zero value, i.e. absent for us.
    if (raw === null || raw === "") continue;
    named[k] = uriValue(s.uri ?? "json", raw, k);
  }
  return bindParams(spec, named, { allowUnknown: true });
}

// --- exchange edge (DESIGN.md section 5: decimal strings, 0x addresses, market ids) -------

const MARKET_ID = /^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A market id like "BTC-USD". */
export function market(): ParamSchema<string> {
  return str({ min: 3, max: 33, pattern: MARKET_ID, what: "a market id like BTC-USD" });
}

/** An account address "0x" + 40 hex, returned lower-case. */
export function address(): ParamSchema<string> {
  const inner = str({ min: 42, max: 42, pattern: ADDRESS, what: "an address 0x + 40 hex" });
  return { ...inner, parse: (v, path) => inner.parse(v, path).toLowerCase() };
}

/** A non-negative decimal string ("50000.5"); never a JSON number (no float at the edge). */
export function decimal(opts: { maxFractionDigits?: number } = {}): ParamSchema<string> {
  const frac = opts.maxFractionDigits ?? 18;
  return {
    uri: "string",
    describe: "decimal string",
    parse(v, path) {
      if (typeof v !== "string") bad(path, 'expected a decimal string like "12.5"');
      if (v.length > 80 || !DECIMAL.test(v)) bad(path, 'expected a decimal string like "12.5"');
      const dot = v.indexOf(".");
      if (dot >= 0 && v.length - dot - 1 > frac) bad(path, `at most ${frac} decimal places`);
      return v;
    },
  };
}
