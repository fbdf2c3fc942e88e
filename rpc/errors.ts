/**
 * JSON-RPC 2.0 errors and how every thrown value maps onto one.
 *
 * Mapping (also in rpc/README.md):
 * - `RpcError` keeps its code, message and data.
 * - `PerpetuaError` with INVALID_FIELD (the error lib/schema throws) becomes -32602 "Invalid
 *   params: <path>: <why>", so a schema failure always names its field.
 * - any other `PerpetuaError` keeps its stable application code (100..599, never colliding
 *   with the reserved -32768..-32000 range), its readable message, and `data` = the code's
 *   snake_case name (`errorName`), e.g. `{code: 501, message: "rate limited: …", data:
 *   "rate_limited"}`.
 * - anything else is -32603 "Internal error" with no detail: stacks and internal messages
 *   are logged, never sent.
 */
import { ErrorCode, errorName, isPerpetuaError } from "../lib/errors.js";

export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result?: unknown;
  error?: JsonRpcErrorObject;
}

/** An error that reaches the client as is. */
export class RpcError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }
}

export function parseError(detail: string): RpcError {
  return new RpcError(RpcCode.PARSE_ERROR, `Parse error: ${detail}`, detail);
}
export function invalidRequest(detail: string): RpcError {
  return new RpcError(RpcCode.INVALID_REQUEST, `Invalid request: ${detail}`, detail);
}
export function methodNotFound(method: string): RpcError {
  return new RpcError(
    RpcCode.METHOD_NOT_FOUND,
    `Method not found: ${method}`,
    `method ${JSON.stringify(method)} does not exist on this transport`,
  );
}
/** `detail` names the offending field first, e.g. "height: expected an integer". */
export function invalidParams(detail: string): RpcError {
  return new RpcError(RpcCode.INVALID_PARAMS, `Invalid params: ${detail}`, detail);
}
export function rateLimited(): RpcError {
  return new RpcError(
    ErrorCode.RATE_LIMITED,
    "rate limited: too many requests from this address, retry later",
    errorName(ErrorCode.RATE_LIMITED),
  );
}
export function tooLarge(detail: string): RpcError {
  return new RpcError(ErrorCode.TOO_LARGE, `too large: ${detail}`, errorName(ErrorCode.TOO_LARGE));
}

export interface MappedError {
  error: JsonRpcErrorObject;
  /** True when the server should log it as its own fault (with the original stack). */
  internal: boolean;
}

/** Turns any thrown value into the error object sent to the client. */
export function toRpcError(e: unknown): MappedError {
  if (e instanceof RpcError) {
    const error: JsonRpcErrorObject = { code: e.code, message: e.message };
    if (e.data !== undefined) error.data = e.data;
    return { error, internal: e.code === RpcCode.INTERNAL_ERROR };
  }
  if (isPerpetuaError(e)) {
    if (e.code === ErrorCode.INVALID_FIELD) {
      return { error: invalidParamsObject(e.message), internal: false };
    }
    if (e.code === ErrorCode.INTERNAL) {
      return { error: internalObject(), internal: true };
    }
    return {
      error: { code: e.code, message: e.message, data: errorName(e.code) },
      internal: false,
    };
  }
  return { error: internalObject(), internal: true };
}

function invalidParamsObject(detail: string): JsonRpcErrorObject {
  return { code: RpcCode.INVALID_PARAMS, message: `Invalid params: ${detail}`, data: detail };
}

function internalObject(): JsonRpcErrorObject {
  return { code: RpcCode.INTERNAL_ERROR, message: "Internal error" };
}

export function errorResponse(id: JsonRpcId, error: JsonRpcErrorObject): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error };
}

export function successResponse(id: JsonRpcId, result: unknown): JsonRpcResponse {
  return { jsonrpc: "2.0", id, result };
}
