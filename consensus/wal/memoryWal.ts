/**
 * A WAL in memory for the simulator. Unsynced records are lost on a simulated crash (the
 * harsh model: as if the OS page cache went too); crash points sit before and after each
 * write. Records before the last end-of-height marker are dropped as they are no longer
 * needed for replay (the file WAL rotates instead).
 */
import type { CrashHook } from "../crash.js";
import type { WalRecord } from "./record.js";
import { tailAfterLastMarker, type Wal, type WalReplay } from "./wal.js";

export class MemoryWal implements Wal {
  private durable: WalRecord[] = [];
  private pending: WalRecord[] = [];
  crashHook: CrashHook | undefined;
  writes = 0;

  async append(record: WalRecord): Promise<void> {
    this.crashHook?.("wal:beforeWrite");
    this.pending.push(record);
    this.writes++;
    this.crashHook?.("wal:afterWrite");
  }

  async appendSync(record: WalRecord): Promise<void> {
    this.crashHook?.("wal:beforeWrite");
    this.pending.push(record);
    this.writes++;
    if (record.kind === "endHeight") {
      this.durable = [record];
      this.pending = [];
    } else {
      for (const r of this.pending) this.durable.push(r);
      this.pending = [];
    }
    this.crashHook?.("wal:afterWrite");
  }

  /** What survives a crash: only synced records. */
  crash(): void {
    this.pending = [];
  }

  replay(): WalReplay {
    return { records: tailAfterLastMarker([...this.durable, ...this.pending]), tornTail: null };
  }

  close(): void {}
}
