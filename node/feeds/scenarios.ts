/**
 * Scripted price paths for devnets: a scenario maps (market, elapsed ms since the feed's
 * epoch) to a multiplier in ppm (1_000_000 = unchanged) applied on top of the random walk.
 * They are pure functions of their arguments, so every validator of a devnet sees the same
 * crash at the same moment (give them the same epoch).
 */
import type { ScenarioName } from "../config/schema.js";

export type Scenario = (marketId: string, elapsedMs: number) => number;

export const UNCHANGED_PPM = 1_000_000;

export const noScenario: Scenario = () => UNCHANGED_PPM;

interface Targeted {
  /** Markets affected; all when absent or empty. */
  markets?: readonly string[];
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

export interface CrashOptions extends Targeted {
  startMs?: number;
  durationMs?: number;
  dropPpm?: number;
}

/** A crash: -30 % over one minute, starting one minute in (defaults), then flat. */
export function crashScenario(o: CrashOptions = {}): Scenario {
  const startMs = o.startMs ?? 60_000;
  const durationMs = o.durationMs ?? 60_000;
  const dropPpm = o.dropPpm ?? 300_000;
  return (m, t) => (applies(o, m) ? ramp(t, startMs, durationMs, -dropPpm) : UNCHANGED_PPM);
}

export interface GrindOptions extends Targeted {
  startMs?: number;
  durationMs?: number;
  /** Total change over the grind, signed (default -20 %). */
  changePpm?: number;
}

/** A slow grind: -20 % spread over 30 minutes from the start (defaults), then flat. */
export function grindScenario(o: GrindOptions = {}): Scenario {
  const startMs = o.startMs ?? 0;
  const durationMs = o.durationMs ?? 30 * 60_000;
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
  const atMs = o.atMs ?? 60_000;
  const gapPpm = o.gapPpm ?? -150_000;
  return (m, t) => (applies(o, m) && t >= atMs ? UNCHANGED_PPM + gapPpm : UNCHANGED_PPM);
}

export function scenarioByName(name: ScenarioName, markets: readonly string[] = []): Scenario {
  switch (name) {
    case "none":
      return noScenario;
    case "crash":
      return crashScenario({ markets });
    case "grind":
      return grindScenario({ markets });
    case "gap":
      return gapScenario({ markets });
  }
}
