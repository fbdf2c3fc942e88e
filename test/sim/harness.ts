/**
 * The deterministic consensus simulator: N validators (plus twins) running the real
 * machine, driver, WAL and signer over the in-process network on virtual time, with a
 * safety checker. Everything random comes from one seeded PRNG, so a seed replays exactly.
 *
 * Faults: link drop / duplication / delay (reordering), partitions that heal, crashes at
 * any durable step with restart from the node's WAL, signer state, block store and app
 * disk, clock skew, Twins (two nodes sharing one key, each with its own signer state) and
 * an equivocating proposer (different blocks to different peers).
 *
 * Checks: no two honest nodes commit different blocks at a height (forks); no honest key
 * ever signs two different votes or proposals for one (height, round, step) — i.e. no
 * double signing across crashes; evidence in the canonical chain is committed at most once.
 */

import { MemoryBlockStore } from "../../consensus/blockStore.js";
import { type CrashPoint, SimulatedCrash } from "../../consensus/crash.js";
import { insecureTestScheme, type SignatureScheme } from "../../consensus/crypto.js";
import { Driver, type TxSource } from "../../consensus/driver.js";
import type { TimeoutConfig } from "../../consensus/machine/timeouts.js";
import { GuardedSigner } from "../../consensus/signer/guardedSigner.js";
import { MemorySignerStorage } from "../../consensus/signer/memorySignerStorage.js";
import type { Timers } from "../../consensus/timers.js";
import { type Block, blockHash, dataHash } from "../../consensus/types/block.js";
import type { Commit } from "../../consensus/types/commit.js";
import { evidenceHash } from "../../consensus/types/evidence.js";
import type { ConsensusMessage } from "../../consensus/types/messages.js";
import { proposalSignBytes } from "../../consensus/types/proposal.js";
import { MemoryWal } from "../../consensus/wal/memoryWal.js";
import { addressBytes } from "../../lib/address.js";
import { toHex, utf8 } from "../../lib/bytes.js";
import { sha256 } from "../../lib/hash.js";
import { type LinkFaults, SimNetwork } from "./network.js";
import { Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";
import { type ExtensionMode, GENESIS_APP_HASH, TestApp, TestAppDisk } from "./testApp.js";

export const SIM_TIMEOUTS: TimeoutConfig = {
  proposeMs: 400,
  proposeDeltaMs: 200,
  prevoteMs: 200,
  prevoteDeltaMs: 100,
  precommitMs: 200,
  precommitDeltaMs: 100,
  commitMs: 100,
};

export const SIM_LINKS: LinkFaults = { dropRate: 0, dupRate: 0, minDelayMs: 5, maxDelayMs: 30 };

export const CRASH_POINTS: readonly CrashPoint[] = [
  "wal:beforeWrite",
  "wal:afterWrite",
  "signer:beforeSave",
  "signer:afterSave",
  "commit:afterBlockSave",
  "commit:afterAppCommit",
];

export interface SimOptions {
  validators: number;
  seed: number;
  /** Stop once the canonical chain has this many heights. */
  targetHeight: number;
  maxVirtualMs?: number;
  scheme?: SignatureScheme;
  timeouts?: TimeoutConfig;
  links?: LinkFaults;
  /** Validator indices that run as two nodes with one key. */
  twins?: number[];
  /** Validator indices whose proposals go out as two different blocks. */
  equivocators?: number[];
  extensionModes?: Record<number, ExtensionMode>;
  skewMs?: Record<number, number>;
  /** A random schedule of network faults, partitions, crashes and skew. */
  chaos?: boolean;
  chaosPhaseMs?: number;
  restartDelayMs?: number;
  txsPerBlock?: number;
  /** Extra nodes with keys validators..validators+observers-1, not in the genesis set. */
  observers?: number;
  /** Validator updates (key index, power; 0 removes) the app returns at a height. */
  validatorUpdates?: Record<number, { key: number; power: number }[]>;
  /** ABCI++ VoteExtensionsEnableHeight (default 1; 0 = extensions off). */
  voteExtensionsEnableHeight?: number;
  /** Watch the wire for double signing (on by default; the benchmark turns it off). */
  checkDoubleSigns?: boolean;
}

export interface SimResult {
  validators: number;
  heights: number;
  forks: number;
  maxRoundsPerHeight: number;
  evidence: number;
  seed: number;
  virtualMs: number;
  messages: number;
  crashes: number;
  doubleSigns: number;
  violations: string[];
}

class SimNode {
  driver: Driver | null = null;
  readonly wal = new MemoryWal();
  readonly signerStorage = new MemorySignerStorage();
  readonly blockStore = new MemoryBlockStore();
  readonly appDisk = new TestAppDisk();
  gen = 0;
  skewMs = 0;
  crashPlan: { point: CrashPoint; countdown: number } | null = null;
  crashes = 0;
  txCounter = 0;

  constructor(
    readonly id: string,
    readonly keyIndex: number,
    readonly honest: boolean,
    readonly extensionMode: ExtensionMode,
  ) {}

  get alive(): boolean {
    return this.driver !== null;
  }

  crashHook = (point: CrashPoint): void => {
    const p = this.crashPlan;
    if (p && p.point === point && --p.countdown <= 0) {
      this.crashPlan = null;
      throw new SimulatedCrash(point);
    }
  };
}

export class Simulation {
  readonly sched = new Scheduler();
  readonly prng: Prng;
  readonly net: SimNetwork;
  readonly nodes: SimNode[] = [];
  private readonly seeds: Uint8Array[] = [];
  private readonly scheme: SignatureScheme;
  private readonly genesis: { pubKey: Uint8Array; power: number }[];
  private readonly pubKeys: Uint8Array[] = [];
  private readonly canonical = new Map<number, { hash: string; block: Block; commit: Commit }>();
  readonly violations: string[] = [];
  forks = 0;
  doubleSigns = 0;
  private readonly signed = new Map<string, string>();
  private readonly honestKeys = new Set<number>();
  private readonly keyByAddress = new Map<string, number>();
  private readonly opts: Required<
    Omit<SimOptions, "extensionModes" | "skewMs" | "observers" | "validatorUpdates">
  > &
    SimOptions;
  private readonly links: LinkFaults;

  constructor(opts: SimOptions) {
    this.opts = {
      maxVirtualMs: opts.targetHeight * 20_000 + 60_000,
      scheme: insecureTestScheme,
      timeouts: SIM_TIMEOUTS,
      links: SIM_LINKS,
      twins: [],
      equivocators: [],
      chaos: false,
      chaosPhaseMs: 3000,
      restartDelayMs: 500,
      txsPerBlock: 2,
      checkDoubleSigns: true,
      voteExtensionsEnableHeight: 1,
      ...opts,
    };
    this.prng = new Prng(opts.seed);
    this.net = new SimNetwork(this.sched, this.prng.fork());
    this.links = { ...this.opts.links };
    this.net.faults = { ...this.links };
    this.scheme = this.opts.scheme;
    this.genesis = [];
    const keys = opts.validators + (opts.observers ?? 0);
    for (let i = 0; i < keys; i++) {
      const seed = sha256(utf8(`perpetua/sim/validator/${i}`));
      this.seeds.push(seed);
      const pubKey = this.scheme.publicKey(seed);
      this.pubKeys.push(pubKey);
      if (i < opts.validators) this.genesis.push({ pubKey, power: 10 });
      this.keyByAddress.set(toHex(addressBytes(pubKey)), i);
    }
    const byzantine = new Set([...this.opts.twins, ...this.opts.equivocators]);
    for (let i = 0; i < keys; i++) {
      if (!byzantine.has(i)) this.honestKeys.add(i);
      const mode = opts.extensionModes?.[i] ?? "good";
      this.addNode(`v${i}`, i, mode);
      if (this.opts.twins.includes(i)) this.addNode(`v${i}t`, i, mode);
    }
    for (const n of this.nodes) n.skewMs = opts.skewMs?.[n.keyIndex] ?? 0;
    for (const i of this.opts.equivocators) this.makeEquivocator(`v${i}`, i);
  }

  private addNode(id: string, keyIndex: number, mode: ExtensionMode): void {
    const node = new SimNode(id, keyIndex, this.honestKeys.has(keyIndex), mode);
    node.wal.crashHook = node.crashHook;
    node.signerStorage.crashHook = node.crashHook;
    node.blockStore.crashHook = node.crashHook;
    this.nodes.push(node);
    this.net.register(id, async (from, msg) => {
      if (!node.driver) return;
      node.driver.receive(from, msg);
      await this.settle(node);
    });
  }

  node(id: string): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private timersFor(node: SimNode): Timers {
    const gen = node.gen;
    return {
      now: () => this.sched.now + node.skewMs + 1_700_000_000_000,
      setTimeout: (fn, ms) => {
        const handle = { cancelled: false };
        this.sched.after(ms, async () => {
          if (handle.cancelled || node.gen !== gen || !node.driver) return;
          fn();
          await this.settle(node);
        });
        return handle;
      },
      clearTimeout: (h) => {
        (h as { cancelled: boolean }).cancelled = true;
      },
    };
  }

  private mempoolFor(node: SimNode): TxSource {
    return {
      reap: () => {
        const txs: Uint8Array[] = [];
        for (let i = 0; i < this.opts.txsPerBlock; i++) {
          txs.push(utf8(`tx:${node.id}:${node.txCounter++}`));
        }
        return txs;
      },
    };
  }

  /** Builds a fresh driver over the node's durable state and starts it (recovery). */
  async startNode(node: SimNode): Promise<void> {
    node.gen++;
    const app = new TestApp(
      node.appDisk,
      node.extensionMode,
      this.opts.voteExtensionsEnableHeight,
      (h) =>
        (this.opts.validatorUpdates?.[h] ?? []).map((u) => ({
          pubKey: this.pubKeys[u.key],
          power: u.power,
        })),
    );
    app.crashHook = node.crashHook;
    const signer = new GuardedSigner(
      "perpetua-sim",
      this.seeds[node.keyIndex],
      this.scheme,
      node.signerStorage,
    );
    const driver = new Driver(
      {
        chainId: "perpetua-sim",
        initialHeight: 1,
        genesisTimeMs: 1_700_000_000_000,
        genesisValidators: this.genesis,
        genesisAppHash: GENESIS_APP_HASH,
        timeouts: this.opts.timeouts,
        gossipIntervalMs: this.opts.timeouts.proposeMs,
        voteExtensionsEnableHeight: this.opts.voteExtensionsEnableHeight,
      },
      {
        app,
        transport: this.net.transportFor(node.id),
        timers: this.timersFor(node),
        wal: node.wal,
        signer,
        blockStore: node.blockStore,
        scheme: this.scheme,
        mempool: this.mempoolFor(node),
        onCommit: (block, commit) => this.onCommit(node, block, commit),
      },
    );
    node.driver = driver;
    try {
      await driver.start();
    } catch (e) {
      if (e instanceof SimulatedCrash) {
        this.crashNode(node, true);
        return;
      }
      throw e;
    }
    await this.settle(node);
  }

  /** Waits for the node's event loop; a simulated crash takes the node down. */
  private async settle(node: SimNode): Promise<void> {
    const d = node.driver;
    if (!d) return;
    try {
      await d.drain();
    } catch (e) {
      if (e instanceof SimulatedCrash) {
        this.crashNode(node, true);
        return;
      }
      throw e;
    }
  }

  /** Stops the node, losing everything not durable; optionally restarts it later. */
  crashNode(node: SimNode, restart: boolean): void {
    node.driver?.stop();
    node.driver = null;
    node.gen++;
    node.wal.crash();
    node.crashes++;
    if (restart) this.sched.after(this.opts.restartDelayMs, () => this.startNode(node));
  }

  /** Arms a crash of `node` at the `countdown`-th pass through `point`. */
  armCrash(node: SimNode, point: CrashPoint, countdown = 1): void {
    node.crashPlan = { point, countdown };
  }

  partition(groups: string[][]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => {
      for (const id of g) groupOf.set(id, i);
    });
    this.net.partition = (a, b) => groupOf.get(a) === groupOf.get(b);
  }

  ring(): void {
    const ids = this.nodes.map((n) => n.id);
    const pos = new Map(ids.map((id, i) => [id, i]));
    const n = ids.length;
    this.net.partition = (a, b) => {
      const d = (pos.get(a)! - pos.get(b)! + n) % n;
      return d === 1 || d === n - 1;
    };
  }

  heal(): void {
    this.net.partition = null;
    this.net.faults = { ...this.links };
  }

  private onCommit(node: SimNode, block: Block, commit: Commit): void {
    const h = block.header.height;
    const hash = toHex(blockHash(block));
    if (!node.honest) return;
    const c = this.canonical.get(h);
    if (!c) {
      this.canonical.set(h, { hash, block, commit });
    } else if (c.hash !== hash) {
      this.forks++;
      this.violations.push(
        `fork at height ${h}: ${node.id} committed ${hash.slice(0, 12)}, others ${c.hash.slice(0, 12)}`,
      );
    }
  }

  /** Watches every message on the wire for honest keys signing twice for one step. */
  private observe(from: string, msg: ConsensusMessage): void {
    // Messages are relayed, so attribute each to its signer, not to the sender.
    let key: string;
    let value: string;
    if (msg.type === "vote") {
      const v = msg.vote;
      const signer = this.keyByAddress.get(toHex(v.validatorAddress));
      if (signer === undefined || !this.honestKeys.has(signer)) return;
      key = `${signer}/${v.height}/${v.round}/${v.type}`;
      value = toHex(v.blockHash);
    } else if (msg.type === "proposal") {
      const node = this.nodes.find((n) => n.id === from);
      if (!node?.honest) return;
      const p = msg.proposal;
      const pub = this.pubKeys[node.keyIndex];
      if (!this.scheme.verify(pub, proposalSignBytes("perpetua-sim", p), p.signature)) return;
      key = `${node.keyIndex}/${p.height}/${p.round}/proposal`;
      value = toHex(p.blockHash);
    } else {
      return;
    }
    const prev = this.signed.get(key);
    if (prev === undefined) this.signed.set(key, value);
    else if (prev !== value) {
      this.doubleSigns++;
      this.violations.push(`double sign by ${from}: ${key}`);
    }
  }

  private makeEquivocator(id: string, keyIndex: number): void {
    const alt = new Map<string, ConsensusMessage>();
    const seed = this.seeds[keyIndex];
    const peers = () => this.net.peers().filter((p) => p !== id);
    this.net.rewrite.set(id, (to, msg) => {
      if (msg.type !== "proposal" || msg.proposal.polRound !== -1) return msg;
      // Half of the peers get a different block for the same (height, round).
      if (peers().indexOf(to) % 2 === 0) return msg;
      const k = `${msg.proposal.height}/${msg.proposal.round}`;
      let m = alt.get(k);
      if (!m) {
        const txs = [...msg.block.txs, utf8(`equivocation:${k}`)];
        const block: Block = {
          ...msg.block,
          txs,
          header: { ...msg.block.header, dataHash: dataHash(txs) },
        };
        const unsigned = { ...msg.proposal, blockHash: blockHash(block) };
        const signature = this.scheme.sign(seed, proposalSignBytes("perpetua-sim", unsigned));
        m = { type: "proposal", proposal: { ...unsigned, signature }, block };
        alt.set(k, m);
      }
      return m;
    });
  }

  /** Chaos: every phase picks one fault for its duration, then heals. */
  private scheduleChaos(): void {
    const phase = this.opts.chaosPhaseMs;
    const p = this.prng.fork();
    const tick = async () => {
      this.heal();
      const choice = p.int(8);
      const ids = this.nodes.map((n) => n.id);
      switch (choice) {
        case 0:
          break;
        case 1:
          this.net.faults = { dropRate: 0.2, dupRate: 0.1, minDelayMs: 1, maxDelayMs: 150 };
          break;
        case 2: {
          const half = Math.ceil(ids.length / 2);
          this.partition([ids.slice(0, half), ids.slice(half)]);
          break;
        }
        case 3:
          this.ring();
          break;
        case 4: {
          const isolated = p.pick(ids);
          this.partition([[isolated], ids.filter((x) => x !== isolated)]);
          break;
        }
        case 5:
        case 6: {
          const candidates = this.nodes.filter((n) => n.honest && n.alive && !n.crashPlan);
          if (this.nodes.some((n) => n.honest && !n.alive)) break;
          if (candidates.length > 0) {
            this.armCrash(p.pick(candidates), p.pick(CRASH_POINTS), p.range(1, 30));
          }
          break;
        }
        case 7: {
          const n = p.pick(this.nodes);
          n.skewMs = p.range(-5000, 5000);
          break;
        }
      }
      this.sched.after(phase, tick);
    };
    this.sched.after(phase, tick);
  }

  get canonicalHeight(): number {
    let h = 0;
    while (this.canonical.has(h + 1)) h++;
    return h;
  }

  /** Highest height committed by the given node (from its block store). */
  heightOf(id: string): number {
    return this.node(id).blockStore.height();
  }

  async start(): Promise<void> {
    if (this.opts.checkDoubleSigns) {
      const send = this.net.send.bind(this.net);
      this.net.send = (from, to, msg) => {
        this.observe(from, msg);
        send(from, to, msg);
      };
    }
    for (const n of this.nodes) await this.startNode(n);
    if (this.opts.chaos) this.scheduleChaos();
  }

  async runUntil(pred: () => boolean, maxVirtualMs: number): Promise<boolean> {
    const until = this.sched.now + maxVirtualMs;
    await this.sched.run(until, pred);
    return pred();
  }

  async runFor(ms: number): Promise<void> {
    await this.sched.run(this.sched.now + ms, () => false);
  }

  /** Runs to the target height (or the time limit) and reports. */
  async run(): Promise<SimResult> {
    await this.start();
    await this.runUntil(
      () => this.canonicalHeight >= this.opts.targetHeight,
      this.opts.maxVirtualMs,
    );
    return this.result();
  }

  result(): SimResult {
    let maxRounds = 0;
    const seenEvidence = new Map<string, number>();
    for (const [h, c] of this.canonical) {
      if (c.commit.round + 1 > maxRounds) maxRounds = c.commit.round + 1;
      for (const ev of c.block.evidence) {
        const k = toHex(evidenceHash(ev));
        const prev = seenEvidence.get(k);
        if (prev !== undefined && prev !== h) {
          this.violations.push(`evidence committed twice (heights ${prev} and ${h})`);
        }
        seenEvidence.set(k, h);
      }
    }
    return {
      validators: this.opts.validators,
      heights: this.canonicalHeight,
      forks: this.forks,
      maxRoundsPerHeight: maxRounds,
      evidence: seenEvidence.size,
      seed: this.opts.seed,
      virtualMs: this.sched.now,
      messages: this.net.delivered,
      crashes: this.nodes.reduce((a, n) => a + n.crashes, 0),
      doubleSigns: this.doubleSigns,
      violations: [...new Set(this.violations)],
    };
  }
}
