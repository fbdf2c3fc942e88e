/**
 * The flags of `perpetua bench`, checked once at the edge: every user error is a CliError
 * naming the flag, so the command prints one line and exits 1 before touching a node.
 */
import { DEFAULT_NODE_URL } from "../../rpc/client/client.js";
import { MAX_MSGS_PER_TX } from "../../rpc/client/tx.js";
import {
  type Args,
  bool,
  CliError,
  type DurationBounds,
  duration,
  int,
  only,
  str,
} from "../args.js";

/**
 * Hyperliquid's nonce window is 100 per account: more than 100 of an account's
 * transactions in flight could push a lower nonce out of the window before it commits.
 * Half of it leaves room for reordering across nodes.
 */
export const MAX_IN_FLIGHT_PER_ACCOUNT = 50;

export interface BenchOptions {
  /** RPC base URLs; accounts are spread over them, commits are followed on the first. */
  readonly nodes: string[];
  readonly durationMs: number;
  /** Target tx/s; undefined = open loop (as fast as the in-flight window allows). */
  readonly rate: number | undefined;
  readonly ordersPerTx: number;
  readonly accounts: number;
  /** Most of our transactions accepted by a mempool and not yet seen committed. */
  readonly inFlight: number;
  readonly json: boolean;
}

/** `--duration`: `30s`, `2m`, `1.5m`, `1h` or plain seconds (`45`); 1 s to 24 h. */
const BENCH_DURATION: DurationBounds = { minMs: 1000, maxMs: 86_400_000 };

export const BENCH_FLAGS = [
  "node",
  "duration",
  "rate",
  "orders-per-tx",
  "accounts",
  "in-flight",
  "json",
] as const;

export function parseBenchOptions(args: Args): BenchOptions {
  only(args, BENCH_FLAGS);
  if (args.positionals.length > 0)
    throw new CliError(`unexpected argument "${args.positionals[0]}"`);
  const nodes = parseNodes(str(args, "node", process.env.PERPETUA_NODE ?? DEFAULT_NODE_URL));
  const durationMs = duration(args, "duration", BENCH_DURATION) ?? 30_000;
  const rate = args.flags.has("rate") ? int(args, "rate", 0, 1, 1_000_000) : undefined;
  const ordersPerTx = int(args, "orders-per-tx", 50, 1, MAX_MSGS_PER_TX);
  const accounts = int(args, "accounts", 64, 1, 10_000);
  const maxInFlight = accounts * MAX_IN_FLIGHT_PER_ACCOUNT;
  const inFlight = int(args, "in-flight", Math.min(1024, maxInFlight), 1, 100_000);
  if (inFlight > maxInFlight) {
    throw new CliError(
      `--in-flight ${inFlight} is more than ${MAX_IN_FLIGHT_PER_ACCOUNT} per account (the nonce window); raise --accounts to at least ${Math.ceil(inFlight / MAX_IN_FLIGHT_PER_ACCOUNT)}`,
    );
  }
  return { nodes, durationMs, rate, ordersPerTx, accounts, inFlight, json: bool(args, "json") };
}

/** `http://a:1,http://b:2` → distinct base URLs without trailing slashes. */
export function parseNodes(list: string): string[] {
  const out: string[] = [];
  for (const raw of list.split(",")) {
    const url = raw.trim().replace(/\/+$/, "");
    if (!/^https?:\/\/[^/\s]+$/.test(url))
      throw new CliError(`--node: expected http://host:port, got "${raw.trim()}"`);
    if (!out.includes(url)) out.push(url);
  }
  return out;
}
