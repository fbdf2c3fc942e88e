/**
 * Fuzz: a few thousand random and malformed bodies over HTTP and WebSocket. Every one gets a
 * well-formed JSON-RPC answer (or none, for notifications), and the server stays up.
 * Seeded, so a failure replays.
 */
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, PerpetuaError } from "../lib/errors.js";
import { blockAt, FOUR_VALIDATORS, GENESIS, resultsAt, statusAt } from "./cometbft/fixtures.js";
import { registerCometRoutes } from "./cometbft/routes.js";
import { silentLogger } from "./logger.js";
import { bool, bytes, height, optional, str } from "./params.js";
import { Router } from "./routes.js";
import { type Running, startServer, WsClient } from "./testkit.js";

/** xorshift32: deterministic randomness for a replayable fuzz run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

const MAX_BODY = 64 * 1024;
const METHODS = [
  "echo",
  "fail",
  "boom",
  "subscribe",
  "nope",
  "",
  "__proto__",
  "echo ",
  "block",
  "blockchain",
  "validators",
  "tx",
  "broadcast_tx_sync",
  "broadcast_tx_async",
  "broadcast_tx_commit",
  "check_tx",
  "commit",
  "status",
];

function randomValue(r: ReturnType<typeof rng>, depth: number): unknown {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, 5]);
    case 3:
      return r.pick(["", "5", "abc", "0x12", "AAAA", "\u0000", "☃", "'", '"']);
    case 4:
      return "y".repeat(r.int(2000));
    case 5:
      return String(r.int(1_000_000));
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < r.int(5); i++) {
        const key = r.pick(PARAM_NAMES);
        o[key] = r.next() < 0.3 ? randomTx(r) : randomValue(r, depth + 1);
      }
      return o;
    }
    default:
      return { jsonrpc: "2.0", id: 1, method: "echo" };
  }
}

const PARAM_NAMES = [
  "height",
  "name",
  "tx",
  "prove",
  "x",
  "__proto__",
  "constructor",
  "minHeight",
  "maxHeight",
  "page",
  "per_page",
  "hash",
];

/** Random transaction bytes as base64 (valid or not). */
function randomTx(r: ReturnType<typeof rng>): string {
  const b = Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256))).toString("base64");
  return r.next() < 0.8 ? b : b.slice(1);
}

function randomRequest(r: ReturnType<typeof rng>): unknown {
  const req: Record<string, unknown> = {};
  if (r.next() < 0.9) req.jsonrpc = r.next() < 0.9 ? "2.0" : randomValue(r, 3);
  if (r.next() < 0.8) req.id = r.next() < 0.8 ? r.int(1000) : randomValue(r, 3);
  if (r.next() < 0.95) req.method = r.next() < 0.9 ? r.pick(METHODS) : randomValue(r, 3);
  if (r.next() < 0.7) req.params = randomValue(r, 1);
  return req;
}

function randomBody(r: ReturnType<typeof rng>): string | Buffer {
  switch (r.int(10)) {
    case 0: // garbage bytes
      return Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256)));
    case 1: {
      // deep nesting
      const d = 1 + r.int(5000);
      return `${"[".repeat(d)}${r.next() < 0.5 ? "]".repeat(d) : ""}`;
    }
    case 2: // a huge string near the limit
      return JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "echo",
        params: { name: "z".repeat(MAX_BODY - 60 - r.int(40)) },
      });
    case 3: // truncated JSON
      return JSON.stringify(randomRequest(r)).slice(0, r.int(40));
    case 4: // random batch
      return JSON.stringify(
        Array.from({ length: r.int(12) }, () =>
          r.next() < 0.8 ? randomRequest(r) : randomValue(r, 2),
        ),
      );
    case 5:
      return JSON.stringify(randomValue(r, 0));
    default:
      return JSON.stringify(randomRequest(r));
  }
}

function fuzzRouter(): Router {
  const router = new Router();
  registerCometRoutes(router, {
    heights: () => ({ base: 1, latest: 5 }),
    status: () => statusAt(5),
    netInfo: () => ({ listening: true, listeners: [], peers: [] }),
    genesis: () => GENESIS,
    block: (h) => blockAt(h),
    blockResults: (h) => resultsAt(h),
    commit: () => undefined,
    validators: () => FOUR_VALIDATORS,
    tx: () => undefined,
    checkTx: (tx) => ({ code: tx.length % 2 === 0 ? 0 : 100, log: "" }),
    broadcastTx: (tx) => ({ code: tx.length % 3 === 0 ? 0 : 102, log: "bad signature" }),
    broadcastTxCommit: () => {
      throw new PerpetuaError(ErrorCode.MEMPOOL_FULL, "mempool full");
    },
    mempool: () => ({ count: 0, totalBytes: 0 }),
  });
  router.register("echo", {
    params: {
      height: optional(height()),
      name: optional(str({ max: 100_000 })),
      tx: optional(bytes({ max: 4096 })),
      prove: optional(bool()),
    },
    handler: (p) => ({ ok: true, h: p.height ?? 0 }),
  });
  router.register("fail", {
    handler: () => {
      throw new PerpetuaError(ErrorCode.BAD_NONCE, "nonce already used");
    },
  });
  router.register("boom", {
    handler: () => {
      throw new RangeError("Maximum call stack size exceeded");
    },
  });
  return router;
}

/** A JSON-RPC response object: jsonrpc, an id, and exactly one of result/error. */
function checkResponse(x: unknown): void {
  expect(typeof x).toBe("object");
  const o = x as Record<string, unknown>;
  expect(o.jsonrpc).toBe("2.0");
  expect(["string", "number"].includes(typeof o.id) || o.id === null).toBe(true);
  expect("result" in o !== "error" in o).toBe(true);
  if ("error" in o) {
    const e = o.error as { code: unknown; message: unknown };
    expect(Number.isInteger(e.code)).toBe(true);
    expect(typeof e.message).toBe("string");
    expect(String(e.message)).not.toMatch(/at .*\.ts:\d+/); // no stack
  }
}

describe("fuzz", () => {
  let srv: Running;
  /** Internal errors other than the deliberate "boom": each would be a bug in rpc/. */
  const unexpected: unknown[] = [];
  const logger = {
    ...silentLogger,
    error: (obj: object, msg: string) => {
      if ((obj as { method?: string }).method !== "boom") unexpected.push({ obj, msg });
    },
  };
  beforeAll(async () => {
    srv = await startServer(
      fuzzRouter(),
      { rateLimit: null, maxBodyBytes: MAX_BODY, maxWsMessageBytes: MAX_BODY, maxBatch: 8 },
      { logger },
    );
  });
  afterAll(async () => {
    await srv.stop();
    expect(unexpected).toEqual([]);
  });

  it("3,000 malformed HTTP bodies each get a JSON-RPC answer; the server stays up", async () => {
    const r = rng(0xc0ffee);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const one = (body: string | Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: srv.port,
            method: "POST",
            path: "/",
            agent,
            headers: { "Content-Length": Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const bodies = Array.from({ length: 3000 }, () => randomBody(r));
    let answered = 0;
    for (let i = 0; i < bodies.length; i += 16) {
      const replies = await Promise.all(bodies.slice(i, i + 16).map(one));
      for (const rep of replies) {
        expect([200, 204, 413]).toContain(rep.status);
        if (rep.status === 204) {
          expect(rep.text).toBe("");
          continue;
        }
        const j = JSON.parse(rep.text);
        if (Array.isArray(j)) {
          expect(j.length).toBeGreaterThan(0);
          j.forEach(checkResponse);
        } else checkResponse(j);
        answered++;
      }
    }
    agent.destroy();
    expect(answered).toBeGreaterThan(2000);
    const alive = await new Promise<number>((resolve) => {
      const req = request(
        { host: "127.0.0.1", port: srv.port, method: "GET", path: "/echo?height=1", agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.end();
    });
    expect(alive).toBe(200);
  });

  it("the URI form survives random query strings", async () => {
    const r = rng(0x5eed);
    const chars = "abcxyz0123456789=&%\"'{}[]:,.-_+ ";
    for (let i = 0; i < 300; i++) {
      const method = r.pick(METHODS).trim() || "block";
      let q = "";
      for (let j = 0; j < r.int(40); j++) q += chars[r.int(chars.length)];
      let path = `/${encodeURIComponent(method)}?${q}`.replaceAll(
        " ",
        r.next() < 0.5 ? "%20" : "+",
      );
      if (r.next() < 0.3)
        path = `/${method}?height=${r.pick(["1", "0x1", '"2"', "-1", "99", "1e3"])}`;
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port: srv.port, method: "GET", path, agent: false },
          (rs) => {
            const chunks: Buffer[] = [];
            rs.on("data", (c: Buffer) => chunks.push(c));
            rs.on("end", () =>
              resolve({ status: rs.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
            );
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect([200, 400, 404, 500]).toContain(res.status);
      if (res.status === 400 && !res.text.startsWith("{")) continue; // Node's own URL rejection
      checkResponse(JSON.parse(res.text));
    }
  });

  it("1,000 malformed WebSocket messages each get an answer; the connection stays up", async () => {
    const r = rng(0xbeef);
    const c = await WsClient.connect(srv.wsUrl);
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      let body = randomBody(r);
      if (Buffer.byteLength(body) > MAX_BODY) body = "{}";
      // a notification (valid request without id) or a batch of only those gets no answer;
      // ask for an answer afterwards to be sure every message was processed
      c.sendRaw(body);
      expected++;
      if (i % 100 === 99) {
        const ping = await c.call("echo", { height: 1 });
        expect(ping.result).toEqual({ ok: true, h: 1 });
      }
    }
    for (const m of c.messages) {
      if (Array.isArray(m)) m.forEach(checkResponse);
      else checkResponse(m);
    }
    expect(c.messages.length).toBeGreaterThan(expected / 2);
    expect(c.closeCode).toBeUndefined();
    c.close();
  });
});
