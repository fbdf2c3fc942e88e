/** Shared by `perpetua tx` and `perpetua query`: the node client, SDK errors as one line. */
import { DEFAULT_NODE_URL, PerpetuaClient } from "../../rpc/client/client.js";
import { PerpetuaClientError } from "../../rpc/client/errors.js";
import { RpcCode } from "../../rpc/errors.js";
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

/** JSON-RPC 2.0's reserved codes by snake_case name: -32602 → "invalid_params". */
const RPC_CODE_NAMES = new Map<number, string>(
  Object.entries(RpcCode).map(([name, code]) => [code, name.toLowerCase()]),
);

/** The name of a JSON-RPC protocol code (-32768..-32000), if it has one. */
function rpcCodeName(code: number): string | undefined {
  return (
    RPC_CODE_NAMES.get(code) ?? (code <= -32000 && code >= -32099 ? "server_error" : undefined)
  );
}

/**
 * An SDK error as one line with its code's name: `bad_nonce (200): nonce 5 already used`,
 * `invalid_params (-32602): height: no liquidation at height 5`. A JSON-RPC message that
 * repeats the name ("Invalid params: …") loses that prefix.
 */
export function clientErrorLine(e: PerpetuaClientError): string {
  if (e.code === undefined) return e.message;
  const name = e.codeName ?? rpcCodeName(e.code);
  if (name === undefined) return `${e.code}: ${e.message}`;
  const phrase = `${name.replaceAll("_", " ")}: `;
  const message = e.message.toLowerCase().startsWith(phrase)
    ? e.message.slice(phrase.length)
    : e.message;
  return `${name} (${e.code}): ${message}`;
}

/** Runs a command body and turns SDK errors into one-line CLI errors (clientErrorLine). */
export async function withClientErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PerpetuaClientError) throw new CliError(clientErrorLine(e));
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
