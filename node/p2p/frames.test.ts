import { describe, expect, it } from "vitest";
import { encodeFrame, FrameError, FrameReader } from "./frames.js";

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

describe("length-prefixed frames", () => {
  it("reads frames split across and merged within chunks", async () => {
    const all = new Uint8Array([
      ...encodeFrame(bytes(1, 2, 3)),
      ...encodeFrame(bytes()),
      ...encodeFrame(bytes(9)),
    ]);
    // every split point, byte by byte and in two pieces
    for (let cut = 0; cut <= all.length; cut++) {
      const r = new FrameReader(chunks(all.subarray(0, cut), all.subarray(cut)));
      expect(await r.next(16)).toEqual(bytes(1, 2, 3));
      expect(await r.next(16)).toEqual(bytes());
      expect(await r.next(16)).toEqual(bytes(9));
      expect(await r.next(16)).toBeNull();
    }
    const single = new FrameReader(chunks(...Array.from(all, (b) => bytes(b))));
    expect(await single.next(16)).toEqual(bytes(1, 2, 3));
    expect(single.bytesRead).toBe(7);
  });

  it("refuses an oversize frame from its prefix alone", async () => {
    const prefix = bytes(0x7f, 0xff, 0xff, 0xff); // announces 2 GiB, sends nothing more
    const r = new FrameReader(chunks(prefix));
    const err = await r.next(1024).catch((e) => e);
    expect(err).toBeInstanceOf(FrameError);
    expect(err.code).toBe("oversize");
    expect(r.bytesRead).toBe(4);
  });

  it("reports a stream that ends inside a frame", async () => {
    for (const cut of [1, 3, 5]) {
      const r = new FrameReader(chunks(encodeFrame(bytes(1, 2, 3)).subarray(0, cut)));
      const err = await r.next(16).catch((e) => e);
      expect(err).toBeInstanceOf(FrameError);
      expect(err.code).toBe("truncated");
    }
  });
});
