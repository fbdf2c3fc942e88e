/** The result of one message: a stable code, a readable log and, for orders, what happened. */
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";

export interface MsgResult {
  readonly code: number;
  readonly log: string;
  readonly orderId?: number;
  /** filled | partially_filled | resting | cancelled | untriggered | triggered */
  readonly status?: string;
  /** Filled size as a decimal string. */
  readonly filled?: string;
  /** Number of orders cancelled (cancel_all). */
  readonly cancelled?: number;
}

export function ok(log: string, extra: Omit<MsgResult, "code" | "log"> = {}): MsgResult {
  return { code: ErrorCode.OK, log, ...extra };
}

export function failure(e: unknown): MsgResult {
  if (e instanceof PerpetuaError) return { code: e.code, log: e.message };
  throw e;
}
