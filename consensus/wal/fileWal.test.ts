import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NIL, VoteType } from "../types/vote.js";
import { crc32 } from "./crc32.js";
import { FileWal, scanWal } from "./fileWal.js";
import type { WalRecord } from "./record.js";

const dir = mkdtempSync(join(tmpdir(), "perpetua-wal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VOTE: WalRecord = {
  kind: "own",
  msg: {
    type: "vote",
    vote: {
      type: VoteType.Prevote,
      height: 5,
      round: 1,
      blockHash: NIL,
      timestampMs: 123,
      validatorIndex: 2,
      validatorAddress: new Uint8Array(20).fill(1),
      signature: new Uint8Array(64).fill(2),
      extension: new Uint8Array(0),
      extensionSignature: new Uint8Array(0),
    },
  },
};

/** CRC-32 a byte at a time from the reflected table: the reference zlib's is held to. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32Reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

describe("FileWal", () => {
  it("crc32 (zlib) equals the byte-at-a-time reference, at lengths 0 to 4096", () => {
    let seed = 7;
    for (let n = 0; n <= 4096; n += n < 64 ? 1 : 97) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        data[i] = seed >>> 24;
      }
      expect(crc32(data)).toBe(crc32Reference(data));
      expect(crc32(data.subarray(n >> 1))).toBe(crc32Reference(data.subarray(n >> 1)));
    }
  });

  it("crc32 matches the standard check value", () => {
    expect(crc32Reference(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("replays the records after the last end-of-height marker", async () => {
    const path = join(dir, "wal-a");
    const w = new FileWal(path);
    await w.append({ kind: "timeout", height: 4, round: 0, step: "propose" });
    await w.appendSync({ kind: "endHeight", height: 4 });
    await w.append({ kind: "timeout", height: 5, round: 0, step: "commit" });
    await w.appendSync(VOTE);
    w.close();
    const r = new FileWal(path).replay();
    expect(r.tornTail).toBeNull();
    expect(r.records).toEqual([
      { kind: "endHeight", height: 4 },
      { kind: "timeout", height: 5, round: 0, step: "commit" },
      VOTE,
    ]);
  });

  it("detects and cuts a torn tail, then appends after the last good record", async () => {
    const path = join(dir, "wal-b");
    const w = new FileWal(path);
    await w.appendSync({ kind: "endHeight", height: 1 });
    await w.appendSync(VOTE);
    w.close();
    const full = readFileSync(path).length;
    truncateSync(path, full - 5); // the process died in the middle of the last append
    const w2 = new FileWal(path);
    const r = w2.replay();
    expect(r.tornTail?.reason).toBe("torn record");
    expect(r.records).toEqual([{ kind: "endHeight", height: 1 }]);
    await w2.appendSync({ kind: "timeout", height: 2, round: 0, step: "propose" });
    w2.close();
    const r3 = new FileWal(path).replay();
    expect(r3.tornTail).toBeNull();
    expect(r3.records.length).toBe(2);
  });

  it("detects a corrupted record by its CRC", async () => {
    const path = join(dir, "wal-c");
    const w = new FileWal(path);
    await w.appendSync({ kind: "endHeight", height: 1 });
    await w.appendSync(VOTE);
    w.close();
    const data = new Uint8Array(readFileSync(path));
    data[data.length - 3] ^= 0xff;
    writeFileSync(path, data);
    const scan = scanWal(data);
    expect(scan.tornTail?.reason).toBe("CRC mismatch");
    expect(scan.records.length).toBe(1);
  });

  it("rotates at an end-of-height marker once over maxBytes", async () => {
    const path = join(dir, "wal-d");
    const w = new FileWal(path, { maxBytes: 200 });
    for (let h = 1; h <= 5; h++) {
      await w.appendSync(VOTE);
      await w.appendSync({ kind: "endHeight", height: h });
    }
    expect(w.bytes()).toBeLessThan(400);
    w.close();
    const r = new FileWal(path).replay();
    expect(r.records[0]).toEqual({ kind: "endHeight", height: 5 });
  });
});
