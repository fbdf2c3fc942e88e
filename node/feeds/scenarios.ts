/**
 * Scripted price paths for devnets: a scenario maps (market, elapsed ms since the feed's
 * epoch) to a multiplier in ppm (1_000_000 = unchanged) applied on top of the random walk.
 * They are pure functions of their arguments, so every validator of a devnet sees the same
 * crash at the same moment (give them the same epoch).
 *
 * Each scenario has a default timing (a crash one minute in, lasting one minute); a
 * `ScenarioTiming` moves or shortens it, so a drill can run in seconds (tests) or be timed
 * to a demo. Timing is checked here, at the edge: a bad value throws a RangeError naming it.
 */
import type { ScenarioName } from "../config/schema.js";

export type Scenario = (marketId: string, elapsedMs: number) => number;

export const UNCHANGED_PPM = 1_000_000;

export const noScenario: Scenario = () => UNCHANGED_PPM;

interface Targeted {
  /** Markets affected; all when absent or empty. */
  markets?: readonly string[];
}

/** When a scripted path starts and how long it takes, in ms after the feed's epoch. */
export interface ScenarioTiming {
  /** Start of the path (a gap's jump), ms after the epoch; >= 0. */
  startMs?: number;
  /** Length of a crash or grind, ms; > 0. A gap has none (it is instantaneous). */
  durationMs?: number;
}

/** Each scenario's timing when none is given (what `perpetua devnet --scenario X` runs). */
export const DEFAULT_TIMING = {
  crash: { startMs: 60_000, durationMs: 60_000 },
  grind: { startMs: 0, durationMs: 30 * 60_000 },
  gap: { startMs: 60_000 },
} as const satisfies Record<Exclude<ScenarioName, "none">, ScenarioTiming>;

/**
 * Longest start or duration accepted: a year, far beyond any drill, well inside 2^53 (a
 * resumed devnet's scenario starts the devnet's age after the epoch).
 */
export const MAX_SCENARIO_MS = 365 * 24 * 3_600_000;

/** An optional time of a scenario: an integer in min..MAX_SCENARIO_MS ms, or a RangeError. */
function checkMs(what: string, name: string, v: number | undefined, min: 0 | 1): void {
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || v < min || v > MAX_SCENARIO_MS) {
    throw new RangeError(
      `${what}: ${name} must be an integer in ${min}..${MAX_SCENARIO_MS} ms (365 days), got ${v}`,
    );
  }
}

function checkTiming(what: string, t: ScenarioTiming): void {
  checkMs(what, "startMs", t.startMs, 0);
  checkMs(what, "durationMs", t.durationMs, 1);
}

function applies(t: Targeted, market: string): boolean {
  return t.markets === undefined || t.markets.length === 0 || t.markets.includes(market);
}

/** Linear ramp of `changePpm` between startMs and startMs + durationMs, held afterwards. */
function ramp(elapsedMs: number, startMs: number, durationMs: number, changePpm: number): number {
  if (elapsedMs <= startMs) return UNCHANGED_PPM;
  if (elapsedMs >= startMs + durationMs) return UNCHANGED_PPM + changePpm;
  // Integer interpolation; truncation toward zero keeps the path monotone.
  return UNCHANGED_PPM + Math.trunc((changePpm * (elapsedMs - startMs)) / durationMs);
}

export interface CrashOptions extends Targeted, ScenarioTiming {
  dropPpm?: number;
}

/** A crash: -30 % over one minute, starting one minute in (defaults), then flat. */
export function crashScenario(o: CrashOptions = {}): Scenario {
  checkTiming("crash", o);
  const startMs = o.startMs ?? DEFAULT_TIMING.crash.startMs;
  const durationMs = o.durationMs ?? DEFAULT_TIMING.crash.durationMs;
  const dropPpm = o.dropPpm ?? 300_000;
  return (m, t) => (applies(o, m) ? ramp(t, startMs, durationMs, -dropPpm) : UNCHANGED_PPM);
}

export interface GrindOptions extends Targeted, ScenarioTiming {
  /** Total change over the grind, signed (default -20 %). */
  changePpm?: number;
}

/** A slow grind: -20 % spread over 30 minutes from the start (defaults), then flat. */
export function grindScenario(o: GrindOptions = {}): Scenario {
  checkTiming("grind", o);
  const startMs = o.startMs ?? DEFAULT_TIMING.grind.startMs;
  const durationMs = o.durationMs ?? DEFAULT_TIMING.grind.durationMs;
  const changePpm = o.changePpm ?? -200_000;
  return (m, t) => (applies(o, m) ? ramp(t, startMs, durationMs, changePpm) : UNCHANGED_PPM);
}

export interface GapOptions extends Targeted {
  atMs?: number;
  /** Signed jump (default -15 %). */
  gapPpm?: number;
}

/** A gap: the price jumps by gapPpm at one instant (one minute in by default), no path between. */
export function gapScenario(o: GapOptions = {}): Scenario {
  checkMs("gap", "atMs", o.atMs, 0);
  const atMs = o.atMs ?? DEFAULT_TIMING.gap.startMs;
  const gapPpm = o.gapPpm ?? -150_000;
  return (m, t) => (applies(o, m) && t >= atMs ? UNCHANGED_PPM + gapPpm : UNCHANGED_PPM);
}

/**
 * The named scenario over `markets` (all when empty), at its default timing unless `timing`
 * moves it. Timing with "none", or a duration for "gap", is refused rather than ignored: a
 * drill that silently runs at the default minute is worse than an error.
 */
export function scenarioByName(
  name: ScenarioName,
  markets: readonly string[] = [],
  timing: ScenarioTiming = {},
): Scenario {
  const { startMs, durationMs } = timing;
  const t = {
    ...(startMs !== undefined ? { startMs } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
  switch (name) {
    case "none":
      if (startMs !== undefined || durationMs !== undefined) {
        throw new RangeError("scenario none takes no timing (startMs, durationMs)");
      }
      return noScenario;
    case "crash":
      return crashScenario({ markets, ...t });
    case "grind":
      return grindScenario({ markets, ...t });
    case "gap":
      if (durationMs !== undefined) {
        throw new RangeError("gap: no durationMs (the jump is instantaneous, at startMs)");
      }
      return gapScenario({ markets, ...(startMs !== undefined ? { atMs: startMs } : {}) });
  }
}
