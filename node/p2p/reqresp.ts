/**
 * Request-response protocols over libp2p streams.
 *
 * One stream carries one request: the client sends one frame (canonical CBOR request) and
 * closes its write side; the server answers with zero or more response frames and closes.
 * Each response frame is canonical CBOR, either `[0, item]` (opaque bytes: a block+commit
 * record, a transaction, an encoded status) or `[1, code, message]` (an error, last frame).
 * A clean end of stream ends the response; a reset or a truncated frame is an error.
 *
 * Every read is bounded (frame size, item count, total bytes) and every exchange has a
 * deadline; a peer that sends malformed or oversize frames is reported to `penalize`.
 */
import type { Stream } from "@libp2p/interface";
import { decode, encode } from "../../lib/cbor.js";
import * as s from "../../lib/schema.js";
import { FrameError, FrameReader, writeFrame } from "./frames.js";
import type { ProtocolKind } from "./topics.js";
import { KiB, MiB } from "./topics.js";

/** Error codes a server puts in `[1, code, message]`. */
export const RemoteErrorCode = {
  BAD_REQUEST: 1,
  BUSY: 2,
  UNAVAILABLE: 3,
  INTERNAL: 4,
} as const;
export type RemoteErrorCode = (typeof RemoteErrorCode)[keyof typeof RemoteErrorCode];

export type RequestErrorCode =
  | "timeout" // no complete answer before the deadline
  | "remote" // the server answered with an error frame (see `remoteCode`)
  | "protocol" // the server broke the protocol: malformed, oversize or too many frames
  | "busy" // this node already has the maximum requests in flight to that peer
  | "unreachable" // no stream could be opened (not connected, protocol not supported)
  | "closed"; // the host is stopped

export class P2PRequestError extends Error {
  readonly code: RequestErrorCode;
  readonly remoteCode?: number;
  constructor(code: RequestErrorCode, message: string, remoteCode?: number) {
    super(message);
    this.name = "P2PRequestError";
    this.code = code;
    if (remoteCode !== undefined) this.remoteCode = remoteCode;
  }
}

/** Limits of the request-response protocols. Both sides enforce them. */
export interface ReqRespLimits {
  /** Blocks per sync request (and items per sync response). */
  maxBlocksPerRequest: number;
  /** One `block+commit` record. */
  maxBlockBytes: number;
  /** All records of one sync response. */
  maxSyncResponseBytes: number;
  /** Hashes per txs request. */
  maxTxHashesPerRequest: number;
  /** One transaction. */
  maxTxBytes: number;
  /** All transactions of one txs response. */
  maxTxsResponseBytes: number;
  /** Deadline of one exchange (open stream, request, whole response), per protocol. */
  timeoutMs: Record<ProtocolKind, number>;
  /** Requests served at once to one peer, per protocol; more get a BUSY error. */
  maxInboundPerPeer: Record<ProtocolKind, number>;
  /** Requests in flight to one peer, per protocol; more fail locally with "busy". */
  maxOutboundPerPeer: Record<ProtocolKind, number>;
}

export const DEFAULT_REQRESP_LIMITS: ReqRespLimits = {
  maxBlocksPerRequest: 64,
  maxBlockBytes: 8 * MiB, // a 4 MiB proposal's block plus its commit, with room to spare
  maxSyncResponseBytes: 64 * MiB,
  maxTxHashesPerRequest: 10_000,
  maxTxBytes: 1 * MiB,
  maxTxsResponseBytes: 32 * MiB,
  timeoutMs: { sync: 20_000, txs: 5_000, status: 5_000 },
  maxInboundPerPeer: { sync: 2, txs: 4, status: 2 },
  maxOutboundPerPeer: { sync: 2, txs: 4, status: 2 },
};

// ---- wire schemas --------------------------------------------------------------------------

export const TX_HASH_BYTES = 32;
const MAX_STATUS_BYTES = 1 * KiB;

export function syncRequestSchema(limits: ReqRespLimits) {
  return s.object({
    fromHeight: s.uint({ min: 1 }),
    count: s.uint({ min: 1, max: limits.maxBlocksPerRequest }),
  });
}
export type SyncRequest = { fromHeight: number; count: number };

export function txsRequestSchema(limits: ReqRespLimits) {
  return s.object({
    hashes: s.array(s.bytes({ len: TX_HASH_BYTES }), { min: 1, max: limits.maxTxHashesPerRequest }),
  });
}
export type TxsRequest = { hashes: Uint8Array[] };

export const StatusSchema = s.object({
  chainId: s.string({ min: 1, max: 64 }),
  /** Latest committed height (0 before the first block). */
  height: s.uint(),
  /** Lowest height this node can serve over sync (1 unless it prunes). */
  earliestHeight: s.uint(),
});
export type PeerStatus = s.Infer<typeof StatusSchema>;

/** Frame size bounds of requests: what the largest valid request can encode to. */
export function maxRequestBytes(kind: ProtocolKind, limits: ReqRespLimits): number {
  switch (kind) {
    case "sync":
      return 64;
    case "txs":
      // map header + key + array header + (2-byte bytes header + 32) per hash
      return 32 + limits.maxTxHashesPerRequest * (TX_HASH_BYTES + 2);
    case "status":
      return MAX_STATUS_BYTES;
  }
}

/** Frame size bound of one response frame: the item, plus its CBOR wrapping. */
export function maxResponseFrameBytes(kind: ProtocolKind, limits: ReqRespLimits): number {
  const overhead = 16;
  switch (kind) {
    case "sync":
      return limits.maxBlockBytes + overhead;
    case "txs":
      return limits.maxTxBytes + overhead;
    case "status":
      return MAX_STATUS_BYTES + overhead;
  }
}

// ---- response frames -----------------------------------------------------------------------

const ITEM = 0;
const ERROR = 1;

export function encodeItemFrame(item: Uint8Array): Uint8Array {
  return encode([ITEM, item]);
}

export function encodeErrorFrame(code: RemoteErrorCode, message: string): Uint8Array {
  return encode([ERROR, code, message.slice(0, 200)]);
}

export type ResponseFrame =
  | { kind: "item"; item: Uint8Array }
  | { kind: "error"; code: number; message: string };

/** Decodes one response frame; throws on anything else (the caller penalizes). */
export function decodeResponseFrame(bytes: Uint8Array): ResponseFrame {
  const v = decode(bytes);
  if (Array.isArray(v)) {
    if (v.length === 2 && v[0] === ITEM && v[1] instanceof Uint8Array) {
      return { kind: "item", item: v[1] };
    }
    if (
      v.length === 3 &&
      v[0] === ERROR &&
      typeof v[1] === "number" &&
      Number.isSafeInteger(v[1]) &&
      typeof v[2] === "string"
    ) {
      return { kind: "error", code: v[1], message: v[2] };
    }
  }
  throw new TypeError("response frame: expected [0, bytes] or [1, code, message]");
}

// ---- server and client ---------------------------------------------------------------------

/** Thrown by a `handle` to answer BUSY: the peer has too many requests in flight. */
export class BusyError extends Error {}

/** What a protocol handler produces: a list, or a stream of items (sent as they come). */
export type ItemSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface ServeSpec<Req> {
  protocol: string;
  maxRequestBytes: number;
  maxItems: number;
  maxItemBytes: number;
  maxTotalBytes: number;
  timeoutMs: number;
  /** Decodes and checks a request frame; throws on a bad request. */
  decodeRequest(bytes: Uint8Array): Req;
  /** Produces the response items; throws for an internal error. */
  handle(req: Req): Promise<ItemSource> | ItemSource;
}

export interface ServeHooks {
  /** A bad request from the peer (malformed, oversize). */
  onBadRequest(reason: string): void;
  onBytes(inBytes: number, outBytes: number): void;
  onInternalError(err: unknown): void;
}

/** Answers one inbound stream according to `spec`. Never throws. */
export async function serveStream<Req>(
  stream: Stream,
  spec: ServeSpec<Req>,
  hooks: ServeHooks,
): Promise<void> {
  const deadline = new AbortController();
  const signal = deadline.signal;
  const timer = setTimeout(() => {
    deadline.abort();
    stream.abort(new Error(`${spec.protocol}: response deadline of ${spec.timeoutMs} ms passed`));
  }, spec.timeoutMs);
  const reader = new FrameReader(stream);
  let outBytes = 0;
  try {
    let req: Req;
    try {
      const frame = await reader.next(spec.maxRequestBytes);
      if (frame === null) throw new FrameError("truncated", "no request frame");
      req = spec.decodeRequest(frame);
    } catch (e) {
      if (stream.status !== "open") return; // reset or timed out: nothing to answer
      hooks.onBadRequest((e as Error).message);
      await sendError(stream, RemoteErrorCode.BAD_REQUEST, (e as Error).message, signal);
      return;
    }
    let items: ItemSource;
    try {
      items = await spec.handle(req);
    } catch (e) {
      if (e instanceof BusyError) {
        await sendError(stream, RemoteErrorCode.BUSY, "too many requests in flight", signal);
        return;
      }
      hooks.onInternalError(e);
      await sendError(stream, RemoteErrorCode.INTERNAL, "internal error", signal);
      return;
    }
    let count = 0;
    let total = 0;
    for await (const item of items) {
      // Our own limits: stop early rather than send what the client would reject.
      if (count >= spec.maxItems || item.length > spec.maxItemBytes) break;
      if (total + item.length > spec.maxTotalBytes) break;
      const frame = encodeItemFrame(item);
      await writeFrame(stream, frame, { signal });
      count++;
      total += item.length;
      outBytes += frame.length + 4;
    }
    await stream.close({ signal });
  } catch (e) {
    if (stream.status === "open") stream.abort(e as Error);
  } finally {
    clearTimeout(timer);
    hooks.onBytes(reader.bytesRead, outBytes);
  }
}

async function sendError(
  stream: Stream,
  code: RemoteErrorCode,
  message: string,
  signal: AbortSignal,
): Promise<void> {
  try {
    await writeFrame(stream, encodeErrorFrame(code, message), { signal });
    await stream.close({ signal });
  } catch (e) {
    stream.abort(e as Error);
  }
}

export interface RequestSpec {
  protocol: string;
  maxItems: number;
  maxItemFrameBytes: number;
  maxTotalBytes: number;
  timeoutMs: number;
}

export interface RequestHooks {
  /** The peer broke the protocol while answering. */
  onProtocolError(reason: string): void;
  onBytes(inBytes: number, outBytes: number): void;
}

/**
 * Sends one request on a fresh stream and collects the response items. `open` opens the
 * stream (the host dials the protocol with the deadline's signal).
 */
export async function requestItems(
  open: (signal: AbortSignal) => Promise<Stream>,
  request: Uint8Array,
  spec: RequestSpec,
  hooks: RequestHooks,
): Promise<Uint8Array[]> {
  const deadline = new AbortController();
  const signal = deadline.signal;
  let stream: Stream | undefined;
  const timer = setTimeout(() => {
    deadline.abort();
    stream?.abort(new Error(`${spec.protocol}: deadline passed`));
  }, spec.timeoutMs);
  try {
    stream = await open(signal);
  } catch (e) {
    clearTimeout(timer);
    if (signal.aborted) throw new P2PRequestError("timeout", `${spec.protocol}: open timed out`);
    throw new P2PRequestError("unreachable", `${spec.protocol}: ${(e as Error).message}`);
  }
  const reader = new FrameReader(stream);
  const items: Uint8Array[] = [];
  let total = 0;
  try {
    await writeFrame(stream, request, { signal });
    await stream.close({ signal });
    for (;;) {
      let frame: Uint8Array | null;
      try {
        frame = await reader.next(spec.maxItemFrameBytes);
      } catch (e) {
        if (e instanceof FrameError) throw protocolError(hooks, spec, e.message);
        throw e;
      }
      if (frame === null) break;
      let decoded: ResponseFrame;
      try {
        decoded = decodeResponseFrame(frame);
      } catch (e) {
        throw protocolError(hooks, spec, (e as Error).message);
      }
      if (decoded.kind === "error") {
        throw new P2PRequestError(
          "remote",
          `${spec.protocol}: peer answered ${decoded.code}: ${decoded.message}`,
          decoded.code,
        );
      }
      if (items.length >= spec.maxItems) throw protocolError(hooks, spec, "too many items");
      total += decoded.item.length;
      if (total > spec.maxTotalBytes) throw protocolError(hooks, spec, "response too large");
      items.push(decoded.item);
    }
    return items;
  } catch (e) {
    if (stream.status === "open") stream.abort(e as Error);
    if (e instanceof P2PRequestError) throw e;
    if (signal.aborted) throw new P2PRequestError("timeout", `${spec.protocol}: deadline passed`);
    throw new P2PRequestError("unreachable", `${spec.protocol}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
    hooks.onBytes(reader.bytesRead, request.length + 4);
  }
}

function protocolError(hooks: RequestHooks, spec: RequestSpec, reason: string): P2PRequestError {
  hooks.onProtocolError(reason);
  return new P2PRequestError("protocol", `${spec.protocol}: ${reason}`);
}
