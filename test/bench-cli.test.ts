/**
 * `perpetua bench` units: flags and durations parsed at the edge with one-line errors, the
 * nearest-rank percentile, the far-from-market IOC orders (valid for the chain's own schema),
 * the progress and result rendering, and user errors of the real command (exit 1, one line).
 */
import { execFile } from "node:child_process";
import http from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CliError, parseArgs } from "../cli/args.js";
import { blockTxs } from "../cli/bench/follow.js";
import { closeAgents, postJson } from "../cli/bench/http.js";
import { humanTable } from "../cli/bench/index.js";
import { parseBenchOptions, parseNodes } from "../cli/bench/options.js";
import { farOrders } from "../cli/bench/orders.js";
import { ProgressReporter, progressBar, progressLine } from "../cli/bench/progress.js";
import { type BenchResult, percentile } from "../cli/bench/stats.js";
import { nodeSigner } from "../rpc/client/nodeSigner.js";
import { seedFromHex } from "../rpc/client/signer.js";
import { signTx } from "../rpc/client/tx.js";
import type { MarketInfo } from "../rpc/client/types.js";

const ROOT = join(import.meta.dirname, "..");
const exec = promisify(execFile);

const opts = (...argv: string[]) => parseBenchOptions(parseArgs(argv));

const BTC_AT_60037 = { id: "BTC-USD", tickSize: "1", stepSize: "0.0001", oraclePrice: "60037" };
const ETH_AT_3002_4 = { id: "ETH-USD", tickSize: "0.1", stepSize: "0.001", oraclePrice: "3002.4" };
const MARKETS = [BTC_AT_60037, ETH_AT_3002_4] as unknown as MarketInfo[];

describe("--duration (cli/args.ts parseDuration, 1 s to 24 h, plain numbers are seconds)", () => {
  it.each([
    ["30s", 30_000],
    ["2m", 120_000],
    ["45", 45_000],
    ["1.5m", 90_000],
    ["1h", 3_600_000],
    ["1500ms", 1_500],
    [" 5s ", 5_000],
    ["24h", 86_400_000],
  ])("%s is %d ms", (text, ms) => {
    expect(opts("--duration", text).durationMs).toBe(ms);
  });

  it.each(["", "abc", "-5s", "5 s", "1e3", "5sec"])("refuses %j as no duration", (text) => {
    expect(() => opts("--duration", text)).toThrow(CliError);
    expect(() => opts("--duration", text)).toThrow(
      `--duration: expected a duration like 30s, 1500ms, 2m or plain seconds, got "${text}"`,
    );
  });

  it.each(["0", "0.5s", "10ms", "25h", "86400001ms"])("refuses %j as out of range", (text) => {
    expect(() => opts("--duration", text)).toThrow(CliError);
    expect(() => opts("--duration", text)).toThrow(`--duration must be 1s..1 day, got "${text}"`);
  });
});

describe("percentile (nearest rank)", () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("picks a measured sample: sorted[ceil(p/100 * n) - 1]", () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 51)).toBe(30);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
  });

  it("one sample is every percentile; none gives 0", () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });

  it("refuses a percentile outside 0..100", () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe("bench flags", () => {
  it("defaults: node0, 30 s, open loop, 50 orders per tx, 64 accounts, 1024 in flight", () => {
    const saved = process.env.PERPETUA_NODE;
    delete process.env.PERPETUA_NODE;
    try {
      expect(opts()).toEqual({
        nodes: ["http://127.0.0.1:26657"],
        durationMs: 30_000,
        rate: undefined,
        ordersPerTx: 50,
        accounts: 64,
        inFlight: 1024,
        json: false,
      });
    } finally {
      if (saved !== undefined) process.env.PERPETUA_NODE = saved;
    }
  });

  it("reads every flag; several nodes comma-separated, trimmed, deduplicated", () => {
    expect(
      opts(
        "--node",
        "http://127.0.0.1:26657/, http://127.0.0.1:26667,http://127.0.0.1:26657",
        "--duration",
        "2m",
        "--rate",
        "250",
        "--orders-per-tx",
        "128",
        "--accounts",
        "8",
        "--in-flight",
        "400",
        "--json",
      ),
    ).toEqual({
      nodes: ["http://127.0.0.1:26657", "http://127.0.0.1:26667"],
      durationMs: 120_000,
      rate: 250,
      ordersPerTx: 128,
      accounts: 8,
      inFlight: 400,
      json: true,
    });
  });

  it("the default window shrinks to 50 per account with few accounts", () => {
    expect(opts("--accounts", "4").inFlight).toBe(200);
  });

  it.each([
    [["--orders-per-tx", "129"], "--orders-per-tx must be an integer in 1..128"],
    [["--orders-per-tx", "0"], "--orders-per-tx must be an integer in 1..128"],
    [["--rate", "0"], "--rate must be an integer in 1..1000000"],
    [["--rate", "fast"], "--rate must be an integer"],
    [["--accounts", "0"], "--accounts must be an integer in 1..10000"],
    [["--in-flight", "5000"], "--in-flight 5000 is more than 50 per account"],
    [
      ["--duration", "soon"],
      '--duration: expected a duration like 30s, 1500ms, 2m or plain seconds, got "soon"',
    ],
    [["--duration"], "--duration needs a value, e.g. 30s"],
    [["--node", "127.0.0.1:26657"], '--node: expected http://host:port, got "127.0.0.1:26657"'],
    [["--node", "http://a:1,"], '--node: expected http://host:port, got ""'],
    [["--nodes", "http://a:1"], "unknown flag --nodes"],
    [["extra"], 'unexpected argument "extra"'],
  ])("%j → %s", (argv, message) => {
    expect(() => opts(...argv)).toThrow(CliError);
    expect(() => opts(...argv)).toThrow(message);
  });

  it("parseNodes keeps https and paths-free URLs only", () => {
    expect(parseNodes("https://rpc.example.com")).toEqual(["https://rpc.example.com"]);
    expect(() => parseNodes("http://a:1/rpc")).toThrow("--node: expected http://host:port");
  });
});

describe("the bench's orders", () => {
  it("alternate buy and sell over the markets, IOC, one lot, ten times away from the oracle", () => {
    const orders = farOrders(MARKETS, 6);
    expect(
      orders.map((m) =>
        m.kind === "place_order" ? [m.market, m.side, m.price, m.size, m.tif, m.clientId] : [],
      ),
    ).toEqual([
      ["BTC-USD", "buy", "6003", "0.0001", "ioc", 0],
      ["BTC-USD", "sell", "600370", "0.0001", "ioc", 1],
      ["ETH-USD", "buy", "300.2", "0.001", "ioc", 2],
      ["ETH-USD", "sell", "30024", "0.001", "ioc", 3],
      ["BTC-USD", "buy", "6003", "0.0001", "ioc", 4],
      ["BTC-USD", "sell", "600370", "0.0001", "ioc", 5],
    ]);
  });

  it("128 of them sign as one valid transaction (the chain's schema and size limit)", async () => {
    const signer = nodeSigner(seedFromHex("42".repeat(32)));
    const tx = await signTx(signer, "perpetua-devnet", 1, farOrders(MARKETS, 128));
    expect(tx.bytes.length).toBeLessThan(32 * 1024);
  });

  it("a market without an oracle price is a user error, a price below ten ticks buys at one", () => {
    const noOracle = [{ ...BTC_AT_60037, oraclePrice: "0" }] as unknown as MarketInfo[];
    expect(() => farOrders(noOracle, 2)).toThrow("market BTC-USD has no oracle price yet");
    const cheap = [{ ...BTC_AT_60037, oraclePrice: "3" }] as unknown as MarketInfo[];
    expect(farOrders(cheap, 2).map((m) => (m.kind === "place_order" ? m.price : ""))).toEqual([
      "1",
      "30",
    ]);
  });
});

describe("rendering", () => {
  it("the progress bar and line", () => {
    expect(progressBar(0.5, 10)).toBe("[#####.....]");
    expect(progressBar(2, 4)).toBe("[####]");
    const p = {
      measuring: true,
      elapsedMs: 12_400,
      durationMs: 30_000,
      submitted: 12_345,
      committed: 11_000,
      rejected: 0,
      inFlight: 1024,
      txPerS: 887.1,
    };
    expect(progressLine(p, 50)).toBe(
      "12/30 s  submitted 12,345  committed 11,000  rejected 0  in flight 1,024  887 tx/s  44,355 orders/s",
    );
    expect(progressLine({ ...p, measuring: false }, 50)).toMatch(/^draining {2}submitted/);
  });

  it("pre-signing progress: a bar on a terminal, otherwise a line every few seconds and the last", () => {
    const sink = (isTTY: boolean) => {
      const lines: string[] = [];
      const out = { isTTY, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
      return { lines, reporter: new ProgressReporter(50, out) };
    };
    const plain = sink(false);
    for (let done = 100; done <= 36_000; done += 100) plain.reporter.signing(done, 36_000);
    plain.reporter.signing(36_000, 36_000);
    // The first count at once, nothing more within 5 s, the total once.
    expect(plain.lines).toEqual([
      "bench: signing 100 of 36,000 transactions ahead\n",
      "bench: signing 36,000 of 36,000 transactions ahead\n",
    ]);
    const tty = sink(true);
    tty.reporter.signing(9_000, 36_000);
    tty.reporter.signing(9_100, 36_000); // within 100 ms of the last redraw
    tty.reporter.signing(36_000, 36_000);
    expect(tty.lines).toEqual([
      "\r\x1b[2K[######..................] signing 9,000 of 36,000 transactions ahead",
      "\r\x1b[2K[########################] signing 36,000 of 36,000 transactions ahead",
    ]);
    tty.reporter.note("ready");
    expect(tty.lines.slice(2)).toEqual(["\n", "bench: ready\n"]);
  });

  it("the result table", () => {
    const r: BenchResult = {
      tx_s: 101,
      orders_s: 5043,
      p50_ms: 2108,
      p90_ms: 3306,
      p99_ms: 4858,
      max_ms: 5926,
      duration_s: 15,
      nodes: 4,
      accounts: 64,
      orders_per_tx: 50,
      rate: null,
      in_flight: 256,
      submitted: 1692,
      rejected: 3,
      rejected_by: { mempool_full: 3 },
      committed: 1513,
      committed_late: 176,
      lost: 0,
      sampled_txs: 16,
      sampled_failed_txs: 0,
      sampled_orders: 800,
      sampled_failed_orders: 0,
      blocks: 15,
      block_interval_ms: 980,
      missed_blocks: 0,
    };
    const text = humanTable(r);
    expect(text).toContain("committed orders/s             5,043");
    expect(text).toContain("latency p50 / p90 / p99 / max  2108 / 3306 / 4858 / 5926 ms");
    expect(text).toContain("rejected                       3 (mempool_full 3)");
  });
});

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe("perpetua bench: user errors print one line and exit 1", () => {
  async function bench(...argv: string[]) {
    try {
      await exec(process.execPath, [join(ROOT, "bin/perpetua.js"), "bench", ...argv], {
        cwd: ROOT,
      });
      return { code: 0, stderr: "" };
    } catch (e) {
      const x = e as { code: number; stderr: string };
      return { code: x.code, stderr: x.stderr };
    }
  }

  it.each([
    [
      ["--node", "localhost:26657"],
      'error: --node: expected http://host:port, got "localhost:26657"',
    ],
    [["--orders-per-tx", "500"], "error: --orders-per-tx must be an integer in 1..128"],
  ])("%j", async (argv, message) => {
    const r = await bench(...argv);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it("an unreachable node", async () => {
    const port = await closedPort();
    const r = await bench("--node", `http://127.0.0.1:${port}`, "--duration", "1s");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`error: status: cannot reach http://127.0.0.1:${port}: `);
    expect(r.stderr).toContain("ECONNREFUSED");
  });
});

describe("the bench's JSON-RPC POSTs (node:http, keep-alive)", () => {
  async function server(handler: http.RequestListener): Promise<{ url: string; close(): void }> {
    const srv = http.createServer(handler);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const { port } = srv.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () => {
        closeAgents();
        srv.closeAllConnections();
        srv.close();
      },
    };
  }

  it("sends the body, parses the answer and reuses its socket", async () => {
    const sockets = new Set<unknown>();
    const s = await server((req, res) => {
      sockets.add(req.socket);
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ echo: JSON.parse(body), length: req.headers["content-length"] }));
      });
    });
    try {
      const a = await postJson(s.url, '[{"id":0,"x":"é"}]', 5_000);
      expect(a).toEqual({ status: 200, body: { echo: [{ id: 0, x: "é" }], length: "19" } });
      const b = await postJson(s.url, "[1]", 5_000);
      expect(b.body).toEqual({ echo: [1], length: "3" });
      expect(sockets.size).toBe(1);
    } finally {
      s.close();
    }
  });

  it("reads a block's transactions, and says why when a node does not have the block", async () => {
    const asked: unknown[] = [];
    const s = await server((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const call = JSON.parse(body);
        asked.push(call);
        const h = Number(call.params.height);
        res.end(
          JSON.stringify(
            h === 7
              ? { jsonrpc: "2.0", id: 1, result: { block: { data: { txs: ["AAE=", "AgM="] } } } }
              : {
                  jsonrpc: "2.0",
                  id: 1,
                  error: { code: -32603, message: `height ${h} is not available` },
                },
          ),
        );
      });
    });
    try {
      expect(await blockTxs(s.url.replace(/\/$/, ""), 7)).toEqual(["AAE=", "AgM="]);
      await expect(blockTxs(s.url.replace(/\/$/, ""), 9)).rejects.toThrow(
        /height 9 is not available/,
      );
      expect(asked[0]).toEqual({ jsonrpc: "2.0", id: 1, method: "block", params: { height: "7" } });
    } finally {
      s.close();
    }
  });

  it("rejects an answer that is not JSON, a refused connection and a silent server", async () => {
    const s = await server((req, res) => {
      if (req.url === "/slow") return; // never answers
      res.statusCode = 502;
      res.end("<html>bad gateway</html>");
    });
    try {
      await expect(postJson(s.url, "[]", 5_000)).rejects.toThrow(/HTTP 502: not JSON: <html>/);
      await expect(postJson(`${s.url}slow`, "[]", 300)).rejects.toThrow(/no answer within 300 ms/);
      const port = await closedPort();
      await expect(postJson(`http://127.0.0.1:${port}/`, "[]", 5_000)).rejects.toThrow(
        /ECONNREFUSED/,
      );
    } finally {
      s.close();
    }
  });
});
