/** The write-ahead log as the driver sees it; file-backed (fileWal.ts) or in memory. */
import type { WalRecord } from "./record.js";

export interface TornTail {
  /** Byte offset (file) or record index (memory) where the valid log ends. */
  readonly offset: number;
  readonly reason: string;
}

export interface WalReplay {
  /** Records from the last end-of-height marker on (the marker included). */
  readonly records: readonly WalRecord[];
  /** Set when the log ended in a torn or corrupted record, which was cut off. */
  readonly tornTail: TornTail | null;
}

export interface Wal {
  /** Appends without fsync (peer messages, timeouts). */
  append(record: WalRecord): Promise<void>;
  /** Appends and fsyncs this and every earlier record (own messages, end of height). */
  appendSync(record: WalRecord): Promise<void>;
  replay(): WalReplay;
  close(): void;
}

/** The records after the last end-of-height marker, i.e. what a replay feeds back. */
export function tailAfterLastMarker(records: readonly WalRecord[]): WalRecord[] {
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i].kind === "endHeight") return records.slice(i);
  }
  return records.slice();
}
