/**
 * The in-memory controller for unit tests: same contract as LevelDB (byte order, atomic
 * batches, snapshot iteration, clear errors after close), no disk. `failNextWrites(n)`
 * makes the next n batch writes reject before applying anything, to simulate a crash
 * between building a block's batch and persisting it.
 */
import { compareBytes, toHex } from "../../lib/bytes.js";
import type { DatabaseController, DbRange, WriteBatch } from "./controller.js";
import { DbError } from "./errors.js";

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

export class MemoryDbController implements DatabaseController {
  readonly location = "memory";
  private readonly map = new Map<string, Entry>();
  private open_ = true;
  private failures = 0;

  get isOpen(): boolean {
    return this.open_;
  }

  get size(): number {
    return this.map.size;
  }

  failNextWrites(n = 1): void {
    this.failures = n;
  }

  async open(): Promise<void> {
    this.open_ = true;
  }

  async close(): Promise<void> {
    this.open_ = false;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.read(key, "get");
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.read(key, "getSync");
  }

  private read(key: Uint8Array, op: string): Uint8Array | undefined {
    this.assertOpen(op);
    checkBytes(key, "key", op);
    return this.map.get(toHex(key))?.value;
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.assertOpen("put");
    checkBytes(key, "key", "put");
    checkBytes(value, "value", "put");
    this.map.set(toHex(key), { key: key.slice(), value: value.slice() });
  }

  async del(key: Uint8Array): Promise<void> {
    this.assertOpen("del");
    checkBytes(key, "key", "del");
    this.map.delete(toHex(key));
  }

  async write(batch: WriteBatch): Promise<void> {
    if (batch.isSettled) throw new Error("write batch already written; build a new one");
    try {
      this.assertOpen("write");
      // Validate everything first, then apply: all or nothing, as LevelDB.
      for (const op of batch.ops) {
        checkBytes(op.key, "key", "write");
        if (op.type === "put") checkBytes(op.value, "value", "write");
      }
      if (this.failures > 0) {
        this.failures--;
        throw new DbError("DB_WRITE_FAILED", "memory db: write rejected (simulated crash)");
      }
    } catch (e) {
      batch.settle(e);
      throw e;
    }
    for (const op of batch.ops) {
      const k = toHex(op.key);
      if (op.type === "put") this.map.set(k, { key: op.key.slice(), value: op.value.slice() });
      else this.map.delete(k);
    }
    batch.settle(undefined);
  }

  iterate(range: DbRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.assertOpen("iterate");
    // Snapshot now: later writes must not change what this iteration sees.
    const out: [Uint8Array, Uint8Array][] = [];
    for (const e of this.map.values()) {
      if (range.gte !== undefined && compareBytes(e.key, range.gte) < 0) continue;
      if (range.lt !== undefined && compareBytes(e.key, range.lt) >= 0) continue;
      out.push([e.key, e.value]);
    }
    out.sort((a, b) => compareBytes(a[0], b[0]));
    if (range.reverse) out.reverse();
    const limited = range.limit !== undefined && range.limit >= 0 ? out.slice(0, range.limit) : out;
    return {
      async *[Symbol.asyncIterator]() {
        yield* limited;
      },
    };
  }

  private assertOpen(op: string): void {
    if (!this.open_) {
      throw new DbError(
        "DB_CLOSED",
        `database memory is not open (${op} after close, or before open)`,
      );
    }
  }
}

function checkBytes(b: unknown, what: string, op: string): void {
  if (!(b instanceof Uint8Array)) {
    throw new DbError("DB_INVALID_KEY", `${op} on memory: ${what} must be a Uint8Array`);
  }
}
