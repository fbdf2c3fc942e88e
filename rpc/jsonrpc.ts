/**
 * JSON-RPC 2.0 envelope handling, shared by the HTTP and WebSocket transports: request
 * validation, batches, notifications, error mapping. Handlers never see a malformed
 * envelope and nothing a handler throws escapes this file.
 */
import {
  errorResponse,
  invalidRequest,
  type JsonRpcId,
  type JsonRpcResponse,
  parseError,
  RpcCode,
  RpcError,
  successResponse,
  toRpcError,
} from "./errors.js";
import type { Logger } from "./logger.js";
import type { RpcMetrics } from "./metrics.js";
import type { RouteContext, Router, WsConnection } from "./routes.js";

export interface DispatchOptions {
  /** Longest accepted batch; longer batches get one -32600 error. */
  maxBatch: number;
  /** A handler still running after this answers -32603 "timed out" (it is not cancelled). */
  callTimeoutMs: number;
}

export interface CallerInfo {
  readonly transport: "http" | "ws";
  readonly remoteAddress: string;
  readonly ws?: WsConnection;
}

export interface DispatchResult {
  /** undefined: nothing to send (a notification, or a batch of only notifications). */
  readonly body: JsonRpcResponse | JsonRpcResponse[] | undefined;
  /** To run once `body` has been written. */
  readonly after: (() => void)[];
}

/** Parses a body; a parse failure is a complete response on its own. */
export function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function parseErrorResponse(): JsonRpcResponse {
  return errorResponse(null, toRpcError(parseError("invalid JSON")).error);
}

/** How many calls a parsed body holds (for rate limiting before any work is done). */
export function callCount(value: unknown): number {
  return Array.isArray(value) ? Math.max(1, value.length) : 1;
}

interface ValidRequest {
  readonly id: JsonRpcId;
  readonly notification: boolean;
  readonly method: string;
  readonly params: unknown;
}

function isId(v: unknown): v is JsonRpcId {
  return v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/** Validates one request object; returns the error response when it is not one. */
function validate(v: unknown): ValidRequest | JsonRpcResponse {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return errorResponse(null, toRpcError(invalidRequest("expected a request object")).error);
  }
  const o = v as Record<string, unknown>;
  const hasId = Object.hasOwn(o, "id");
  // An id of a wrong type cannot be echoed: the spec says reply with id null.
  const id: JsonRpcId = hasId && isId(o.id) ? o.id : null;
  const fail = (why: string) => errorResponse(id, toRpcError(invalidRequest(why)).error);
  if (hasId && !isId(o.id)) return fail("id must be a string, a number or null");
  if (o.jsonrpc !== "2.0") return fail('jsonrpc must be exactly "2.0"');
  if (typeof o.method !== "string" || o.method.length === 0) {
    return fail("method must be a non-empty string");
  }
  if (o.method.length > 128) return fail("method name too long");
  const params = o.params;
  // null is tolerated (older CometBFT clients send it); any other scalar is not params.
  if (params !== undefined && params !== null && typeof params !== "object") {
    return fail("params must be an array or an object");
  }
  return { id, notification: !hasId, method: o.method, params };
}

export class Dispatcher {
  constructor(
    private readonly router: Router,
    private readonly opts: DispatchOptions,
    private readonly deps: { logger: Logger; metrics?: RpcMetrics },
  ) {}

  async withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RpcError(RpcCode.INTERNAL_ERROR, "Internal error: call timed out")),
        this.opts.callTimeoutMs,
      );
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Handles an already-parsed JSON body: one request or a batch. */
  async dispatch(value: unknown, caller: CallerInfo): Promise<DispatchResult> {
    const after: (() => void)[] = [];
    if (Array.isArray(value)) {
      if (value.length === 0) {
        return {
          body: errorResponse(null, toRpcError(invalidRequest("empty batch")).error),
          after,
        };
      }
      if (value.length > this.opts.maxBatch) {
        this.deps.metrics?.request("batch", "too_long");
        const why = `batch of ${value.length} requests exceeds the limit of ${this.opts.maxBatch}`;
        return { body: errorResponse(null, toRpcError(invalidRequest(why)).error), after };
      }
      const out: JsonRpcResponse[] = [];
      // In order, one at a time: a batch like [broadcast, query] sees its own effects.
      for (const item of value) {
        const r = await this.one(item, caller, after);
        if (r) out.push(r);
      }
      return { body: out.length > 0 ? out : undefined, after };
    }
    return { body: await this.one(value, caller, after), after };
  }

  private async one(
    item: unknown,
    caller: CallerInfo,
    after: (() => void)[],
  ): Promise<JsonRpcResponse | undefined> {
    const req = validate(item);
    if ("jsonrpc" in req) {
      this.deps.metrics?.request("invalid", String(req.error?.code));
      return req;
    }
    const ctx: RouteContext = {
      transport: caller.transport,
      remoteAddress: caller.remoteAddress,
      requestId: req.id,
      ws: caller.ws,
      afterResponse: (fn) => {
        after.push(fn);
      },
    };
    const metricMethod = this.router.has(req.method) ? req.method : "unknown";
    try {
      const result = await this.withTimeout(this.router.call(req.method, req.params, ctx));
      this.deps.metrics?.request(metricMethod, "ok");
      if (req.notification) return undefined;
      // JSON has no undefined: a handler returning nothing answers null.
      return successResponse(req.id, result === undefined ? null : result);
    } catch (e) {
      const mapped = toRpcError(e);
      this.deps.metrics?.request(metricMethod, String(mapped.error.code));
      if (mapped.internal) {
        this.deps.logger.error({ err: e, method: req.method }, "rpc handler failed");
      }
      if (req.notification) return undefined;
      return errorResponse(req.id, mapped.error);
    }
  }
}
