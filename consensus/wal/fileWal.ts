/**
 * The WAL in a file. Each record is framed as
 *   u32 length (big-endian) | u32 CRC-32 of the payload | payload (CBOR, record.ts)
 * Reading stops at the first frame that is incomplete (a torn write: the process died
 * mid-append) or whose CRC or CBOR does not check (corruption); that tail is reported and,
 * on open, cut off so new records follow the last good one. `append` only writes (the
 * record reaches the OS); `appendSync` also fsyncs, which is what makes our own votes and
 * end-of-height markers durable before we act on them. At an end-of-height marker a log
 * larger than `maxBytes` is rotated to `<path>.1` and a new one starts with the marker.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { ConsensusError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { decodeWalRecord, encodeWalRecord, type WalRecord } from "./record.js";
import { type TornTail, tailAfterLastMarker, type Wal, type WalReplay } from "./wal.js";

const HEADER = 8;
const MAX_RECORD = 64 << 20;

export interface ScanResult {
  readonly records: WalRecord[];
  /** Offset just after the last good record. */
  readonly goodBytes: number;
  readonly tornTail: TornTail | null;
}

export function frameRecord(record: WalRecord): Uint8Array {
  const payload = encodeWalRecord(record);
  const out = new Uint8Array(HEADER + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, payload.length);
  dv.setUint32(4, crc32(payload));
  out.set(payload, HEADER);
  return out;
}

/** Parses framed records, stopping at the first torn or corrupted one. */
export function scanWal(data: Uint8Array): ScanResult {
  const records: WalRecord[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  let torn: TornTail | null = null;
  while (off < data.length) {
    if (data.length - off < HEADER) {
      torn = { offset: off, reason: "torn frame header" };
      break;
    }
    const len = dv.getUint32(off);
    const crc = dv.getUint32(off + 4);
    if (len > MAX_RECORD) {
      torn = { offset: off, reason: `record length ${len} too large` };
      break;
    }
    if (data.length - off - HEADER < len) {
      torn = { offset: off, reason: "torn record" };
      break;
    }
    const payload = data.subarray(off + HEADER, off + HEADER + len);
    if (crc32(payload) !== crc) {
      torn = { offset: off, reason: "CRC mismatch" };
      break;
    }
    try {
      records.push(decodeWalRecord(payload));
    } catch (e) {
      torn = { offset: off, reason: `undecodable record: ${(e as Error).message}` };
      break;
    }
    off += HEADER + len;
  }
  return { records, goodBytes: off, tornTail: torn };
}

export interface FileWalOptions {
  /** Rotate at an end-of-height marker once the file exceeds this (default 64 MiB). */
  readonly maxBytes?: number;
}

export class FileWal implements Wal {
  private fd: number;
  private size: number;
  private readonly records: WalRecord[];
  private readonly tornTail: TornTail | null;
  private readonly maxBytes: number;

  /** Opens (or creates) the log, reading it and cutting off a torn tail. */
  constructor(
    private readonly path: string,
    opts: FileWalOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? 64 << 20;
    const data = existsSync(path) ? new Uint8Array(readFileSync(path)) : new Uint8Array(0);
    const scan = scanWal(data);
    this.records = scan.records;
    this.tornTail = scan.tornTail;
    this.fd = openSync(path, existsSync(path) ? "r+" : "w+");
    if (scan.goodBytes < data.length) {
      ftruncateSync(this.fd, scan.goodBytes);
      fsyncSync(this.fd);
    }
    this.size = scan.goodBytes;
  }

  private write(record: WalRecord): void {
    if (this.fd < 0) throw new ConsensusError("wal_corrupted", "WAL is closed");
    const frame = frameRecord(record);
    writeSync(this.fd, frame, 0, frame.length, this.size);
    this.size += frame.length;
  }

  async append(record: WalRecord): Promise<void> {
    this.write(record);
  }

  async appendSync(record: WalRecord): Promise<void> {
    if (record.kind === "endHeight" && this.size > this.maxBytes) {
      this.rotate();
    }
    this.write(record);
    // On libuv's thread pool: the event loop keeps serving gossip and RPC meanwhile. It
    // covers every record written before it; callers await it before acting on the record.
    const fd = this.fd;
    await new Promise<void>((resolve, reject) =>
      fdatasync(fd, (err) => {
        // rotate() and close() fsync the file before closing it: nothing is lost if the
        // descriptor went away meanwhile.
        if (err && !(err.code === "EBADF" && this.fd !== fd)) reject(err);
        else resolve();
      }),
    );
  }

  private rotate(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, "w+");
    this.size = 0;
  }

  /** The records read at open (from the last end-of-height marker) and any torn tail. */
  replay(): WalReplay {
    return { records: tailAfterLastMarker(this.records), tornTail: this.tornTail };
  }

  /** Current file size (for tests). */
  bytes(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
