/**
 * A small schema language for decoded CBOR (and JSON) values: each schema validates an
 * unknown value, converts it against its declared type (cborg gives `number` below 2^53
 * and `bigint` above), and names the failing field path in its error. TypeScript types
 * are derived from the schemas (`Infer<typeof S>`), so a message is defined once.
 *
 * Objects are closed: unknown keys are rejected, so one value has exactly one encoding.
 * Optional fields are absent (never null or undefined) in canonical form.
 */
import { ErrorCode, PerpetuaError } from "./errors.js";

export interface Schema<T> {
  /**
   * Validates and converts; throws PerpetuaError(INVALID_FIELD) naming `path`: every message
   * starts with the path it was given. Objects and arrays give their members the empty path
   * and put their own in front of a member's message when it throws, so the path of each
   * field is only built for a value that fails, not for every field of every valid message.
   */
  parse(v: unknown, path: string): T;
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function bad(path: string, why: string): never {
  throw new PerpetuaError(ErrorCode.INVALID_FIELD, `${path}: ${why}`);
}

/** A member's error (its message starts at the member) under the member's full path. */
function under(e: unknown, path: string): unknown {
  return e instanceof PerpetuaError ? new PerpetuaError(e.code, path + e.message) : e;
}

export function string(opts: {
  min?: number;
  max: number;
  pattern?: RegExp;
  what?: string;
}): Schema<string> {
  const min = opts.min ?? 0;
  return {
    parse(v, path) {
      if (typeof v !== "string") bad(path, "expected a string");
      if (v.length < min || v.length > opts.max) bad(path, `length must be ${min}..${opts.max}`);
      if (opts.pattern && !opts.pattern.test(v))
        bad(path, `expected ${opts.what ?? opts.pattern.source}`);
      return v;
    },
  };
}

export function literal<const T extends string>(value: T): Schema<T> {
  return {
    parse(v, path) {
      if (v !== value) bad(path, `expected "${value}"`);
      return value;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  const set = new Set<string>(values);
  return {
    parse(v, path) {
      if (typeof v !== "string" || !set.has(v)) bad(path, `expected one of ${values.join(", ")}`);
      return v as T[number];
    },
  };
}

/** A non-negative safe integer within [min, max]. */
export function uint(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return {
    parse(v, path) {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) bad(path, "expected an integer");
      if (v < min || v > max) bad(path, `must be ${min}..${max}`);
      return v;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    parse(v, path) {
      if (typeof v !== "boolean") bad(path, "expected a boolean");
      return v;
    },
  };
}

export function bytes(opts: { len?: number; max?: number }): Schema<Uint8Array> {
  return {
    parse(v, path) {
      if (!(v instanceof Uint8Array)) bad(path, "expected bytes");
      if (opts.len !== undefined && v.length !== opts.len) bad(path, `expected ${opts.len} bytes`);
      if (opts.max !== undefined && v.length > opts.max) bad(path, `at most ${opts.max} bytes`);
      return v;
    },
  };
}

export function array<T>(item: Schema<T>, opts: { min?: number; max: number }): Schema<T[]> {
  const min = opts.min ?? 0;
  return {
    parse(v, path) {
      if (!Array.isArray(v)) bad(path, "expected an array");
      if (v.length < min || v.length > opts.max) bad(path, `must have ${min}..${opts.max} items`);
      const out = new Array<T>(v.length);
      for (let i = 0; i < v.length; i++) {
        try {
          out[i] = item.parse(v[i], "");
        } catch (e) {
          throw under(e, `${path}[${i}]`);
        }
      }
      return out;
    },
  };
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return { parse: (v, path) => inner.parse(v, path), optional: true };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Infer<S[K]> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined>;
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array)
    return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A closed object: every key of `shape` (optional ones may be absent), no others. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return {
    parse(v, path) {
      if (!isPlainObject(v)) bad(path, "expected a map");
      // for-in, not Object.keys: no array per object parsed. Own keys of `shape` only: a
      // key like "toString" is on every object's prototype, and must still be unknown.
      for (const k in v) {
        if (!Object.hasOwn(shape, k)) bad(path, `unknown field "${k}"`);
      }
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        const s = shape[k];
        const fv = v[k];
        if (fv === undefined) {
          if (!s.optional) bad(`${path}.${k}`, "required");
          continue;
        }
        try {
          out[k] = s.parse(fv, "");
        } catch (e) {
          throw under(e, `${path}.${k}`);
        }
      }
      return out as ObjectOf<S>;
    },
  };
}

/** A union of closed objects told apart by a string field (`kind`). */
export function union<const K extends string, M extends Record<string, Schema<object>>>(
  tag: K,
  members: M,
): Schema<{ [T in keyof M]: Infer<M[T]> }[keyof M]> {
  return {
    parse(v, path) {
      if (!isPlainObject(v)) bad(path, "expected a map");
      const t = v[tag];
      if (typeof t !== "string" || !Object.hasOwn(members, t)) {
        throw new PerpetuaError(
          ErrorCode.UNKNOWN_MSG,
          `${path}.${tag}: expected one of ${Object.keys(members).join(", ")}`,
        );
      }
      return members[t].parse(v, path) as { [T in keyof M]: Infer<M[T]> }[keyof M];
    },
  };
}

/** Wraps a schema with an extra check that runs after parsing. */
export function refine<T>(inner: Schema<T>, check: (v: T) => string | undefined): Schema<T> {
  return {
    parse(v, path) {
      const out = inner.parse(v, path);
      const why = check(out);
      if (why) bad(path, why);
      return out;
    },
    optional: inner.optional,
  };
}
