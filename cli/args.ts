/**
 * Command-line parsing shared by every command: `--flag value`, `--flag=value`, boolean
 * `--flag`, positionals. A user error is a CliError: printed as one line, exit code 1.
 */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

export interface Args {
  readonly positionals: string[];
  readonly flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) {
        flags.set(a.slice(2, eq), a.slice(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
        flags.set(a.slice(2), argv[++i]);
      } else {
        flags.set(a.slice(2), true);
      }
    } else {
      positionals.push(a);
    }
  }
  return { positionals, flags };
}

export function str(args: Args, name: string, fallback?: string): string {
  const v = args.flags.get(name);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new CliError(`missing --${name}`);
  }
  if (v === true) throw new CliError(`--${name} needs a value`);
  return v;
}

export function int(
  args: Args,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = args.flags.get(name);
  if (v === undefined) return fallback;
  const n = v === true ? Number.NaN : Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be an integer in ${min}..${max}`);
  return n;
}

export function bool(args: Args, name: string): boolean {
  const v = args.flags.get(name);
  if (v === undefined) return false;
  if (v === true || v === "true") return true;
  if (v === "false") return false;
  throw new CliError(`--${name} takes no value`);
}

/** What a duration flag accepts, in milliseconds. */
export interface DurationBounds {
  readonly minMs: number;
  readonly maxMs: number;
  /**
   * A plain number is seconds (`45`), the default. `false`: a unit is required except for
   * `0` (for flags whose value lands in a field counted in ms, where `10` is ambiguous).
   */
  readonly plainSeconds?: boolean;
}

const DURATION_UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DAY_MS = 86_400_000;

/** `0`, `1ms`, `1s`, `2m`, `24h` → as written; whole days as `365 days`. */
function durationText(ms: number): string {
  if (ms === 0) return "0";
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} day${ms === DAY_MS ? "" : "s"}`;
  for (const unit of ["h", "m", "s"]) {
    if (ms % DURATION_UNIT_MS[unit] === 0) return `${ms / DURATION_UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * The value of `--flag`: `1500ms`, `30s`, `1.5m`, `1h` or plain seconds (`45`, see
 * `plainSeconds`), surrounding spaces ignored → milliseconds (rounded to the nearest ms),
 * within `minMs..maxMs`. Every error is one line naming the flag.
 */
export function parseDuration(flag: string, text: string, bounds: DurationBounds): number {
  const plainSeconds = bounds.plainSeconds ?? true;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  // A bare number is seconds; where a unit is required, only 0 (the same in every unit).
  if (!m || (m[2] === undefined && !plainSeconds && m[1] !== "0")) {
    const forms = plainSeconds ? "30s, 1500ms, 2m or plain seconds" : "30s, 1500ms or 2m";
    throw new CliError(`--${flag}: expected a duration like ${forms}, got "${text}"`);
  }
  const ms = Math.round(Number(m[1]) * DURATION_UNIT_MS[m[2] ?? "s"]);
  if (!(ms >= bounds.minMs && ms <= bounds.maxMs)) {
    throw new CliError(
      `--${flag} must be ${durationText(bounds.minMs)}..${durationText(bounds.maxMs)}, got "${text}"`,
    );
  }
  return ms;
}

/** `--name T` through parseDuration; undefined when the flag is absent. */
export function duration(args: Args, name: string, bounds: DurationBounds): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (v === true) throw new CliError(`--${name} needs a value, e.g. 30s`);
  return parseDuration(name, v, bounds);
}

/** Rejects flags the command does not know (typos should not pass silently). */
export function only(args: Args, allowed: readonly string[]): void {
  for (const k of args.flags.keys()) {
    if (!allowed.includes(k)) throw new CliError(`unknown flag --${k}`);
  }
}

/** An aligned text table (human output); `--json` prints machine output instead. */
export function table(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) {
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i] ?? 0, r[i].length);
  }
  const fmt = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const out = all.map(fmt);
  if (header) out.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return out.join("\n");
}
