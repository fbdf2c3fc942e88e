/**
 * Virtual time: a priority queue of callbacks ordered by (time, insertion order). Each
 * callback is awaited before the next runs, so a simulation is one deterministic sequence
 * of events whatever the real machine's speed.
 */
export type Task = () => void | Promise<void>;

interface Entry {
  readonly time: number;
  readonly seq: number;
  readonly task: Task;
}

export class Scheduler {
  now = 0;
  private seq = 0;
  private heap: Entry[] = [];
  executed = 0;

  at(time: number, task: Task): void {
    const e = { time: time < this.now ? this.now : time, seq: this.seq++, task };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  after(delayMs: number, task: Task): void {
    this.at(this.now + delayMs, task);
  }

  get pending(): number {
    return this.heap.length;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  /** Runs tasks until `stop()` is true, time passes `untilMs`, or nothing is left. */
  async run(untilMs: number, stop: () => boolean): Promise<void> {
    while (!stop()) {
      const e = this.pop();
      if (!e) return;
      if (e.time > untilMs) {
        this.at(e.time, e.task);
        this.now = untilMs;
        return;
      }
      this.now = e.time;
      this.executed++;
      await e.task();
    }
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
