/**
 * LevelDB through `level` (classic-level on Node), with Uint8Array keys and values and no
 * encoding layer: repositories own their encodings. One `level.batch()` per `write`, which
 * LevelDB applies atomically (its write-ahead log holds the whole batch or none of it).
 */
import { mkdir } from "node:fs/promises";
import { Level } from "level";
import type { Logger } from "pino";
import type { DatabaseController, DbRange, WriteBatch, WriteOptions } from "./controller.js";
import { DbError, type DbErrorCode } from "./errors.js";

type Db = Level<Uint8Array, Uint8Array>;

export interface LevelDbOptions {
  /** The data directory of this database (created if missing, mode 0700). */
  path: string;
}

export class LevelDbController implements DatabaseController {
  readonly location: string;
  private readonly db: Db;
  private readonly logger: Logger | undefined;

  constructor(opts: LevelDbOptions, deps: { logger?: Logger } = {}) {
    this.location = opts.path;
    this.logger = deps.logger;
    this.db = new Level<Uint8Array, Uint8Array>(opts.path, {
      keyEncoding: "view",
      valueEncoding: "view",
    });
  }

  /** Creates the directory and opens the database; the usual way to get a controller. */
  static async open(
    opts: LevelDbOptions,
    deps: { logger?: Logger } = {},
  ): Promise<LevelDbController> {
    const c = new LevelDbController(opts, deps);
    await c.open();
    return c;
  }

  get isOpen(): boolean {
    return this.db.status === "open";
  }

  async open(): Promise<void> {
    await mkdir(this.location, { recursive: true, mode: 0o700 });
    try {
      await this.db.open({ createIfMissing: true });
    } catch (e) {
      const code = levelCode(e);
      const cause = (e as { cause?: { message?: string } }).cause?.message ?? "";
      if (code === "LEVEL_LOCKED" || /lock/i.test(cause)) {
        throw new DbError(
          "DB_LOCKED",
          `database ${this.location} is locked by another process (is another node running with this home?)`,
          { cause: e },
        );
      }
      if (code === "LEVEL_CORRUPTION" || /corrupt/i.test(cause)) {
        throw new DbError("DB_CORRUPT", `database ${this.location} is corrupt: ${cause}`, {
          cause: e,
        });
      }
      throw new DbError("DB_OPEN_FAILED", `cannot open database ${this.location}: ${cause}`, {
        cause: e,
      });
    }
    this.logger?.debug({ path: this.location }, "database opened");
  }

  async close(): Promise<void> {
    if (this.db.status === "closed") return;
    await this.db.close();
    this.logger?.debug({ path: this.location }, "database closed");
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return await this.db.get(key);
    } catch (e) {
      throw this.wrap(e, "get", "DB_READ_FAILED");
    }
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    try {
      return this.db.getSync(key);
    } catch (e) {
      throw this.wrap(e, "getSync", "DB_READ_FAILED");
    }
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    try {
      await this.db.put(key, value);
    } catch (e) {
      throw this.wrap(e, "put", "DB_WRITE_FAILED");
    }
  }

  async del(key: Uint8Array): Promise<void> {
    try {
      await this.db.del(key);
    } catch (e) {
      throw this.wrap(e, "del", "DB_WRITE_FAILED");
    }
  }

  async write(batch: WriteBatch, opts: WriteOptions = {}): Promise<void> {
    if (batch.isSettled) throw new Error("write batch already written; build a new one");
    try {
      if (batch.ops.length > 0) {
        // A chained batch: one LevelDB WriteBatch, applied atomically by write(). Measured
        // here for 4,000 puts of 300 bytes: ~0.7 µs of main-thread time per op, against
        // ~4–7 µs per op for the array form of batch(), which clones every op object and
        // re-resolves its encodings. An invalid op throws from put/del before anything is
        // written; the batch is then closed and nothing lands.
        const chained = this.db.batch();
        try {
          for (const op of batch.ops) {
            if (op.type === "put") chained.put(op.key, op.value);
            else chained.del(op.key);
          }
        } catch (e) {
          await chained.close();
          throw e;
        }
        await chained.write({ sync: opts.sync ?? true });
      }
    } catch (e) {
      const err = this.wrap(e, "write", "DB_WRITE_FAILED");
      batch.settle(err);
      throw err;
    }
    batch.settle(undefined);
  }

  iterate(range: DbRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    // The iterator (and its implicit LevelDB snapshot) is created now, not at the first
    // next(): "a snapshot as of the call", as the KvStore contract asks.
    let it: ReturnType<Db["iterator"]>;
    try {
      it = this.db.iterator({
        ...(range.gte !== undefined ? { gte: range.gte } : {}),
        ...(range.lt !== undefined ? { lt: range.lt } : {}),
        reverse: range.reverse ?? false,
        limit: range.limit ?? -1,
      });
    } catch (e) {
      throw this.wrap(e, "iterate", "DB_READ_FAILED");
    }
    const wrap = (e: unknown) => this.wrap(e, "iterate", "DB_READ_FAILED");
    return {
      async *[Symbol.asyncIterator]() {
        try {
          while (true) {
            let entries: [Uint8Array, Uint8Array][];
            try {
              entries = (await it.nextv(256)) as [Uint8Array, Uint8Array][];
            } catch (e) {
              throw wrap(e);
            }
            if (entries.length === 0) return;
            yield* entries;
          }
        } finally {
          await it.close();
        }
      },
    };
  }

  private wrap(e: unknown, op: string, fallback: DbErrorCode): DbError {
    if (e instanceof DbError) return e;
    const code = levelCode(e);
    if (code === "LEVEL_DATABASE_NOT_OPEN" || code === "LEVEL_ITERATOR_NOT_OPEN") {
      return new DbError(
        "DB_CLOSED",
        `database ${this.location} is not open (${op} after close, or before open)`,
        { cause: e },
      );
    }
    if (code === "LEVEL_INVALID_KEY" || code === "LEVEL_INVALID_VALUE") {
      return new DbError("DB_INVALID_KEY", `${op} on ${this.location}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (code === "LEVEL_CORRUPTION") {
      return new DbError("DB_CORRUPT", `database ${this.location} is corrupt (${op})`, {
        cause: e,
      });
    }
    return new DbError(fallback, `${op} on ${this.location} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function levelCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}
