/**
 * Config and home-directory errors. `perpetua start` prints `message` as its one line; the
 * issues list carries every problem found (not just the first), each with the JSON path of
 * the field and the reason, so an operator fixes config.json in one pass.
 */

export type ConfigErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "CONFIG_PARSE"
  | "KEY_EXISTS"
  | "KEY_INVALID"
  | "KEY_NOT_FOUND"
  | "FILE_EXISTS";

export interface ConfigIssue {
  /** JSON path of the offending field, e.g. "rpc.listen" or "p2p.peers[2]". */
  path: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;

  constructor(
    code: ConfigErrorCode,
    message: string,
    opts: { issues?: ConfigIssue[]; file?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ConfigError";
    this.code = code;
    this.issues = opts.issues ?? [];
    this.file = opts.file;
  }

  static invalid(issues: ConfigIssue[], file?: string): ConfigError {
    const where = file ? `${file}: ` : "";
    const list = issues.map((i) => `${i.path || "(root)"}: ${i.reason}`).join("; ");
    return new ConfigError("CONFIG_INVALID", `${where}invalid config: ${list}`, { issues, file });
  }
}
