/**
 * Real multi-process testnets for end-to-end tests: `perpetua testnet` homes on loopback
 * ports, each node a `perpetua start` child process, driven over JSON-RPC.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withHugePages } from "../../cli/hugePages.js";
import { makeTestnet, type ScenarioChoice, type TestnetLayout } from "../../cli/testnet/index.js";
import { fromHex, toBase64 } from "../../lib/bytes.js";
import { keyPairFromSeed, sign } from "../../lib/ed25519.js";
import { buildTx, type Msg } from "../../state/types/tx.js";

const ROOT = join(import.meta.dirname, "..", "..");

export interface RunningTestnet {
  dir: string;
  layout: TestnetLayout;
  procs: (ChildProcess | undefined)[];
  rpc(i: number, method: string, params?: unknown): Promise<unknown>;
  start(i: number, env?: Record<string, string>): void;
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Resolves when node i's process exits on its own. */
  exited(i: number): Promise<number | null>;
  stopAll(): Promise<void>;
  height(i: number): Promise<number>;
  waitHeight(i: number, h: number, timeoutMs?: number): Promise<void>;
  sendTx(
    i: number,
    account: number,
    msgs: Msg[],
  ): Promise<{ code: number; hash: string; log: string }>;
}

/**
 * Options of a test testnet: funded accounts (8 by default) and an oracle scenario, whose
 * timing (`scenarioStartMs`, `scenarioDurationMs`) counts from the genesis time.
 */
export interface TestnetOptions extends Partial<ScenarioChoice> {
  accounts?: number;
}

let portCursor = 40_000 + (process.pid % 200) * 100;

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A base port P such that every port a testnet of `n` nodes uses (P + 10·i, +1) is free. */
async function freeBasePort(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = portCursor;
    portCursor += 100;
    if (portCursor > 64_000) portCursor = 20_000 + (process.pid % 97) * 100;
    let ok = true;
    for (let i = 0; i < n && ok; i++)
      ok = (await portFree(base + 10 * i)) && (await portFree(base + 10 * i + 1));
    if (ok) return base;
  }
  throw new Error("no free ports for a testnet");
}

export async function startTestnet(
  validators: number,
  opts: TestnetOptions = {},
): Promise<RunningTestnet> {
  const dir = mkdtempSync(join(tmpdir(), "perpetua-e2e-"));
  const basePort = await freeBasePort(validators);
  const layout = await makeTestnet({
    validators,
    output: dir,
    basePort,
    chainId: "perpetua-e2e",
    accounts: opts.accounts ?? 8,
    scenario: opts.scenario ?? "none",
    ...(opts.scenarioStartMs !== undefined ? { scenarioStartMs: opts.scenarioStartMs } : {}),
    ...(opts.scenarioDurationMs !== undefined
      ? { scenarioDurationMs: opts.scenarioDurationMs }
      : {}),
    force: false,
    salt: `e2e-${process.pid}-${basePort}`,
  });
  const procs: (ChildProcess | undefined)[] = new Array(validators);
  const nonces = new Map<number, number>();
  const net: RunningTestnet = {
    dir,
    layout,
    procs,
    async rpc(i, method, params = {}) {
      const res = await fetch(layout.nodes[i].rpc, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const body = (await res.json()) as { result?: unknown; error?: { message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result;
    },
    start(i, env = {}) {
      const log = openSync(join(dir, `node${i}.log`), "a");
      procs[i] = spawn(
        process.execPath,
        [join(ROOT, "bin/perpetua.js"), "start", "--home", layout.nodes[i].home],
        {
          cwd: ROOT,
          stdio: ["ignore", log, log],
          env: withHugePages({ ...process.env, ...env }),
        },
      );
    },
    async kill(i, signal = "SIGKILL") {
      const p = procs[i];
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill(signal);
      await exited;
      procs[i] = undefined;
    },
    exited(i) {
      const p = procs[i];
      if (!p) return Promise.resolve(null);
      if (p.exitCode !== null) return Promise.resolve(p.exitCode);
      return new Promise((r) => p.once("exit", (code) => r(code)));
    },
    async stopAll() {
      await Promise.all(procs.map((_, i) => net.kill(i, "SIGTERM")));
      if (!process.env.KEEP_TESTNET) rmSync(dir, { recursive: true, force: true });
    },
    async height(i) {
      try {
        const s = (await net.rpc(i, "status")) as { sync_info: { latest_block_height: string } };
        return Number(s.sync_info.latest_block_height);
      } catch {
        return -1;
      }
    },
    async waitHeight(i, h, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if ((await net.height(i)) >= h) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(
        `node${i} did not reach height ${h} in ${timeoutMs} ms (at ${await net.height(i)}); log: ${readFileSync(join(dir, `node${i}.log`), "utf8").slice(-2000)}`,
      );
    },
    async sendTx(i, account, msgs) {
      const seed = fromHex(layout.accounts[account].seed);
      const kp = keyPairFromSeed(seed);
      const nonce = Math.max(Date.now(), (nonces.get(account) ?? 0) + 1);
      nonces.set(account, nonce);
      const { bytes } = buildTx(
        { chainId: layout.chainId, signer: kp.publicKey, nonce, msgs },
        (m) => sign(seed, m),
      );
      const r = (await net.rpc(i, "broadcast_tx_sync", { tx: toBase64(bytes) })) as {
        code: number;
        hash: string;
        log: string;
      };
      return r;
    },
  };
  for (let i = 0; i < validators; i++) net.start(i);
  return net;
}

/**
 * A testnet whose every node has committed height 2: what each end-to-end file starts
 * from. A testnet that does not get there is stopped and the error names the stuck node.
 */
export async function startLiveTestnet(
  validators = 4,
  opts: TestnetOptions = {},
): Promise<RunningTestnet> {
  const net = await startTestnet(validators, opts);
  try {
    for (let i = 0; i < validators; i++) await net.waitHeight(i, 2, 60_000);
  } catch (e) {
    await net.stopAll();
    throw e;
  }
  return net;
}
