/**
 * Typed errors of the SDK. Every error is a `PerpetuaClientError` with a `kind` to switch on
 * and, where the chain gave one, the stable numeric `code` of lib/errors.ts (bad_signature
 * 102, bad_nonce 200, insufficient_margin 400, …) or the JSON-RPC code (-32602, …).
 */
import { errorName } from "../../lib/errors.js";

export type ClientErrorKind =
  /** The node answered with a JSON-RPC error (bad params, unknown method, app error). */
  | "rpc"
  /** The transaction was refused by checkTx or failed as a whole when executed. */
  | "tx"
  /** Could not reach the node, or it answered something that is not JSON-RPC. */
  | "transport"
  /** Waited longer than allowed (commit, connection). */
  | "timeout";

export class PerpetuaClientError extends Error {
  readonly kind: ClientErrorKind;
  /** JSON-RPC code (negative) or application code (100-599); undefined for transport. */
  readonly code: number | undefined;
  /** The stable snake_case name of an application code ("bad_nonce"), when there is one. */
  readonly codeName: string | undefined;
  readonly data: unknown;
  /** The transaction hash (upper-case hex) for kind "tx" and "timeout" of a send. */
  readonly txHash: string | undefined;
  constructor(
    kind: ClientErrorKind,
    message: string,
    extra: { code?: number; data?: unknown; txHash?: string } = {},
  ) {
    super(message);
    this.name = "PerpetuaClientError";
    this.kind = kind;
    this.code = extra.code;
    this.codeName =
      extra.code !== undefined && extra.code > 0 && extra.code < 1000
        ? errorName(extra.code)
        : undefined;
    this.data = extra.data;
    this.txHash = extra.txHash;
  }
}

export function isClientError(e: unknown, kind?: ClientErrorKind): e is PerpetuaClientError {
  return e instanceof PerpetuaClientError && (kind === undefined || e.kind === kind);
}
