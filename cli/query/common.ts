/** Shared by `perpetua tx` and `perpetua query`: the node client, SDK errors as one line. */
import { DEFAULT_NODE_URL, PerpetuaClient } from "../../rpc/client/client.js";
import { PerpetuaClientError } from "../../rpc/client/errors.js";
import { type Args, bool, CliError, str } from "../args.js";

export function clientOf(args: Args): PerpetuaClient {
  const url = str(args, "node", process.env.PERPETUA_NODE ?? DEFAULT_NODE_URL);
  if (!/^https?:\/\/[^/]+/.test(url))
    throw new CliError(`--node: expected http://host:port, got "${url}"`);
  return new PerpetuaClient({ url, timeoutMs: 15_000 });
}

export function json(args: Args): boolean {
  return bool(args, "json");
}

/**
 * Runs a command body and turns SDK errors into one-line CLI errors with the code, e.g.
 * `error: bad_nonce (200): nonce 5 already used`.
 */
export async function withClientErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PerpetuaClientError) {
      const code =
        e.code === undefined ? "" : e.codeName ? `${e.codeName} (${e.code}): ` : `${e.code}: `;
      throw new CliError(`${code}${e.message}`);
    }
    throw e;
  }
}

/** A decimal string added to another without floats (for cumulative depth). */
export function addDecimal(a: string, b: string): string {
  const scale = Math.max(frac(a), frac(b));
  const sum = toUnits(a, scale) + toUnits(b, scale);
  return fromUnits(sum, scale);
}

function frac(s: string): number {
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.length - i - 1;
}

function toUnits(s: string, scale: number): bigint {
  const neg = s.startsWith("-");
  const [w, f = ""] = (neg ? s.slice(1) : s).split(".");
  const v =
    BigInt(w || "0") * 10n ** BigInt(scale) +
    BigInt((f + "0".repeat(scale)).slice(0, scale) || "0");
  return neg ? -v : v;
}

function fromUnits(v: bigint, scale: number): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const p = 10n ** BigInt(scale);
  const w = (a / p).toString();
  const f = scale > 0 ? `.${(a % p).toString().padStart(scale, "0")}` : "";
  return `${neg ? "-" : ""}${w}${f}`;
}
