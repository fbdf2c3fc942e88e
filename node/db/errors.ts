/**
 * Typed storage errors. The node treats every one of them as fatal for the block being
 * committed (a block is either fully persisted or not at all), so the code tells the
 * operator what to do: DB_CLOSED is a shutdown race or a bug, DB_LOCKED means another
 * process owns the data directory, DB_CORRUPT means restore from a backup or resync.
 */

export type DbErrorCode =
  | "DB_CLOSED"
  | "DB_LOCKED"
  | "DB_OPEN_FAILED"
  | "DB_WRITE_FAILED"
  | "DB_READ_FAILED"
  | "DB_CORRUPT"
  | "DB_INVALID_KEY";

export class DbError extends Error {
  readonly code: DbErrorCode;
  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DbError";
    this.code = code;
  }
}

export function isDbError(e: unknown, code?: DbErrorCode): e is DbError {
  return e instanceof DbError && (code === undefined || e.code === code);
}
