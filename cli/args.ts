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
