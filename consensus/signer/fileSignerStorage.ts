/**
 * Signer storage in a file of two slots, written alternately, each one fdatasync'ed
 * before `save` resolves (so before a signature leaves the signer):
 *
 *   slot i (at i × SLOT_BYTES):  "PSS1" || seq (u32 BE) || length (u32 BE) || crc32 (u32 BE)
 *                                || CBOR state (length bytes)
 *
 * crc32 covers seq, length and the state. A crash during a write can tear only the slot
 * being written; the other slot still holds the previous state, whose signature was never
 * released (save had not resolved). `load` takes the valid slot with the higher seq.
 *
 * One fdatasync per signature, on libuv's thread pool: the previous format (write a
 * temporary file, fsync, rename, fsync the directory) cost two fsyncs and a rename, on the
 * event loop, at every vote. A file in that previous format (plain CBOR) is still read, and
 * the first save rewrites it in slots.
 */
import { closeSync, existsSync, fdatasync, openSync, readFileSync, writeSync } from "node:fs";
import { crc32 } from "../wal/crc32.js";
import {
  decodeLastSignState,
  encodeLastSignState,
  type LastSignState,
  type SignerStorage,
} from "./lastSignState.js";

const MAGIC = [0x50, 0x53, 0x53, 0x31]; // "PSS1"
const HEADER = 16;
/** A state is ~250 bytes of CBOR (two signatures, a hash, an extension of oracle prices). */
const SLOT_BYTES = 4096;

function readSlot(file: Uint8Array, slot: number): { seq: number; state: LastSignState } | null {
  const o = slot * SLOT_BYTES;
  if (file.length < o + HEADER) return null;
  for (let i = 0; i < 4; i++) if (file[o + i] !== MAGIC[i]) return null;
  const view = new DataView(file.buffer, file.byteOffset + o);
  const seq = view.getUint32(4);
  const length = view.getUint32(8);
  if (length > SLOT_BYTES - HEADER || file.length < o + HEADER + length) return null;
  const covered = file.subarray(o + 4, o + 12);
  const body = file.subarray(o + HEADER, o + HEADER + length);
  const withBody = new Uint8Array(8 + length);
  withBody.set(covered, 0);
  withBody.set(body, 8);
  if (crc32(withBody) !== view.getUint32(12)) return null;
  return { seq, state: decodeLastSignState(body) };
}

export class FileSignerStorage implements SignerStorage {
  private fd = -1;
  private seq = 0;
  /** Saves in call order; a save never overlaps the previous one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {}

  load(): LastSignState | null {
    if (!existsSync(this.path)) return null;
    const file = new Uint8Array(readFileSync(this.path));
    const slots = [readSlot(file, 0), readSlot(file, 1)].filter((s) => s !== null);
    if (slots.length === 0) {
      if (file.length > 0 && file[0] !== MAGIC[0]) return decodeLastSignState(file); // old format
      throw new Error(`signer state ${this.path}: no valid slot (corrupted file)`);
    }
    const best = slots.reduce((a, b) => (b.seq > a.seq ? b : a));
    this.seq = best.seq;
    return best.state;
  }

  save(state: LastSignState): Promise<void> {
    const run = this.queue.then(() => this.write(state));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the file (tests; a process exit closes it anyway). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private async write(state: LastSignState): Promise<void> {
    if (this.fd < 0) {
      const legacy = existsSync(this.path) && this.seq === 0;
      this.fd = openSync(this.path, existsSync(this.path) ? "r+" : "w+");
      // An old-format file would be misread as slots: clear its first bytes first.
      if (legacy) writeSync(this.fd, new Uint8Array(HEADER), 0, HEADER, 0);
    }
    const body = encodeLastSignState(state);
    if (body.length > SLOT_BYTES - HEADER) throw new Error("signer state exceeds its slot");
    const seq = this.seq + 1;
    const rec = new Uint8Array(HEADER + body.length);
    const view = new DataView(rec.buffer);
    rec.set(MAGIC, 0);
    view.setUint32(4, seq >>> 0);
    view.setUint32(8, body.length);
    rec.set(body, HEADER);
    const covered = new Uint8Array(8 + body.length);
    covered.set(rec.subarray(4, 12), 0);
    covered.set(body, 8);
    view.setUint32(12, crc32(covered));
    writeSync(this.fd, rec, 0, rec.length, (seq % 2) * SLOT_BYTES);
    await new Promise<void>((resolve, reject) =>
      fdatasync(this.fd, (err) => (err ? reject(err) : resolve())),
    );
    this.seq = seq;
  }
}
