/**
 * The JSON-RPC server: HTTP POST `/` (single and batch), CometBFT's URI form
 * (`GET /block?height=5`), `GET /` listing the methods, and JSON-RPC over WebSocket at
 * `/websocket` with subscriptions. Every limit is an option with a safe default; every
 * refusal is an explicit JSON-RPC error or WebSocket close code with a reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import {
  errorResponse,
  invalidRequest,
  type JsonRpcErrorObject,
  type JsonRpcId,
  RpcCode,
  rateLimited,
  successResponse,
  tooLarge,
  toRpcError,
} from "./errors.js";
import { callCount, Dispatcher, parseBody, parseErrorResponse } from "./jsonrpc.js";
import type { Logger } from "./logger.js";
import type { RpcMetrics } from "./metrics.js";
import { RateLimiter, type RateLimitOptions } from "./ratelimit.js";
import type { RouteContext, Router, WsConnection } from "./routes.js";
import {
  CloseCode,
  type ReplaySource,
  registerSubscriptionRoutes,
  SubscriptionHub,
} from "./subscriptions.js";

export interface RpcServerOptions {
  /** Interface to bind; loopback unless the operator says otherwise. */
  host: string;
  /** 0 picks a free port (tests); see `address()`. */
  port: number;
  /** Largest HTTP body; larger gets HTTP 413 and the connection is closed. */
  maxBodyBytes: number;
  /** Longest batch (HTTP or WebSocket); longer gets one -32600 error. */
  maxBatch: number;
  /** Open TCP connections (HTTP keep-alive and WebSocket together). */
  maxConnections: number;
  /** Largest WebSocket message from a client; larger closes with 1009. */
  maxWsMessageBytes: number;
  /** Bytes queued to one WebSocket client before it is closed as too slow (4001). */
  wsOutboundBufferBytes: number;
  /** Requests of one WebSocket client waiting to be handled before it is closed (1008). */
  wsMaxPendingRequests: number;
  /** Ping period; a client that has not answered the previous ping is terminated. */
  pingIntervalMs: number;
  /** How long a client closed by a limit has to read the close frame before termination. */
  closeGraceMs: number;
  /** Subscriptions per WebSocket connection. */
  maxSubscriptionsPerClient: number;
  /** Live events buffered per subscription while a resumption replay runs. */
  maxPendingEvents: number;
  /** Per-address token bucket; null disables. */
  rateLimit: RateLimitOptions | null;
  /** Origins allowed by CORS ("*" for any); empty: no CORS headers at all. */
  corsOrigins: readonly string[];
  /** A handler running longer answers -32603 "call timed out". */
  callTimeoutMs: number;
  /** Whole-request deadline (headers and body), against slow-loris clients. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_RPC_OPTIONS: RpcServerOptions = {
  host: "127.0.0.1",
  port: 26657,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
  maxConnections: 512,
  maxWsMessageBytes: 1024 * 1024,
  wsOutboundBufferBytes: 8 * 1024 * 1024,
  wsMaxPendingRequests: 64,
  pingIntervalMs: 20_000,
  closeGraceMs: 5_000,
  maxSubscriptionsPerClient: 10,
  maxPendingEvents: 10_000,
  rateLimit: { perSecond: 200, burst: 400, exempt: ["127.0.0.1", "::1", "::ffff:127.0.0.1"] },
  corsOrigins: [],
  callTimeoutMs: 60_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

export interface RpcServerDeps {
  logger: Logger;
  router: Router;
  metrics?: RpcMetrics;
  /** History for subscription resumption (`subscribe {topic, from}`). */
  replay?: ReplaySource;
  /**
   * When given, `GET /metrics` serves its text (Prometheus exposition format), e.g.
   * `() => registry.metrics()`, so one port serves RPC and metrics.
   */
  metricsText?: () => Promise<string>;
}

/** Replaces bigint by its decimal string: amounts are bigint inside, strings on the wire. */
function replacer(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

function json(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** URI-form id, as CometBFT (JSONRPCIntID(-1)). */
const URI_ID = -1;

class WsSession implements WsConnection {
  open = true;
  alive = true;
  pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly limits: { outbound: number; graceMs: number },
    private readonly onLimited: (what: string) => void,
  ) {}

  send(message: unknown): boolean {
    if (!this.open || this.ws.readyState !== WebSocket.OPEN) return false;
    const text = json(message);
    if (this.ws.bufferedAmount + text.length > this.limits.outbound) {
      this.onLimited("slow");
      this.close(
        CloseCode.SLOW_CONSUMER,
        `slow consumer: outbound buffer over ${this.limits.outbound} bytes`,
      );
      return false;
    }
    this.ws.send(text);
    return true;
  }

  async drained(): Promise<void> {
    const low = this.limits.outbound / 4;
    while (this.open && this.ws.bufferedAmount > low) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    // The reason of a close frame is at most 123 bytes.
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    // A client that does not read cannot complete the closing handshake: cut it after a grace.
    this.killTimer = setTimeout(() => this.ws.terminate(), this.limits.graceMs);
    this.killTimer.unref();
  }

  enqueue(task: () => Promise<void>): void {
    this.pending += 1;
    this.chain = this.chain.then(task).finally(() => {
      this.pending -= 1;
    });
  }

  closed(): void {
    this.open = false;
    if (this.killTimer) clearTimeout(this.killTimer);
  }
}

export class RpcServer {
  readonly opts: RpcServerOptions;
  readonly hub: SubscriptionHub;
  private readonly dispatcher: Dispatcher;
  private readonly limiter: RateLimiter | null;
  private readonly log: Logger;
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<Socket>();
  /** Connections refused by maxConnections: whatever they send is never handled. */
  private readonly refused = new WeakSet<Socket>();
  private readonly sessions = new Set<WsSession>();
  private pingTimer: NodeJS.Timeout | undefined;
  private nextConn = 1;

  constructor(
    opts: Partial<RpcServerOptions>,
    private readonly deps: RpcServerDeps,
  ) {
    this.opts = { ...DEFAULT_RPC_OPTIONS, ...opts };
    this.log = deps.logger;
    this.limiter = this.opts.rateLimit ? new RateLimiter(this.opts.rateLimit) : null;
    this.hub = new SubscriptionHub(
      {
        maxSubscriptionsPerClient: this.opts.maxSubscriptionsPerClient,
        maxPendingEvents: this.opts.maxPendingEvents,
      },
      { logger: deps.logger, source: deps.replay, metrics: deps.metrics },
    );
    if (!deps.router.has("subscribe")) registerSubscriptionRoutes(deps.router, this.hub);
    this.dispatcher = new Dispatcher(
      deps.router,
      { maxBatch: this.opts.maxBatch, callTimeoutMs: this.opts.callTimeoutMs },
      { logger: deps.logger, metrics: deps.metrics },
    );
  }

  async start(): Promise<void> {
    if (this.http || this.wss) throw new Error("RpcServer already started");
    const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
      this.onRequest(req, res).catch((e) => {
        // onRequest answers every error itself; this is the last guard against a crash.
        this.log.error({ err: e }, "rpc request failed");
        if (!res.headersSent) this.writeJson(res, 500, errorResponse(null, toRpcError(e).error));
        else res.destroy();
      });
    });
    server.requestTimeout = this.opts.requestTimeoutMs;
    server.headersTimeout = Math.min(this.opts.requestTimeoutMs, 20_000);
    server.keepAliveTimeout = this.opts.keepAliveTimeoutMs;
    server.on("connection", (socket: Socket) => this.onConnection(socket));
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
      this.log.debug({ err: err.message, code: err.code }, "bad http request");
      if (socket.writable && err.code !== "ECONNRESET") {
        const body = json(errorResponse(null, toRpcError(invalidRequest("malformed HTTP")).error));
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroySoon();
    });
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.opts.maxWsMessageBytes,
      perMessageDeflate: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.opts.port, this.opts.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (e) {
      this.wss.close();
      this.wss = undefined;
      throw e;
    }
    this.http = server;
    this.pingTimer = setInterval(() => this.heartbeat(), this.opts.pingIntervalMs);
    this.pingTimer.unref();
    const a = this.address();
    this.log.info({ host: a.host, port: a.port }, "rpc listening");
  }

  /** The bound address (after start). */
  address(): { host: string; port: number } {
    const a = this.http?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error("RpcServer not started");
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const server = this.http;
    if (!server) return;
    this.http = undefined;
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const s of this.sessions) s.close(CloseCode.GOING_AWAY, "server shutting down");
    // Give clients a moment to receive the close frame, then cut whatever remains.
    const deadline = Date.now() + 500;
    while (this.sessions.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const s of this.sessions) s.ws.terminate();
    this.wss?.close();
    this.wss = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    this.log.info({}, "rpc stopped");
  }

  // --- connections -------------------------------------------------------------------

  private onConnection(socket: Socket): void {
    if (this.sockets.size >= this.opts.maxConnections) {
      this.deps.metrics?.limited("connections");
      const body = json(
        errorResponse(
          null,
          tooLargeObject(`too many connections: the server accepts ${this.opts.maxConnections}`),
        ),
      );
      // Answer in plain HTTP so that a client sees why, then close. Node's HTTP parser is
      // already attached to the socket: `refused` keeps a request that slips through from
      // ever reaching a handler.
      this.refused.add(socket);
      socket.on("error", () => {});
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    this.sockets.add(socket);
    this.deps.metrics?.connections(this.sockets.size);
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.deps.metrics?.connections(this.sockets.size);
    });
  }

  private allowed(remote: string, cost: number): boolean {
    if (!this.limiter || this.limiter.take(remote, cost)) return true;
    this.deps.metrics?.limited("rate");
    return false;
  }

  // --- HTTP --------------------------------------------------------------------------

  private corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    const allow = this.opts.corsOrigins;
    if (!origin || allow.length === 0) return {};
    if (!allow.includes("*") && !allow.includes(origin)) return {};
    return {
      "Access-Control-Allow-Origin": allow.includes("*") ? "*" : origin,
      Vary: "Origin",
    };
  }

  private writeJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = json(body);
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.refused.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    const remote = req.socket.remoteAddress ?? "unknown";
    const cors = this.corsHeaders(req);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      this.writeJson(res, 400, errorResponse(null, toRpcError(invalidRequest("bad URL")).error));
      return;
    }
    if (req.method === "OPTIONS") {
      if (Object.keys(cors).length === 0) {
        res.writeHead(405, { "Content-Length": 0 }).end();
        return;
      }
      res
        .writeHead(204, {
          ...cors,
          "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
          "Access-Control-Allow-Headers": "Content-Type",
          "Access-Control-Max-Age": "600",
          "Content-Length": 0,
        })
        .end();
      return;
    }
    if (req.method === "POST") {
      await this.onPost(req, res, url, remote, cors);
      return;
    }
    if (req.method === "GET" || req.method === "HEAD") {
      await this.onGet(req, res, url, remote, cors);
      return;
    }
    this.writeJson(
      res,
      405,
      errorResponse(
        null,
        toRpcError(invalidRequest(`HTTP method ${req.method} not allowed`)).error,
      ),
      { Allow: "GET, POST, OPTIONS", ...cors },
    );
  }

  /** Reads the body up to the limit; null after answering 413 itself. */
  private readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    const max = this.opts.maxBodyBytes;
    const refuse = (): null => {
      this.deps.metrics?.limited("body");
      // Close after answering: the rest of the body is not worth reading. Draining what is
      // already in flight lets the client see the 413 instead of a reset.
      res.shouldKeepAlive = false;
      this.writeJson(
        res,
        413,
        errorResponse(null, tooLargeObject(`request body over ${max} bytes`)),
        { Connection: "close" },
      );
      req.resume();
      setTimeout(() => req.socket.destroy(), this.opts.closeGraceMs).unref();
      return null;
    };
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > max) return Promise.resolve(refuse());
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > max) {
          done = true;
          req.off("data", onData);
          resolve(refuse());
          return;
        }
        chunks.push(c);
      };
      req.on("data", onData);
      req.on("end", () => {
        if (!done) resolve(Buffer.concat(chunks));
      });
      req.on("error", () => {
        if (!done) resolve(null);
        done = true;
      });
    });
  }

  private async onPost(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    remote: string,
    cors: Record<string, string>,
  ): Promise<void> {
    const body = await this.readBody(req, res);
    if (body === null) return;
    if (url.pathname !== "/") {
      this.writeJson(
        res,
        404,
        errorResponse(null, toRpcError(invalidRequest(`path ${url.pathname} is not /`)).error),
        cors,
      );
      return;
    }
    const parsed = parseBody(body.toString("utf8"));
    if (!parsed.ok) {
      this.deps.metrics?.request("invalid", String(RpcCode.PARSE_ERROR));
      this.writeJson(res, 200, parseErrorResponse(), cors);
      return;
    }
    if (!this.allowed(remote, callCount(parsed.value))) {
      this.writeJson(res, 429, errorResponse(singleId(parsed.value), rateLimitedObject()), cors);
      return;
    }
    const out = await this.dispatcher.dispatch(parsed.value, {
      transport: "http",
      remoteAddress: remote,
    });
    if (out.body === undefined) {
      res.writeHead(204, cors).end();
    } else {
      this.writeJson(res, 200, out.body, cors);
    }
    for (const fn of out.after) fn();
  }

  private async onGet(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    remote: string,
    cors: Record<string, string>,
  ): Promise<void> {
    // A GET has no business sending a body; do not buffer one.
    req.resume();
    const path = url.pathname;
    if (path === "/") {
      this.writeJson(res, 200, successResponse(URI_ID, { methods: this.deps.router.list() }), cors);
      return;
    }
    if (path === "/metrics" && this.deps.metricsText) {
      let text: string;
      try {
        text = await this.deps.metricsText();
      } catch (e) {
        this.log.error({ err: e }, "metrics failed");
        res.writeHead(500, { "Content-Length": 0 }).end();
        return;
      }
      res.writeHead(200, {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    if (path === "/websocket") {
      this.writeJson(
        res,
        400,
        errorResponse(URI_ID, toRpcError(invalidRequest("use a WebSocket upgrade")).error),
        cors,
      );
      return;
    }
    const method = path.slice(1).replace(/\/$/, "");
    if (!this.allowed(remote, 1)) {
      this.writeJson(res, 429, errorResponse(URI_ID, rateLimitedObject()), cors);
      return;
    }
    const ctx: RouteContext = {
      transport: "uri",
      remoteAddress: remote,
      requestId: URI_ID,
      afterResponse: () => {},
    };
    try {
      const result = await this.dispatcher.withTimeout(
        this.deps.router.callUri(method, url.searchParams, ctx),
      );
      this.deps.metrics?.request(method, "ok");
      this.writeJson(res, 200, successResponse(URI_ID, result === undefined ? null : result), cors);
    } catch (e) {
      const mapped = toRpcError(e);
      this.deps.metrics?.request(
        this.deps.router.has(method) ? method : "unknown",
        String(mapped.error.code),
      );
      if (mapped.internal) this.log.error({ err: e, method }, "rpc handler failed");
      this.writeJson(res, uriStatus(mapped.error), errorResponse(URI_ID, mapped.error), cors);
    }
  }

  // --- WebSocket ---------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on("error", () => {});
    if (this.refused.has(socket)) {
      socket.destroy();
      return;
    }
    const refuse = (status: string, why: string) => {
      const body = json(errorResponse(null, toRpcError(invalidRequest(why)).error));
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    let path = "";
    try {
      path = new URL(req.url ?? "/", "http://localhost").pathname;
    } catch {}
    if (path !== "/websocket") {
      refuse("404 Not Found", "WebSocket endpoint is /websocket");
      return;
    }
    const origin = req.headers.origin;
    const allow = this.opts.corsOrigins;
    if (origin && allow.length > 0 && !allow.includes("*") && !allow.includes(origin)) {
      refuse("403 Forbidden", `origin ${origin} not allowed`);
      return;
    }
    const remote = socket.remoteAddress ?? "unknown";
    if (!this.allowed(remote, 1)) {
      const body = json(errorResponse(null, rateLimitedObject()));
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const wss = this.wss;
    if (!wss || !this.http) {
      refuse("503 Service Unavailable", "server stopping");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws, remote));
  }

  private onWebSocket(ws: WebSocket, remote: string): void {
    const session = new WsSession(
      `c${this.nextConn++}`,
      ws,
      remote,
      { outbound: this.opts.wsOutboundBufferBytes, graceMs: this.opts.closeGraceMs },
      (what) => this.deps.metrics?.limited(what),
    );
    this.sessions.add(session);
    this.log.debug({ conn: session.id, remote }, "websocket open");
    ws.on("pong", () => {
      session.alive = true;
    });
    ws.on("error", (err) => {
      // The ws library closes the socket itself (1009 for an oversize message, 1002 …).
      this.log.debug({ conn: session.id, err: err.message }, "websocket error");
    });
    ws.on("close", (code) => {
      session.closed();
      this.sessions.delete(session);
      this.hub.unsubscribeAll(session);
      this.log.debug({ conn: session.id, code }, "websocket closed");
    });
    ws.on("message", (data: RawData) => {
      session.alive = true;
      if (!session.open) return;
      if (session.pending >= this.opts.wsMaxPendingRequests) {
        this.deps.metrics?.limited("pending");
        session.close(
          CloseCode.POLICY,
          `too many pending requests: at most ${this.opts.wsMaxPendingRequests}`,
        );
        return;
      }
      const text = rawToString(data);
      session.enqueue(() => this.onWsMessage(session, text));
    });
  }

  private async onWsMessage(session: WsSession, text: string): Promise<void> {
    try {
      const parsed = parseBody(text);
      if (!parsed.ok) {
        session.send(parseErrorResponse());
        return;
      }
      if (!this.allowed(session.remoteAddress, callCount(parsed.value))) {
        session.send(errorResponse(singleId(parsed.value), rateLimitedObject()));
        return;
      }
      const out = await this.dispatcher.dispatch(parsed.value, {
        transport: "ws",
        remoteAddress: session.remoteAddress,
        ws: session,
      });
      if (out.body !== undefined) session.send(out.body);
      for (const fn of out.after) fn();
    } catch (e) {
      // Dispatch maps handler errors itself; this is a guard for the transport code.
      this.log.error({ err: e, conn: session.id }, "websocket message failed");
      session.send(errorResponse(null, toRpcError(e).error));
    }
  }

  private heartbeat(): void {
    for (const s of this.sessions) {
      if (!s.alive) {
        this.log.debug({ conn: s.id }, "websocket missed a pong: terminating");
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      try {
        s.ws.ping();
      } catch {
        s.ws.terminate();
      }
    }
    this.limiter?.sweep();
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** The id to echo in a whole-body refusal: that of a lone request, else null. */
function singleId(value: unknown): JsonRpcId {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id))) {
      return id;
    }
  }
  return null;
}

function rateLimitedObject(): JsonRpcErrorObject {
  return toRpcError(rateLimited()).error;
}

function tooLargeObject(why: string): JsonRpcErrorObject {
  return toRpcError(tooLarge(why)).error;
}

/** HTTP status of a URI-form error (POST answers 200 with the error in the body). */
function uriStatus(e: JsonRpcErrorObject): number {
  switch (e.code) {
    case RpcCode.METHOD_NOT_FOUND:
      return 404;
    case RpcCode.INTERNAL_ERROR:
      return 500;
    case 501: // RATE_LIMITED
      return 429;
    case 502: // TOO_LARGE
      return 413;
    default:
      return 400;
  }
}
