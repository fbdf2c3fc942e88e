/**
 * Test helpers for rpc/ (imported by *.test.ts only): a server on an ephemeral loopback port
 * with a silent logger, raw HTTP calls, and a small WebSocket client that collects messages.
 */
import { request as httpRequest } from "node:http";
import WebSocket from "ws";
import { silentLogger } from "./logger.js";
import type { Router } from "./routes.js";
import { RpcServer, type RpcServerDeps, type RpcServerOptions } from "./server.js";

export interface Running {
  server: RpcServer;
  port: number;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export async function startServer(
  router: Router,
  opts: Partial<RpcServerOptions> = {},
  deps: Partial<RpcServerDeps> = {},
): Promise<Running> {
  const server = new RpcServer({ port: 0, ...opts }, { logger: silentLogger, ...deps, router });
  await server.start();
  const { port } = server.address();
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/websocket`,
    stop: () => server.stop(),
  };
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

/** One HTTP exchange on a fresh connection (no keep-alive pooling surprises in tests). */
export function http(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(body !== undefined
            ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function post(port: number, body: unknown): Promise<HttpReply> {
  return http(port, "POST", "/", typeof body === "string" ? body : JSON.stringify(body));
}

export class WsClient {
  readonly messages: unknown[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  closeReason = "";
  private nextId = 1;
  readonly closed: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => {
      this.messages.push(JSON.parse(d.toString()));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve();
      });
    });
    ws.on("error", () => {});
  }

  static async connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const ws = new WebSocket(url, opts);
    const c = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds on the collected messages (or the socket closes). */
  async until(pred: (msgs: unknown[]) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (this.closeCode !== undefined)
        throw new Error(`closed ${this.closeCode} ${this.closeReason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; got ${JSON.stringify(this.messages).slice(0, 500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** Sends a request and resolves with the response carrying its id. */
  async call(
    method: string,
    params?: unknown,
  ): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
    // String ids, so that they never collide with numeric ids a test sends raw.
    const id = `t${this.nextId++}`;
    this.ws.send(
      JSON.stringify({ jsonrpc: "2.0", id, method, ...(params !== undefined ? { params } : {}) }),
    );
    const find = () =>
      this.messages.find(
        (m) =>
          (m as { id?: unknown }).id === id &&
          ("result" in (m as object) || "error" in (m as object)),
      );
    await this.until(() => find() !== undefined);
    return find() as { result?: unknown; error?: { code: number; message: string } };
  }

  notifications(): {
    subscription: string;
    topic: string;
    seq: number;
    height: number;
    data: unknown;
  }[] {
    return this.messages
      .filter((m) => (m as { method?: string }).method === "subscription")
      .map((m) => (m as { params: never }).params);
  }

  close(): void {
    this.ws.terminate();
  }
}
