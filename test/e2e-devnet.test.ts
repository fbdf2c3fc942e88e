/**
 * `perpetua devnet` end to end: one command brings up 4 validator processes and the
 * market-making bot; the books fill with quotes on both sides; Ctrl-C (SIGINT) stops every
 * process; a second run resumes the same chain.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "perpetua-devnet-"));
const basePort = 30_000 + (process.pid % 200) * 50;
const rpcUrl = `http://127.0.0.1:${basePort + 1}`;

async function rpc(method: string, params: unknown = {}): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

function devnet(...extra: string[]): {
  proc: ChildProcess;
  output: () => string;
  stdout: () => string;
} {
  let out = "";
  let stdout = "";
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, "bin/perpetua.js"),
      "devnet",
      "--dir",
      dir,
      "--base-port",
      String(basePort),
      ...extra,
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  proc.stdout?.on("data", (d) => {
    out += d;
    stdout += d;
  });
  proc.stderr?.on("data", (d) => (out += d));
  return { proc, output: () => out, stdout: () => stdout };
}

async function until<T>(f: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("perpetua devnet", () => {
  it("brings up a live market with the bot quoting both sides, and stops cleanly on SIGINT", async () => {
    const d = devnet();
    try {
      await until(
        async () => (d.output().includes("demo accounts") ? true : undefined),
        60_000,
        "the devnet banner",
      );
      expect(d.output()).toContain(`ws://127.0.0.1:${basePort + 1}/websocket`);
      const quoted = await until(
        async () => {
          const { markets: list } = (await rpc("markets")) as {
            markets: { id: string; bestBid: string | null; bestAsk: string | null }[];
          };
          return list.every((m) => m.bestBid !== null && m.bestAsk !== null) ? list : undefined;
        },
        45_000,
        "quotes on both sides of every market",
      );
      expect(quoted.map((m) => m.id).sort()).toEqual(["BTC-USD", "ETH-USD"]);
      for (const m of quoted) expect(Number(m.bestBid)).toBeLessThan(Number(m.bestAsk));
    } finally {
      const exited = new Promise<number | null>((r) => d.proc.once("exit", (c) => r(c)));
      d.proc.kill("SIGINT");
      expect(await exited).toBe(0);
    }
    // Every node process is gone: the RPC port no longer answers.
    await expect(rpc("status")).rejects.toThrow();
    // A second run resumes the same chain (heights continue); --json: only JSON on stdout.
    const again = devnet("--json");
    try {
      const h = await until(
        async () => {
          const s = (await rpc("status")) as { sync_info: { latest_block_height: string } };
          return Number(s.sync_info.latest_block_height) > 0
            ? Number(s.sync_info.latest_block_height)
            : undefined;
        },
        60_000,
        "the resumed chain",
      );
      expect(again.output()).toContain("resuming the devnet");
      expect(h).toBeGreaterThan(1);
      const ready = await until(
        async () => {
          const line = again.stdout().split("\n")[0];
          return again.stdout().includes("\n") ? JSON.parse(line) : undefined;
        },
        30_000,
        "the ready line",
      );
      expect(ready.event).toBe("ready");
      expect(ready.nodes[0].websocket).toBe(`ws://127.0.0.1:${basePort + 1}/websocket`);
      expect(ready.accounts.length).toBeGreaterThan(0);
      const status = await until(
        async () => {
          const lines = again.stdout().trim().split("\n");
          return lines.length > 1 ? JSON.parse(lines[1]) : undefined;
        },
        30_000,
        "a status line",
      );
      expect(status).toMatchObject({ event: "status" });
      expect(status.height).toBeGreaterThan(0);
      expect(status.markets.map((m: { id: string }) => m.id).sort()).toEqual([
        "BTC-USD",
        "ETH-USD",
      ]);
    } finally {
      const exited = new Promise((r) => again.proc.once("exit", r));
      again.proc.kill("SIGINT");
      await exited;
    }
  }, 180_000);
});
