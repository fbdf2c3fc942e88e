/**
 * The in-process network of the simulator: every send goes through the link faults (drop,
 * duplicate, delay with jitter, hence reordering) and the current partition, then is
 * delivered at a virtual time by the scheduler.
 */
import type { PeerId, Transport } from "../../consensus/transport.js";
import type { ConsensusMessage } from "../../consensus/types/messages.js";
import type { Prng } from "./prng.js";
import type { Scheduler } from "./scheduler.js";

export interface LinkFaults {
  dropRate: number;
  dupRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const PERFECT_LINKS: LinkFaults = { dropRate: 0, dupRate: 0, minDelayMs: 0, maxDelayMs: 0 };

export type Deliver = (from: PeerId, msg: ConsensusMessage) => Promise<void>;

/** true = the link from a to b is up. */
export type Partition = (a: PeerId, b: PeerId) => boolean;

export class SimNetwork {
  faults: LinkFaults = { ...PERFECT_LINKS };
  partition: Partition | null = null;
  /** Per-sender hook (byzantine behaviour): may replace what `from` sends to `to`. */
  readonly rewrite = new Map<PeerId, (to: PeerId, msg: ConsensusMessage) => ConsensusMessage>();
  private readonly nodes = new Map<PeerId, Deliver>();
  sent = 0;
  delivered = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly prng: Prng,
  ) {}

  register(id: PeerId, deliver: Deliver): void {
    this.nodes.set(id, deliver);
  }

  peers(): PeerId[] {
    return [...this.nodes.keys()];
  }

  transportFor(id: PeerId): Transport {
    return {
      broadcast: (msg) => {
        for (const to of this.nodes.keys()) if (to !== id) this.send(id, to, msg);
      },
      send: (to, msg) => this.send(id, to, msg),
      setHandler: () => {},
    };
  }

  send(from: PeerId, to: PeerId, msg: ConsensusMessage): void {
    this.sent++;
    if (this.partition && !this.partition(from, to)) return;
    const f = this.faults;
    if (this.prng.chance(f.dropRate)) return;
    const rw = this.rewrite.get(from);
    const m = rw ? rw(to, msg) : msg;
    const copies = this.prng.chance(f.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = f.maxDelayMs > 0 ? this.prng.range(f.minDelayMs, f.maxDelayMs) : f.minDelayMs;
      this.sched.after(delay, async () => {
        const d = this.nodes.get(to);
        if (!d) return;
        this.delivered++;
        await d(from, m);
      });
    }
  }
}
