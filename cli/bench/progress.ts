/**
 * Progress of `perpetua bench` on stderr: a bar redrawn in place when stderr is a terminal,
 * otherwise (CI, pipes, log files) one plain line every few seconds.
 */
import type { Progress } from "./load.js";

const BAR_WIDTH = 24;
const PLAIN_EVERY_MS = 5_000;
const BAR_EVERY_MS = 100;

export function progressLine(p: Progress, ordersPerTx: number): string {
  const s = (ms: number) => Math.floor(ms / 1000);
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const when = p.measuring ? `${s(p.elapsedMs)}/${s(p.durationMs)} s` : "draining";
  return `${when}  submitted ${n(p.submitted)}  committed ${n(p.committed)}  rejected ${n(p.rejected)}  in flight ${n(p.inFlight)}  ${n(p.txPerS)} tx/s  ${n(p.txPerS * ordersPerTx)} orders/s`;
}

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}]`;
}

export class ProgressReporter {
  private lastPlain = -Infinity;
  private lastSigning = -Infinity;
  private lastSigned = -1;
  private drawn = false;

  constructor(
    private readonly ordersPerTx: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(p: Progress): void {
    const line = progressLine(p, this.ordersPerTx);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${progressBar(p.elapsedMs / p.durationMs)} ${line}`);
      this.drawn = true;
    } else if (p.elapsedMs - this.lastPlain >= PLAIN_EVERY_MS) {
      this.lastPlain = p.elapsedMs;
      this.out.write(`bench: ${line}\n`);
    }
  }

  /**
   * Pre-signing before the window: `done` of `total` transactions signed. Called every few
   * milliseconds; a terminal's bar is redrawn at most every 100 ms, a plain line written
   * every 5 s, and the last count always.
   */
  signing(done: number, total: number): void {
    const now = performance.now();
    if (done === this.lastSigned) return;
    const every = this.out.isTTY ? BAR_EVERY_MS : PLAIN_EVERY_MS;
    if (done < total && now - this.lastSigning < every) return;
    this.lastSigning = now;
    this.lastSigned = done;
    const n = (x: number) => x.toLocaleString("en-US");
    const line = `signing ${n(done)} of ${n(total)} transactions ahead`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${progressBar(done / total)} ${line}`);
      this.drawn = true;
    } else {
      this.out.write(`bench: ${line}\n`);
    }
  }

  /** Ends the bar's line so what follows starts on a fresh one. */
  done(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  /** A status message (setup steps), on its own line. */
  note(message: string): void {
    this.done();
    this.out.write(`bench: ${message}\n`);
  }
}
