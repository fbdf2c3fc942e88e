/**
 * Length-prefixed frames over a libp2p stream: a 4-byte big-endian length, then the payload.
 *
 * The length is read and checked against the caller's limit before a byte of the payload is
 * buffered, so an oversize frame costs the reader 4 bytes, not the allocation the peer asked
 * for. A fixed-width prefix (rather than a varint) has no non-minimal forms to reject.
 */
import type { AbortOptions, Stream } from "@libp2p/interface";

export type FrameErrorCode = "oversize" | "truncated";

export class FrameError extends Error {
  readonly code: FrameErrorCode;
  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
}

const PREFIX_BYTES = 4;
export const MAX_FRAME_BYTES = 0xffff_ffff;

/** The frame (prefix + payload) for one payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_BYTES) throw new RangeError("frame payload too large");
  const out = new Uint8Array(PREFIX_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, PREFIX_BYTES);
  return out;
}

/** Sends one frame, waiting for the stream to drain when its write buffer is full. */
export async function writeFrame(
  stream: Stream,
  payload: Uint8Array,
  options?: AbortOptions,
): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain(options);
}

/** Chunks as libp2p streams yield them: Uint8Array or Uint8ArrayList (both have subarray()). */
type Chunk = { subarray(): Uint8Array; byteLength: number };

/** Reads frames from a byte stream, buffering only what the current frame needs. */
export class FrameReader {
  private readonly source: AsyncIterator<Chunk>;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes consumed so far (prefixes included), for metrics. */
  bytesRead = 0;

  constructor(source: AsyncIterable<Chunk>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /**
   * The next frame's payload, or null when the stream ended cleanly between frames. Throws
   * FrameError "oversize" when the announced length exceeds `maxBytes`, "truncated" when the
   * stream ends inside a frame.
   */
  async next(maxBytes: number): Promise<Uint8Array | null> {
    if (!(await this.fill(PREFIX_BYTES))) {
      if (this.buffered === 0) return null;
      throw new FrameError("truncated", "stream ended inside a frame length");
    }
    const prefix = this.take(PREFIX_BYTES);
    const length = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getUint32(0);
    if (length > maxBytes) {
      throw new FrameError("oversize", `frame of ${length} bytes exceeds the limit of ${maxBytes}`);
    }
    if (!(await this.fill(length))) {
      throw new FrameError("truncated", `stream ended inside a frame of ${length} bytes`);
    }
    return this.take(length);
  }

  /** Stops reading; the underlying iterator is released. */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      const r = await this.source.next();
      if (r.done) return false;
      const bytes = r.value.subarray();
      if (bytes.length === 0) continue;
      this.chunks.push(bytes);
      this.buffered += bytes.length;
      this.bytesRead += bytes.length;
    }
    return true;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
