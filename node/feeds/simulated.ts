/**
 * A deterministic simulated feed for devnets and tests.
 *
 * Per market, a shared random walk: at each step of `stepMs` the price moves by a uniform
 * integer in [-volatilityPpm, +volatilityPpm] ppm, drawn from (seed, market, step) — the
 * same for every validator with the same seed. A scenario multiplier scripts the path on
 * top (crash, grind, gap). Then each validator adds its own noise, uniform in
 * [-noisePpm, +noisePpm] from (seed, validatorIndex, market, step), so reports differ
 * slightly as real validators' would and the on-chain median has something to do.
 *
 *   walk(n)  = walk(n-1) × (10^6 + step_n) / 10^6            (floor, in 10^-8 units)
 *   price    = walk(n) × scenario(market, t) / 10^6 × (10^6 + noise_v,n) / 10^6
 *   n        = floor(t / stepMs),  t = clock.now() − epochMs
 *
 * Given the seed and t the output is fully determined: no state but a cache of the walk.
 */
import type { Logger } from "pino";
import { formatDec, parseDec } from "./decimal.js";
import { uniformSymmetric } from "./random.js";
import { noScenario, type Scenario } from "./scenarios.js";
import { type Clock, FeedError, type OracleFeed, systemClock } from "./types.js";

/** Prices are computed in 10^-8 units: finer than any tick, within state's 18-decimal bound. */
const DECIMALS = 8;
const PPM = 1_000_000n;

export interface SimulatedMarket {
  startPrice: string;
  volatilityPpm: number;
}

export interface SimulatedFeedOptions {
  seed: string;
  validatorIndex: number;
  stepMs: number;
  noisePpm: number;
  markets: Readonly<Record<string, SimulatedMarket>>;
  scenario?: Scenario;
  /** Time origin shared by validators (genesis time); the clock at start() when absent. */
  epochMs?: number;
}

/** Checkpoint spacing of the walk cache: memory O(steps / 256), any step in <= 255 draws. */
const CHECKPOINT = 256;

interface Walk {
  volatilityPpm: number;
  /** checkpoints[i] = walk(i × CHECKPOINT). */
  checkpoints: bigint[];
  /** The most recent step computed and its value (the common case is the next step). */
  lastStep: number;
  lastValue: bigint;
}

export class SimulatedFeed implements OracleFeed {
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly walks = new Map<string, Walk>();
  private readonly scenario: Scenario;
  private epochMs: number | undefined;

  constructor(
    private readonly opts: SimulatedFeedOptions,
    deps: { clock?: Clock; logger?: Logger } = {},
  ) {
    if (!Number.isSafeInteger(opts.stepMs) || opts.stepMs <= 0) {
      throw new RangeError("stepMs must be a positive integer");
    }
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.scenario = opts.scenario ?? noScenario;
    for (const [id, m] of Object.entries(opts.markets)) {
      const d = parseDec(m.startPrice);
      if (d.scale > DECIMALS || d.int === 0n) {
        throw new FeedError(
          "FEED_INVALID_DECIMAL",
          `${id}: startPrice must be > 0 with <= 8 decimals`,
        );
      }
      const start = d.int * 10n ** BigInt(DECIMALS - d.scale);
      this.walks.set(id, {
        volatilityPpm: m.volatilityPpm,
        checkpoints: [start],
        lastStep: 0,
        lastValue: start,
      });
    }
  }

  async start(): Promise<void> {
    this.epochMs = this.opts.epochMs ?? this.clock.now();
    this.logger?.info(
      {
        markets: [...this.walks.keys()],
        validatorIndex: this.opts.validatorIndex,
        epochMs: this.epochMs,
      },
      "simulated oracle feed started",
    );
  }

  async stop(): Promise<void> {
    this.epochMs = undefined;
  }

  /** This validator's prices now; empty before start(). */
  prices(): Record<string, string> {
    if (this.epochMs === undefined) return {};
    const elapsed = Math.max(0, this.clock.now() - this.epochMs);
    const out: Record<string, string> = {};
    for (const id of this.walks.keys()) out[id] = this.priceAt(id, elapsed);
    return out;
  }

  /** This validator's price of `marketId` at `elapsedMs` after the epoch. */
  priceAt(marketId: string, elapsedMs: number): string {
    const step = this.stepOf(elapsedMs);
    const base = this.scaled(marketId, elapsedMs, step);
    const noise = BigInt(
      uniformSymmetric(
        this.opts.noisePpm,
        this.opts.seed,
        "noise",
        this.opts.validatorIndex,
        marketId,
        step,
      ),
    );
    return format((base * (PPM + noise)) / PPM);
  }

  /** The shared price (walk × scenario) without this validator's noise. */
  basePriceAt(marketId: string, elapsedMs: number): string {
    return format(this.scaled(marketId, elapsedMs, this.stepOf(elapsedMs)));
  }

  private stepOf(elapsedMs: number): number {
    if (!Number.isFinite(elapsedMs) || elapsedMs < 0)
      throw new RangeError("elapsedMs must be >= 0");
    return Math.floor(elapsedMs / this.opts.stepMs);
  }

  private scaled(marketId: string, elapsedMs: number, step: number): bigint {
    const walk = this.walks.get(marketId);
    if (walk === undefined)
      throw new FeedError("FEED_UNKNOWN_MARKET", `unknown market ${marketId}`);
    const mult = this.scenario(marketId, elapsedMs);
    if (!Number.isSafeInteger(mult) || mult < 0) {
      throw new RangeError(`scenario multiplier must be a non-negative integer ppm, got ${mult}`);
    }
    const v = (this.walkAt(walk, marketId, step) * BigInt(mult)) / PPM;
    return v > 0n ? v : 1n; // never report a zero price, however deep the crash
  }

  private walkAt(w: Walk, marketId: string, step: number): bigint {
    let n: number;
    let v: bigint;
    if (step >= w.lastStep) {
      n = w.lastStep;
      v = w.lastValue;
    } else {
      n = Math.floor(step / CHECKPOINT) * CHECKPOINT;
      v = w.checkpoints[n / CHECKPOINT];
    }
    while (n < step) {
      n++;
      const d = BigInt(uniformSymmetric(w.volatilityPpm, this.opts.seed, "walk", marketId, n));
      v = (v * (PPM + d)) / PPM;
      if (v <= 0n) v = 1n;
      if (n % CHECKPOINT === 0 && n / CHECKPOINT === w.checkpoints.length) w.checkpoints.push(v);
    }
    if (step >= w.lastStep) {
      w.lastStep = step;
      w.lastValue = v;
    }
    return v;
  }
}

function format(v: bigint): string {
  return formatDec({ int: v, scale: DECIMALS });
}
