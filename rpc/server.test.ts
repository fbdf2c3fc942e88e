import { connect } from "node:net";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import * as s from "../lib/schema.js";
import { RpcCode } from "./errors.js";
import { promRpcMetrics } from "./metrics.js";
import { bool, bytes, height, int, optional, str } from "./params.js";
import { Router } from "./routes.js";
import { http, post, type Running, startServer, WsClient } from "./testkit.js";

function testRouter(): Router {
  const r = new Router();
  r.register("echo", {
    params: {
      height: optional(height()),
      name: optional(str({ max: 64 })),
      tx: optional(bytes({ max: 1024 })),
      prove: optional(bool()),
      count: optional(int({ max: 100 })),
    },
    handler: (p) => ({
      height: p.height ?? null,
      name: p.name ?? null,
      tx: p.tx ? Buffer.from(p.tx).toString("hex") : null,
      prove: p.prove ?? null,
      count: p.count ?? null,
    }),
  });
  r.register("need_market", {
    params: { market: str({ min: 1, max: 20, pattern: /^[A-Z]+-[A-Z]+$/, what: "a market id" }) },
    handler: (p) => p.market,
  });
  r.register("libschema", {
    params: { order: s.object({ size: s.uint({ max: 10 }) }) },
    handler: (p) => p.order.size,
  });
  r.register("app_error", {
    handler: () => {
      throw new PerpetuaError(ErrorCode.UNKNOWN_MARKET, "unknown market DOGE-USD");
    },
  });
  r.register("boom", {
    handler: () => {
      throw new Error("secret internal detail /home/x");
    },
  });
  r.register("throw_string", {
    handler: () => {
      throw "a string";
    },
  });
  r.register("async_boom", {
    handler: async () => {
      await new Promise((res) => setTimeout(res, 1));
      throw new TypeError("undefined is not a function");
    },
  });
  r.register("big", { handler: () => ({ amount: 123456789012345678901234567890n }) });
  r.register("nothing", { handler: () => undefined });
  r.register("ws_only", { ws: true, handler: () => "ws" });
  return r;
}

describe("HTTP JSON-RPC", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startServer(testRouter(), { rateLimit: null });
  });
  afterAll(() => srv.stop());

  it("answers a single request", async () => {
    const r = await post(srv.port, {
      jsonrpc: "2.0",
      id: 7,
      method: "echo",
      params: { height: "5" },
    });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: { height: 5, name: null, tx: null, prove: null, count: null },
    });
  });

  it("binds positional params in declaration order", async () => {
    const r = await post(srv.port, { jsonrpc: "2.0", id: "a", method: "echo", params: [3, "x"] });
    expect((r.json() as { result: { height: number; name: string } }).result).toMatchObject({
      height: 3,
      name: "x",
    });
  });

  it("-32700 on invalid JSON", async () => {
    const r = await post(srv.port, "{not json");
    expect(r.json()).toMatchObject({ id: null, error: { code: RpcCode.PARSE_ERROR } });
  });

  it.each([
    ["a scalar", 42],
    ["no jsonrpc", { id: 1, method: "echo" }],
    ["wrong version", { jsonrpc: "1.0", id: 1, method: "echo" }],
    ["method not a string", { jsonrpc: "2.0", id: 1, method: 5 }],
    ["params scalar", { jsonrpc: "2.0", id: 1, method: "echo", params: 3 }],
    ["bad id type", { jsonrpc: "2.0", id: { x: 1 }, method: "echo" }],
  ])("-32600 on %s", async (_name, body) => {
    const r = await post(srv.port, body);
    const j = r.json() as { error: { code: number } };
    expect(j.error.code).toBe(RpcCode.INVALID_REQUEST);
  });

  it("-32600 echoes a valid id", async () => {
    const r = await post(srv.port, { jsonrpc: "2.0", id: 9, method: 5 });
    expect(r.json()).toMatchObject({ id: 9, error: { code: RpcCode.INVALID_REQUEST } });
  });

  it("-32601 on an unknown method and on prototype names", async () => {
    for (const method of ["nope", "__proto__", "constructor", "toString"]) {
      const r = await post(srv.port, { jsonrpc: "2.0", id: 1, method });
      expect(r.json()).toMatchObject({ error: { code: RpcCode.METHOD_NOT_FOUND } });
    }
  });

  it("-32601 for WebSocket-only methods over HTTP", async () => {
    const r = await post(srv.port, {
      jsonrpc: "2.0",
      id: 1,
      method: "subscribe",
      params: { topic: "blocks" },
    });
    expect(r.json()).toMatchObject({ error: { code: RpcCode.METHOD_NOT_FOUND } });
  });

  it("-32602 names the field", async () => {
    const cases: [unknown, string][] = [
      [{ height: "abc" }, "height"],
      [{ height: 0 }, "height"],
      [{ height: 1.5 }, "height"],
      [{ name: 5 }, "name"],
      [{ tx: "***" }, "tx"],
      [{ prove: "yes" }, "prove"],
      [{ bogus: 1 }, "bogus"],
      [[1, "a", null, true, 5, 6], "params"],
    ];
    for (const [params, field] of cases) {
      const r = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo", params });
      const j = r.json() as { error: { code: number; message: string; data: string } };
      expect(j.error.code).toBe(RpcCode.INVALID_PARAMS);
      expect(j.error.message).toContain(field);
      expect(j.error.data.startsWith(field)).toBe(true);
    }
    const missing = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "need_market" });
    expect((missing.json() as { error: { message: string } }).error.message).toBe(
      "Invalid params: market: required",
    );
    const pattern = await post(srv.port, {
      jsonrpc: "2.0",
      id: 1,
      method: "need_market",
      params: { market: "btc" },
    });
    expect((pattern.json() as { error: { message: string } }).error.message).toContain(
      "market: expected a market id",
    );
  });

  it("-32602 from lib/schema schemas, with the path", async () => {
    const r = await post(srv.port, {
      jsonrpc: "2.0",
      id: 1,
      method: "libschema",
      params: { order: { size: 11 } },
    });
    expect(r.json()).toMatchObject({
      error: { code: RpcCode.INVALID_PARAMS, message: "Invalid params: order.size: must be 0..10" },
    });
  });

  it("application errors keep their stable code and readable message", async () => {
    const r = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "app_error" });
    expect(r.json()).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: 300, message: "unknown market DOGE-USD", data: "unknown_market" },
    });
  });

  it("-32603 never leaks internals, whatever is thrown", async () => {
    for (const method of ["boom", "throw_string", "async_boom"]) {
      const r = await post(srv.port, { jsonrpc: "2.0", id: 1, method });
      expect(r.json()).toEqual({
        jsonrpc: "2.0",
        id: 1,
        error: { code: RpcCode.INTERNAL_ERROR, message: "Internal error" },
      });
      expect(r.text).not.toContain("secret");
    }
  });

  it("bigints become decimal strings, undefined becomes null", async () => {
    const r = await post(srv.port, [
      { jsonrpc: "2.0", id: 1, method: "big" },
      { jsonrpc: "2.0", id: 2, method: "nothing" },
    ]);
    expect(r.json()).toEqual([
      { jsonrpc: "2.0", id: 1, result: { amount: "123456789012345678901234567890" } },
      { jsonrpc: "2.0", id: 2, result: null },
    ]);
  });

  it("a notification gets no response (204)", async () => {
    const r = await post(srv.port, { jsonrpc: "2.0", method: "echo" });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    const failing = await post(srv.port, { jsonrpc: "2.0", method: "boom" });
    expect(failing.status).toBe(204);
  });

  it("batches: in order, notifications skipped, errors per element", async () => {
    const r = await post(srv.port, [
      { jsonrpc: "2.0", id: 1, method: "echo", params: { count: 1 } },
      { jsonrpc: "2.0", method: "echo" },
      { jsonrpc: "2.0", id: 2, method: "nope" },
      5,
      { jsonrpc: "2.0", id: 3, method: "echo", params: { count: "x" } },
    ]);
    const j = r.json() as { id: unknown; result?: unknown; error?: { code: number } }[];
    expect(j.map((x) => x.id)).toEqual([1, 2, null, 3]);
    expect(j[0].result).toMatchObject({ count: 1 });
    expect(j[1].error?.code).toBe(RpcCode.METHOD_NOT_FOUND);
    expect(j[2].error?.code).toBe(RpcCode.INVALID_REQUEST);
    expect(j[3].error?.code).toBe(RpcCode.INVALID_PARAMS);
  });

  it("a batch of only notifications answers 204 with an empty body", async () => {
    const r = await post(srv.port, [
      { jsonrpc: "2.0", method: "echo" },
      { jsonrpc: "2.0", method: "echo" },
    ]);
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
  });

  it("an empty batch is one -32600", async () => {
    const r = await post(srv.port, []);
    expect(r.json()).toMatchObject({ id: null, error: { code: RpcCode.INVALID_REQUEST } });
  });

  it("a batch over the limit is one -32600 naming the limit", async () => {
    const batch = Array.from({ length: 101 }, (_, i) => ({
      jsonrpc: "2.0",
      id: i,
      method: "echo",
    }));
    const r = await post(srv.port, batch);
    const j = r.json() as { error: { code: number; message: string } };
    expect(j.error.code).toBe(RpcCode.INVALID_REQUEST);
    expect(j.error.message).toContain("limit of 100");
  });

  it("URI form: CometBFT parameter rules", async () => {
    const get = async (path: string) => http(srv.port, "GET", path);
    let r = await get("/echo?height=5&name=%22bob%22&prove=true&count=7");
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      jsonrpc: "2.0",
      id: -1,
      result: { height: 5, name: "bob", tx: null, prove: true, count: 7 },
    });
    r = await get("/echo?tx=0xDEADbeef&name=0x6869");
    expect((r.json() as { result: { tx: string; name: string } }).result).toMatchObject({
      tx: "deadbeef",
      name: "hi",
    });
    r = await get("/echo?tx=%22abc%22");
    expect((r.json() as { result: { tx: string } }).result.tx).toBe("616263");
    r = await get("/echo?name=unquoted");
    expect((r.json() as { result: { name: string } }).result.name).toBe("unquoted");
    r = await get("/echo?height=");
    expect((r.json() as { result: { height: unknown } }).result.height).toBe(null);
    r = await get("/echo?height=0x10");
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ id: -1, error: { code: RpcCode.INVALID_PARAMS } });
    r = await get("/echo?prove=maybe");
    expect(r.json()).toMatchObject({ error: { code: RpcCode.INVALID_PARAMS } });
    r = await get("/echo?unknown=1");
    expect((r.json() as { error: { message: string } }).error.message).toContain("unknown");
    r = await get("/nope");
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ error: { code: RpcCode.METHOD_NOT_FOUND } });
    r = await get("/ws_only");
    expect(r.status).toBe(404);
    r = await get("/app_error");
    expect(r.json()).toMatchObject({ error: { code: 300 } });
    r = await get("/boom");
    expect(r.status).toBe(500);
    expect(r.text).not.toContain("secret");
  });

  it("GET / lists the methods with their params", async () => {
    const r = await http(srv.port, "GET", "/");
    const j = r.json() as { result: { methods: { name: string; params: { name: string }[] }[] } };
    const names = j.result.methods.map((m) => m.name);
    expect(names).toContain("echo");
    expect(names).toContain("subscribe");
    expect(j.result.methods.find((m) => m.name === "echo")?.params.map((p) => p.name)).toEqual([
      "height",
      "name",
      "tx",
      "prove",
      "count",
    ]);
  });

  it("POST elsewhere than / and other HTTP methods are refused", async () => {
    let r = await http(
      srv.port,
      "POST",
      "/status",
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo" }),
    );
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ error: { code: RpcCode.INVALID_REQUEST } });
    r = await http(srv.port, "PUT", "/");
    expect(r.status).toBe(405);
    r = await http(srv.port, "GET", "/websocket");
    expect(r.status).toBe(400);
  });

  it("CORS is off by default", async () => {
    const r = await http(
      srv.port,
      "POST",
      "/",
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo" }),
      {
        Origin: "https://evil.example",
      },
    );
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    const pre = await http(srv.port, "OPTIONS", "/", undefined, { Origin: "https://evil.example" });
    expect(pre.status).toBe(405);
  });

  it("an oversize body (declared) gets 413 with a JSON-RPC error and the socket closes", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const r = await http(srv.port, "POST", "/", big);
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe("close");
    expect(r.json()).toMatchObject({ id: null, error: { code: ErrorCode.TOO_LARGE } });
  });

  it("an oversize chunked body gets 413 and the server stays up", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = connect(srv.port, "127.0.0.1");
      let out = "";
      sock.on("data", (d) => {
        out += d.toString();
      });
      sock.on("close", () => resolve(out));
      sock.on("error", () => resolve(out));
      sock.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      const chunk = "a".repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 20 && sock.writable) {
          sent++;
          if (!sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) {
            sock.once("drain", pump);
            return;
          }
        }
      };
      pump();
      setTimeout(() => reject(new Error("no reply")), 10_000).unref();
    });
    expect(reply).toContain("413");
    expect(reply).toContain(`"code":${ErrorCode.TOO_LARGE}`);
    const ok = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo" });
    expect(ok.status).toBe(200);
  });

  it("malformed HTTP gets a 400 and the server stays up", async () => {
    const reply = await new Promise<string>((resolve) => {
      const sock = connect(srv.port, "127.0.0.1");
      let out = "";
      sock.on("data", (d) => {
        out += d.toString();
      });
      sock.on("close", () => resolve(out));
      sock.on("error", () => resolve(out));
      sock.write("GARBAGE \x00\x01 nonsense\r\n\r\n");
    });
    expect(reply).toContain("400");
    const ok = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo" });
    expect(ok.status).toBe(200);
  });
});

describe("lifecycle", () => {
  it("start fails cleanly on a busy port and can be retried; stop is idempotent", async () => {
    const a = await startServer(testRouter(), { rateLimit: null });
    const { RpcServer } = await import("./server.js");
    // a real pino logger fits the Logger interface
    const logger = pino({ level: "silent" });
    const b = new RpcServer({ port: a.port }, { logger, router: testRouter() });
    await expect(b.start()).rejects.toThrow(/EADDRINUSE/);
    await a.stop();
    await a.stop();
    await b.start();
    const c = await WsClient.connect(`ws://127.0.0.1:${a.port}/websocket`);
    await b.stop();
    await c.closed;
    expect(c.closeCode).toBe(1001);
  });
});

describe("metrics", () => {
  it("counts calls by method and outcome, connections and limits", async () => {
    const registry = new Registry();
    const srv = await startServer(
      testRouter(),
      { rateLimit: null, maxBatch: 1 },
      { metrics: promRpcMetrics(registry), metricsText: () => registry.metrics() },
    );
    try {
      await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo" });
      await post(srv.port, { jsonrpc: "2.0", id: 1, method: "app_error" });
      await post(srv.port, { jsonrpc: "2.0", id: 1, method: "nope" });
      await post(srv.port, [{}, {}]);
      const res = await http(srv.port, "GET", "/metrics");
      expect(res.headers["content-type"]).toContain("text/plain");
      const text = res.text;
      expect(text).toContain('perpetua_rpc_requests_total{method="echo",outcome="ok"} 1');
      expect(text).toContain('perpetua_rpc_requests_total{method="app_error",outcome="300"} 1');
      expect(text).toContain('perpetua_rpc_requests_total{method="unknown",outcome="-32601"} 1');
      expect(text).toContain('perpetua_rpc_requests_total{method="batch",outcome="too_long"} 1');
      expect(text).toContain("perpetua_rpc_connections");
    } finally {
      await srv.stop();
    }
  });
});

describe("HTTP limits", () => {
  it("a batch costs one token per call", async () => {
    const srv = await startServer(testRouter(), {
      rateLimit: { perSecond: 0.001, burst: 3, exempt: [] },
    });
    try {
      const batch = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "echo" }));
      expect((await post(srv.port, batch(4))).status).toBe(429);
      expect((await post(srv.port, batch(3))).status).toBe(200);
      expect((await post(srv.port, batch(1))).status).toBe(429);
    } finally {
      await srv.stop();
    }
  });

  it("a handler that hangs answers -32603 after callTimeoutMs", async () => {
    const r = new Router();
    r.register("hang", { handler: () => new Promise(() => {}) });
    const srv = await startServer(r, { rateLimit: null, callTimeoutMs: 50 });
    try {
      const res = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "hang" });
      expect(res.json()).toMatchObject({
        id: 1,
        error: { code: RpcCode.INTERNAL_ERROR, message: "Internal error: call timed out" },
      });
    } finally {
      await srv.stop();
    }
  });

  it("a request on a refused connection never reaches a handler", async () => {
    let calls = 0;
    const r = new Router();
    r.register("count", {
      handler: () => {
        calls++;
        return calls;
      },
    });
    const srv = await startServer(r, { rateLimit: null, maxConnections: 1 });
    const hold = await WsClient.connect(srv.wsUrl);
    try {
      const res = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "count" });
      expect(res.status).toBe(503);
      await new Promise((res) => setTimeout(res, 50));
      expect(calls).toBe(0);
    } finally {
      hold.close();
      await srv.stop();
    }
  });

  it("rate limit answers 429 with RATE_LIMITED (per address, loopback not exempt here)", async () => {
    const srv = await startServer(testRouter(), {
      rateLimit: { perSecond: 1, burst: 3, exempt: [] },
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await post(srv.port, { jsonrpc: "2.0", id: i, method: "echo" });
        codes.push(r.status);
        if (r.status === 429) {
          expect(r.json()).toMatchObject({
            id: i,
            error: { code: ErrorCode.RATE_LIMITED, data: "rate_limited" },
          });
        }
      }
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const uri = await http(srv.port, "GET", "/echo");
      expect(uri.status).toBe(429);
    } finally {
      await srv.stop();
    }
  });

  it("too many connections: the extra one gets 503 and a JSON-RPC error", async () => {
    const srv = await startServer(testRouter(), { maxConnections: 2, rateLimit: null });
    const a = await WsClient.connect(srv.wsUrl);
    const b = await WsClient.connect(srv.wsUrl);
    try {
      const r = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo" });
      expect(r.status).toBe(503);
      expect((r.json() as { error: { code: number; message: string } }).error).toMatchObject({
        code: ErrorCode.TOO_LARGE,
      });
      await expect(WsClient.connect(srv.wsUrl)).rejects.toThrow();
      a.close();
      await a.closed;
      await new Promise((r) => setTimeout(r, 50));
      const ok = await post(srv.port, { jsonrpc: "2.0", id: 1, method: "echo" });
      expect(ok.status).toBe(200);
    } finally {
      b.close();
      await srv.stop();
    }
  });

  it("CORS allow-list: allowed origin gets headers and preflight, others none", async () => {
    const srv = await startServer(testRouter(), {
      corsOrigins: ["https://app.example"],
      rateLimit: null,
    });
    try {
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo" });
      const ok = await http(srv.port, "POST", "/", body, { Origin: "https://app.example" });
      expect(ok.headers["access-control-allow-origin"]).toBe("https://app.example");
      const pre = await http(srv.port, "OPTIONS", "/", undefined, {
        Origin: "https://app.example",
      });
      expect(pre.status).toBe(204);
      expect(pre.headers["access-control-allow-methods"]).toContain("POST");
      const no = await http(srv.port, "POST", "/", body, { Origin: "https://evil.example" });
      expect(no.headers["access-control-allow-origin"]).toBeUndefined();
      await expect(
        WsClient.connect(srv.wsUrl, { headers: { Origin: "https://evil.example" } }),
      ).rejects.toThrow();
    } finally {
      await srv.stop();
    }
  });
});

describe("WebSocket JSON-RPC", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startServer(testRouter(), {
      rateLimit: null,
      maxWsMessageBytes: 64 * 1024,
    });
  });
  afterAll(() => srv.stop());

  it("answers requests and every error code", async () => {
    const c = await WsClient.connect(srv.wsUrl);
    try {
      expect((await c.call("echo", { height: 2 })).result).toMatchObject({ height: 2 });
      expect((await c.call("ws_only")).result).toBe("ws");
      expect((await c.call("nope")).error?.code).toBe(RpcCode.METHOD_NOT_FOUND);
      expect((await c.call("echo", { height: "x" })).error?.code).toBe(RpcCode.INVALID_PARAMS);
      expect((await c.call("boom")).error).toEqual({
        code: RpcCode.INTERNAL_ERROR,
        message: "Internal error",
      });
      expect((await c.call("app_error")).error?.code).toBe(300);
      c.sendRaw("{oops");
      await c.until((m) =>
        m.some((x) => (x as { error?: { code: number } }).error?.code === RpcCode.PARSE_ERROR),
      );
      c.sendRaw(JSON.stringify({ jsonrpc: "2.0", id: 99, method: 1 }));
      await c.until((m) =>
        m.some(
          (x) =>
            (x as { id?: number }).id === 99 &&
            (x as { error?: { code: number } }).error?.code === RpcCode.INVALID_REQUEST,
        ),
      );
      c.sendRaw(
        JSON.stringify([
          { jsonrpc: "2.0", id: 100, method: "echo" },
          { jsonrpc: "2.0", id: 101, method: "nope" },
        ]),
      );
      await c.until((m) => m.some((x) => Array.isArray(x) && x.length === 2));
      const before = c.messages.length;
      c.sendRaw(JSON.stringify({ jsonrpc: "2.0", method: "echo" }));
      expect((await c.call("echo")).result).toBeDefined();
      expect(c.messages.length).toBe(before + 1); // the notification got nothing
    } finally {
      c.close();
    }
  });

  it("an oversize message closes the connection with 1009", async () => {
    const c = await WsClient.connect(srv.wsUrl);
    c.sendRaw("x".repeat(64 * 1024 + 1));
    await c.closed;
    expect(c.closeCode).toBe(1009);
  });

  it("terminates a client that stops answering pings", async () => {
    const fast = await startServer(testRouter(), { rateLimit: null, pingIntervalMs: 50 });
    try {
      const dead = await WsClient.connect(fast.wsUrl, { autoPong: false });
      const alive = await WsClient.connect(fast.wsUrl);
      await dead.closed;
      expect(dead.closeCode).toBe(1006); // terminated, no close frame
      expect(alive.closeCode).toBeUndefined();
      alive.close();
    } finally {
      await fast.stop();
    }
  });

  it("too many pending requests closes with 1008 and a reason", async () => {
    const slow = new Router();
    slow.register("wait", { handler: () => new Promise((r) => setTimeout(r, 200)) });
    const s2 = await startServer(slow, { rateLimit: null, wsMaxPendingRequests: 4 });
    try {
      const c = await WsClient.connect(s2.wsUrl);
      for (let i = 0; i < 10; i++)
        c.sendRaw(JSON.stringify({ jsonrpc: "2.0", id: i, method: "wait" }));
      await c.closed;
      expect(c.closeCode).toBe(1008);
      expect(c.closeReason).toContain("pending");
    } finally {
      await s2.stop();
    }
  });

  it("rate limit over WebSocket answers RATE_LIMITED", async () => {
    const s3 = await startServer(testRouter(), {
      rateLimit: { perSecond: 1, burst: 3, exempt: [] },
    });
    try {
      // the upgrade itself costs one token
      const c = await WsClient.connect(s3.wsUrl);
      expect((await c.call("echo")).result).toBeDefined();
      expect((await c.call("echo")).result).toBeDefined();
      expect((await c.call("echo")).error).toMatchObject({ code: ErrorCode.RATE_LIMITED });
      c.close();
    } finally {
      await s3.stop();
    }
  });
});
