/**
 * config.json: its TypeScript type, defaults, and validation.
 *
 * A config file may be partial: every missing field takes its default (so upgrading the
 * node never breaks an old file), but every present field must be valid and every key must
 * be known (a typo such as "peer" for "peers" would otherwise be silently ignored). All
 * problems are collected and reported together with their JSON path.
 *
 * Defaults follow CometBFT where it has one (RPC limits, consensus timeouts, mempool size).
 */
import { multiaddr } from "@multiformats/multiaddr";
import { ConfigError, type ConfigIssue } from "./errors.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const EXCHANGES = ["binance", "coinbase", "kraken"] as const;
export type ExchangeName = (typeof EXCHANGES)[number];

export const SCENARIOS = ["none", "crash", "grind", "gap"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface TimeoutPair {
  baseMs: number;
  /** Added per round (Tendermint's timeouts grow with the round). */
  deltaMs: number;
}

export interface SimulatedMarketConfig {
  /** Decimal string, the walk's price at elapsed time 0. */
  startPrice: string;
  /** Bound of one step's move, in ppm of the price (uniform in [-v, +v]). */
  volatilityPpm: number;
}

export interface SimulatedSourceConfig {
  kind: "simulated";
  /** Shared by all validators of a devnet so they walk the same path. */
  seed: string;
  stepMs: number;
  /** Bound of this validator's deviation from the shared walk, in ppm. */
  noisePpm: number;
  /** Which validator this is, for its noise; the node supplies it when absent. */
  validatorIndex?: number;
  /** Wall-clock origin (ms since epoch) shared by validators; the node supplies genesis time when absent. */
  epochMs?: number;
  scenario: ScenarioName;
  /** Markets the scenario applies to (all when empty). */
  scenarioMarkets: string[];
  /**
   * When the scenario's path starts, ms after epochMs (a gap's jump); the scenario's own
   * default when absent (crash and gap one minute, grind at once).
   */
  scenarioStartMs?: number;
  /** How long a crash or grind takes, ms; its default when absent (1 min, 30 min). Not for gap. */
  scenarioDurationMs?: number;
  markets: Record<string, SimulatedMarketConfig>;
}

export interface ExchangeSourceConfig {
  kind: "exchange";
  exchanges: ExchangeName[];
  /** Our market ids to fetch. */
  markets: string[];
  pollMs: number;
  timeoutMs: number;
  /** A source with no successful answer for this long is excluded from the median. */
  staleMs: number;
  /** Fewer fresh sources than this for a market means no price for it. */
  minSources: number;
  /** Override the public API hosts (tests point them at local replay servers). */
  baseUrls: Partial<Record<ExchangeName, string>>;
  /** Per market, the exchange's symbol, overriding the built-in mapping. */
  symbols: Record<string, Partial<Record<ExchangeName, string>>>;
}

export type OracleSourceConfig = SimulatedSourceConfig | ExchangeSourceConfig;

export interface NodeConfig {
  moniker: string;
  rpc: {
    /** host:port */
    listen: string;
    maxBodyBytes: number;
    maxBatch: number;
    maxConnections: number;
    maxSubscriptionsPerClient: number;
    /** Allowed CORS origins; empty means CORS off. */
    corsOrigins: string[];
  };
  p2p: {
    /** A multiaddr, e.g. /ip4/127.0.0.1/tcp/26656 */
    listen: string;
    /** Persistent peers: multiaddrs ending in /p2p/<peer id>. */
    peers: string[];
  };
  consensus: {
    timeouts: {
      propose: TimeoutPair;
      prevote: TimeoutPair;
      precommit: TimeoutPair;
      /** CometBFT's timeout_commit; its delta is accepted for symmetry and unused. */
      commit: TimeoutPair;
    };
  };
  mempool: {
    maxTxs: number;
    maxBytes: number;
    maxTxsPerAccount: number;
    maxTxBytes: number;
    /**
     * Signature checks of arriving transactions: N ≥ 1 jobs in flight on libuv's thread
     * pool (a machine of its own), or 0 on the event loop, a few per turn (several nodes
     * sharing a machine: `perpetua testnet` and the devnet write 0). See lib/ed25519.ts.
     */
    verifyThreads: number;
  };
  oracle: { sources: OracleSourceConfig[] };
  log: { level: LogLevel };
}

export function defaultConfig(): NodeConfig {
  return {
    moniker: "perpetua-node",
    rpc: {
      listen: "127.0.0.1:26657",
      maxBodyBytes: 1_000_000,
      maxBatch: 100,
      maxConnections: 900,
      maxSubscriptionsPerClient: 5,
      corsOrigins: [],
    },
    p2p: { listen: "/ip4/127.0.0.1/tcp/26656", peers: [] },
    consensus: {
      timeouts: {
        propose: { baseMs: 3000, deltaMs: 500 },
        prevote: { baseMs: 1000, deltaMs: 500 },
        precommit: { baseMs: 1000, deltaMs: 500 },
        commit: { baseMs: 1000, deltaMs: 0 },
      },
    },
    mempool: {
      maxTxs: 5000,
      maxBytes: 64 * 1024 * 1024,
      maxTxsPerAccount: 256,
      maxTxBytes: 64 * 1024,
      verifyThreads: 2,
    },
    oracle: { sources: [] },
    log: { level: "info" },
  };
}

export const SIMULATED_DEFAULTS = {
  stepMs: 1000,
  noisePpm: 500,
  scenario: "none" as ScenarioName,
};

export const EXCHANGE_DEFAULTS = {
  exchanges: ["binance", "coinbase", "kraken"] as ExchangeName[],
  markets: ["BTC-USD", "ETH-USD"],
  pollMs: 2000,
  timeoutMs: 1500,
  staleMs: 10_000,
  minSources: 1,
};

/** The consensus driver's timeout shape (consensus/machine/timeouts.ts TimeoutConfig). */
export function consensusTimeouts(c: NodeConfig) {
  const t = c.consensus.timeouts;
  return {
    proposeMs: t.propose.baseMs,
    proposeDeltaMs: t.propose.deltaMs,
    prevoteMs: t.prevote.baseMs,
    prevoteDeltaMs: t.prevote.deltaMs,
    precommitMs: t.precommit.baseMs,
    precommitDeltaMs: t.precommit.deltaMs,
    commitMs: t.commit.baseMs,
  };
}

// ---- validation ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

class Checker {
  readonly issues: ConfigIssue[] = [];

  fail(path: string, reason: string): undefined {
    this.issues.push({ path, reason });
    return undefined;
  }

  /** A plain object with only `known` keys; undefined (and an issue) otherwise. */
  object(v: unknown, path: string, known: readonly string[]): Obj | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return this.fail(path, `expected an object, got ${describe(v)}`);
    }
    for (const k of Object.keys(v)) {
      if (!known.includes(k)) {
        this.fail(join(path, k), `unknown key (allowed: ${known.join(", ")})`);
      }
    }
    return v as Obj;
  }

  int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) {
      return this.fail(path, `expected an integer, got ${describe(v)}`);
    }
    if (v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      return this.fail(path, `must be ${range}, got ${v}`);
    }
    return v;
  }

  string(v: unknown, path: string, nonEmpty = true): string | undefined {
    if (typeof v !== "string") return this.fail(path, `expected a string, got ${describe(v)}`);
    if (nonEmpty && v.length === 0) return this.fail(path, "must not be empty");
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T | undefined {
    if (typeof v !== "string" || !(options as readonly string[]).includes(v)) {
      return this.fail(path, `expected one of ${options.join(", ")}, got ${describe(v)}`);
    }
    return v as T;
  }

  array(v: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `expected an array, got ${describe(v)}`);
    return v;
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/** Reads `obj[key]` if present, validates it with `f`, and writes it into `target[key]`. */
function field<T, K extends keyof T & string>(
  obj: Obj,
  key: K,
  target: T,
  f: (v: unknown, path: string) => T[K] | undefined,
  path: string,
): void {
  if (!(key in obj) || obj[key] === undefined) return;
  const v = f(obj[key], join(path, key));
  if (v !== undefined) target[key] = v;
}

const HOST_RE =
  /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|localhost|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)$/;

/** "host:port" with host an IPv4 address, [IPv6], or a DNS name; port 0..65535. */
export function checkHostPort(s: string): string | undefined {
  const i = s.lastIndexOf(":");
  if (i <= 0) return "expected host:port, e.g. 127.0.0.1:26657";
  const host = s.slice(0, i);
  const port = s.slice(i + 1);
  if (!HOST_RE.test(host)) return `invalid host ${JSON.stringify(host)}`;
  if (/^\d+(\.\d+){3}$/.test(host) && host.split(".").some((o) => Number(o) > 255)) {
    return `invalid IPv4 address ${JSON.stringify(host)}`;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    return `invalid port ${JSON.stringify(port)} (0..65535)`;
  }
  return undefined;
}

// A libp2p peer id in its base58btc form: "12D3KooW..." (ed25519) or "Qm..." (RSA, sha256).
const PEER_ID_RE = /^(?:12D3KooW[1-9A-HJ-NP-Za-km-z]{44}|Qm[1-9A-HJ-NP-Za-km-z]{44})$/;
const TRANSPORTS = new Set(["ip4", "ip6", "dns", "dns4", "dns6"]);

/** A dialable listen multiaddr: ip4/ip6/dns + tcp, nothing else. */
export function checkListenMultiaddr(s: string): string | undefined {
  let comps: { name: string; value?: string }[];
  try {
    comps = multiaddr(s).getComponents();
  } catch (e) {
    return `invalid multiaddr: ${(e as Error).message}`;
  }
  if (comps.length !== 2 || !TRANSPORTS.has(comps[0].name) || comps[1].name !== "tcp") {
    return "expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>";
  }
  return undefined;
}

/** A persistent peer: /(ip4|ip6|dns|dns4|dns6)/<host>/tcp/<port>/p2p/<peer id>. */
export function checkPeerMultiaddr(s: string): string | undefined {
  let comps: { name: string; value?: string }[];
  try {
    comps = multiaddr(s).getComponents();
  } catch (e) {
    return `invalid multiaddr: ${(e as Error).message}`;
  }
  if (
    comps.length !== 3 ||
    !TRANSPORTS.has(comps[0].name) ||
    comps[1].name !== "tcp" ||
    comps[2].name !== "p2p"
  ) {
    return "expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>/p2p/<peer id>";
  }
  if (!PEER_ID_RE.test(comps[2].value ?? "")) {
    return `invalid peer id ${JSON.stringify(comps[2].value)} (expected base58 12D3KooW… or Qm…)`;
  }
  return undefined;
}

/** Longest scenario start or duration: a year (node/feeds/scenarios.ts MAX_SCENARIO_MS). */
const MAX_SCENARIO_MS = 365 * 24 * 3_600_000;

const MARKET_RE = /^[A-Z0-9]{1,16}-[A-Z0-9]{1,16}$/;
const DECIMAL_RE = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;

function checkTimeoutPair(c: Checker, v: unknown, path: string, def: TimeoutPair) {
  const o = c.object(v, path, ["baseMs", "deltaMs"]);
  if (!o) return undefined;
  const out = { ...def };
  field(o, "baseMs", out, (x, p) => c.int(x, p, 1, 600_000), path);
  field(o, "deltaMs", out, (x, p) => c.int(x, p, 0, 600_000), path);
  return out;
}

function checkStringList(
  c: Checker,
  v: unknown,
  path: string,
  check: (s: string) => string | undefined,
): string[] | undefined {
  const arr = c.array(v, path);
  if (!arr) return undefined;
  const out: string[] = [];
  const seen = new Set<string>();
  arr.forEach((x, i) => {
    const s = c.string(x, join(path, i));
    if (s === undefined) return;
    const err = check(s);
    if (err !== undefined) c.fail(join(path, i), err);
    else if (seen.has(s)) c.fail(join(path, i), "duplicate entry");
    else {
      seen.add(s);
      out.push(s);
    }
  });
  return out;
}

function checkMarketId(s: string): string | undefined {
  return MARKET_RE.test(s) ? undefined : "expected a market id like BTC-USD";
}

function checkUrl(s: string): string | undefined {
  try {
    const u = new URL(s);
    if (u.protocol !== "http:" && u.protocol !== "https:") return "expected an http(s) URL";
    return undefined;
  } catch {
    return "expected an http(s) URL";
  }
}

function checkSimulated(c: Checker, o: Obj, path: string): SimulatedSourceConfig | undefined {
  const known = [
    "kind",
    "seed",
    "stepMs",
    "noisePpm",
    "validatorIndex",
    "epochMs",
    "scenario",
    "scenarioMarkets",
    "scenarioStartMs",
    "scenarioDurationMs",
    "markets",
  ];
  if (!c.object(o, path, known)) return undefined;
  const out: SimulatedSourceConfig = {
    kind: "simulated",
    seed: "perpetua",
    ...SIMULATED_DEFAULTS,
    scenarioMarkets: [],
    markets: {},
  };
  if (!("seed" in o)) c.fail(join(path, "seed"), "required");
  field(o, "seed", out, (x, p) => (typeof x === "number" ? String(x) : c.string(x, p)), path);
  field(o, "stepMs", out, (x, p) => c.int(x, p, 1, 3_600_000), path);
  field(o, "noisePpm", out, (x, p) => c.int(x, p, 0, 100_000), path);
  field(o, "validatorIndex", out, (x, p) => c.int(x, p, 0, 10_000), path);
  field(o, "epochMs", out, (x, p) => c.int(x, p, 0), path);
  field(o, "scenario", out, (x, p) => c.oneOf(x, p, SCENARIOS), path);
  field(o, "scenarioMarkets", out, (x, p) => checkStringList(c, x, p, checkMarketId), path);
  field(o, "scenarioStartMs", out, (x, p) => c.int(x, p, 0, MAX_SCENARIO_MS), path);
  field(o, "scenarioDurationMs", out, (x, p) => c.int(x, p, 1, MAX_SCENARIO_MS), path);
  // Timing that would be ignored is refused: a drill must not silently run at the default.
  if (out.scenario === "none") {
    for (const k of ["scenarioStartMs", "scenarioDurationMs"] as const) {
      if (out[k] !== undefined) c.fail(join(path, k), 'only with a scenario (scenario is "none")');
    }
  } else if (out.scenario === "gap" && out.scenarioDurationMs !== undefined) {
    c.fail(join(path, "scenarioDurationMs"), "a gap has no duration (it jumps at scenarioStartMs)");
  }
  if (!("markets" in o)) c.fail(join(path, "markets"), "required");
  field(
    o,
    "markets",
    out,
    (x, p) => {
      if (typeof x !== "object" || x === null || Array.isArray(x)) {
        return c.fail(p, `expected an object of market id -> { startPrice, volatilityPpm }`);
      }
      const markets: Record<string, SimulatedMarketConfig> = {};
      const ids = Object.keys(x);
      if (ids.length === 0) return c.fail(p, "must list at least one market");
      for (const id of ids) {
        const mp = join(p, id);
        const err = checkMarketId(id);
        if (err !== undefined) {
          c.fail(mp, err);
          continue;
        }
        const m = c.object((x as Obj)[id], mp, ["startPrice", "volatilityPpm"]);
        if (!m) continue;
        const start = c.string(m.startPrice, join(mp, "startPrice"));
        if (start !== undefined && (!DECIMAL_RE.test(start) || /^0(\.0+)?$/.test(start))) {
          c.fail(join(mp, "startPrice"), 'expected a positive decimal string like "60000.5"');
          continue;
        }
        const vol = c.int(m.volatilityPpm, join(mp, "volatilityPpm"), 0, 100_000);
        if (start !== undefined && vol !== undefined) {
          markets[id] = { startPrice: start, volatilityPpm: vol };
        }
      }
      return markets;
    },
    path,
  );
  return out;
}

function checkExchange(c: Checker, o: Obj, path: string): ExchangeSourceConfig | undefined {
  const known = [
    "kind",
    "exchanges",
    "markets",
    "pollMs",
    "timeoutMs",
    "staleMs",
    "minSources",
    "baseUrls",
    "symbols",
  ];
  if (!c.object(o, path, known)) return undefined;
  const out: ExchangeSourceConfig = {
    kind: "exchange",
    ...EXCHANGE_DEFAULTS,
    exchanges: [...EXCHANGE_DEFAULTS.exchanges],
    markets: [...EXCHANGE_DEFAULTS.markets],
    baseUrls: {},
    symbols: {},
  };
  field(
    o,
    "exchanges",
    out,
    (x, p) => {
      const list = checkStringList(c, x, p, (s) =>
        (EXCHANGES as readonly string[]).includes(s)
          ? undefined
          : `unknown exchange (known: ${EXCHANGES.join(", ")})`,
      );
      if (Array.isArray(x) && x.length === 0) return c.fail(p, "must not be empty");
      return list as ExchangeName[] | undefined;
    },
    path,
  );
  field(o, "markets", out, (x, p) => checkStringList(c, x, p, checkMarketId), path);
  field(o, "pollMs", out, (x, p) => c.int(x, p, 100, 3_600_000), path);
  field(o, "timeoutMs", out, (x, p) => c.int(x, p, 10, 60_000), path);
  field(o, "staleMs", out, (x, p) => c.int(x, p, 100, 3_600_000), path);
  field(o, "minSources", out, (x, p) => c.int(x, p, 1, EXCHANGES.length), path);
  field(
    o,
    "baseUrls",
    out,
    (x, p) => {
      const m = c.object(x, p, EXCHANGES);
      if (!m) return undefined;
      const urls: Partial<Record<ExchangeName, string>> = {};
      for (const [k, u] of Object.entries(m)) {
        const s = c.string(u, join(p, k));
        if (s === undefined) continue;
        const err = checkUrl(s);
        if (err !== undefined) c.fail(join(p, k), err);
        else urls[k as ExchangeName] = s;
      }
      return urls;
    },
    path,
  );
  field(
    o,
    "symbols",
    out,
    (x, p) => {
      if (typeof x !== "object" || x === null || Array.isArray(x)) {
        return c.fail(p, "expected an object of market id -> { exchange: symbol }");
      }
      const symbols: Record<string, Partial<Record<ExchangeName, string>>> = {};
      for (const [id, m] of Object.entries(x)) {
        const mp = join(p, id);
        const err = checkMarketId(id);
        if (err !== undefined) {
          c.fail(mp, err);
          continue;
        }
        const per = c.object(m, mp, EXCHANGES);
        if (!per) continue;
        symbols[id] = {};
        for (const [ex, sym] of Object.entries(per)) {
          const s = c.string(sym, join(mp, ex));
          if (s === undefined) continue;
          if (!/^[A-Za-z0-9_./-]{1,32}$/.test(s)) c.fail(join(mp, ex), "invalid symbol");
          else symbols[id][ex as ExchangeName] = s;
        }
      }
      return symbols;
    },
    path,
  );
  if (out.exchanges.length > 0 && out.minSources > out.exchanges.length) {
    c.fail(
      join(path, "minSources"),
      `${out.minSources} exceeds the ${out.exchanges.length} configured exchanges`,
    );
  }
  return out;
}

function checkSource(c: Checker, v: unknown, path: string): OracleSourceConfig | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return c.fail(path, `expected an object with "kind", got ${describe(v)}`);
  }
  const o = v as Obj;
  if (o.kind === "simulated") return checkSimulated(c, o, path);
  if (o.kind === "exchange") return checkExchange(c, o, path);
  return c.fail(join(path, "kind"), `expected "simulated" or "exchange", got ${describe(o.kind)}`);
}

/**
 * Validates a parsed config.json and fills in defaults. Throws ConfigError CONFIG_INVALID
 * listing every issue; `file` only labels the message.
 */
export function parseConfig(raw: unknown, file?: string): NodeConfig {
  const c = new Checker();
  const cfg = defaultConfig();
  const root = c.object(raw, "", [
    "moniker",
    "rpc",
    "p2p",
    "consensus",
    "mempool",
    "oracle",
    "log",
  ]);
  if (root) {
    field(root, "moniker", cfg, (x, p) => c.string(x, p), "");
    const rpc = "rpc" in root ? c.object(root.rpc, "rpc", Object.keys(cfg.rpc)) : undefined;
    if (rpc) {
      const hostPort = (x: unknown, p: string) => {
        const s = c.string(x, p);
        if (s === undefined) return undefined;
        const err = checkHostPort(s);
        return err === undefined ? s : c.fail(p, err);
      };
      field(rpc, "listen", cfg.rpc, hostPort, "rpc");
      field(rpc, "maxBodyBytes", cfg.rpc, (x, p) => c.int(x, p, 1024, 1 << 30), "rpc");
      field(rpc, "maxBatch", cfg.rpc, (x, p) => c.int(x, p, 1, 100_000), "rpc");
      field(rpc, "maxConnections", cfg.rpc, (x, p) => c.int(x, p, 1, 1_000_000), "rpc");
      field(rpc, "maxSubscriptionsPerClient", cfg.rpc, (x, p) => c.int(x, p, 0, 100_000), "rpc");
      field(
        rpc,
        "corsOrigins",
        cfg.rpc,
        (x, p) =>
          checkStringList(c, x, p, (s) =>
            s === "*" || checkUrl(s) === undefined ? undefined : "expected * or an http(s) origin",
          ),
        "rpc",
      );
    }
    const p2p = "p2p" in root ? c.object(root.p2p, "p2p", ["listen", "peers"]) : undefined;
    if (p2p) {
      field(
        p2p,
        "listen",
        cfg.p2p,
        (x, p) => {
          const s = c.string(x, p);
          if (s === undefined) return undefined;
          const err = checkListenMultiaddr(s);
          return err === undefined ? s : c.fail(p, err);
        },
        "p2p",
      );
      field(p2p, "peers", cfg.p2p, (x, p) => checkStringList(c, x, p, checkPeerMultiaddr), "p2p");
    }
    const cons =
      "consensus" in root ? c.object(root.consensus, "consensus", ["timeouts"]) : undefined;
    if (cons && "timeouts" in cons) {
      const steps = ["propose", "prevote", "precommit", "commit"] as const;
      const t = c.object(cons.timeouts, "consensus.timeouts", steps);
      if (t) {
        for (const step of steps) {
          field(
            t,
            step,
            cfg.consensus.timeouts,
            (x, p) => checkTimeoutPair(c, x, p, cfg.consensus.timeouts[step]),
            "consensus.timeouts",
          );
        }
      }
    }
    const mem =
      "mempool" in root ? c.object(root.mempool, "mempool", Object.keys(cfg.mempool)) : undefined;
    if (mem) {
      field(mem, "maxTxs", cfg.mempool, (x, p) => c.int(x, p, 1), "mempool");
      field(mem, "maxBytes", cfg.mempool, (x, p) => c.int(x, p, 1024), "mempool");
      field(mem, "maxTxsPerAccount", cfg.mempool, (x, p) => c.int(x, p, 1), "mempool");
      field(mem, "maxTxBytes", cfg.mempool, (x, p) => c.int(x, p, 64, 16 * 1024 * 1024), "mempool");
      field(mem, "verifyThreads", cfg.mempool, (x, p) => c.int(x, p, 0, 16), "mempool");
      if (cfg.mempool.maxTxBytes > cfg.mempool.maxBytes) {
        c.fail("mempool.maxTxBytes", `must not exceed mempool.maxBytes (${cfg.mempool.maxBytes})`);
      }
    }
    const oracle = "oracle" in root ? c.object(root.oracle, "oracle", ["sources"]) : undefined;
    if (oracle) {
      field(
        oracle,
        "sources",
        cfg.oracle,
        (x, p) => {
          const arr = c.array(x, p);
          if (!arr) return undefined;
          const out: OracleSourceConfig[] = [];
          arr.forEach((s, i) => {
            const src = checkSource(c, s, join(p, i));
            if (src) out.push(src);
          });
          return out;
        },
        "oracle",
      );
    }
    const log = "log" in root ? c.object(root.log, "log", ["level"]) : undefined;
    if (log) field(log, "level", cfg.log, (x, p) => c.oneOf(x, p, LOG_LEVELS), "log");
  }
  if (c.issues.length > 0) throw ConfigError.invalid(c.issues, file);
  return cfg;
}
