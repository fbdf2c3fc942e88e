/**
 * Network counters. The host counts into a plain object (`host.metrics`) that the node's
 * Prometheus collector reads at scrape time; a sink passed to the constructor additionally
 * sees every increment, for registries that want push-style counters.
 */

export interface P2PMetricsSink {
  inc(name: P2PCounter, labels: Record<string, string>, value: number): void;
}

export type P2PCounter =
  | "gossip_in_messages"
  | "gossip_in_bytes"
  | "gossip_out_messages"
  | "gossip_out_bytes"
  | "gossip_rejected"
  | "gossip_ignored"
  | "reqresp_in_requests"
  | "reqresp_out_requests"
  | "reqresp_errors"
  | "reqresp_in_bytes"
  | "reqresp_out_bytes"
  | "penalties"
  | "bans";

/** Counters keyed by counter name, then by label value (topic, protocol or reason). */
export type P2PMetricsSnapshot = Record<P2PCounter, Record<string, number>>;

export class P2PMetrics {
  readonly counters: P2PMetricsSnapshot = {
    gossip_in_messages: {},
    gossip_in_bytes: {},
    gossip_out_messages: {},
    gossip_out_bytes: {},
    gossip_rejected: {},
    gossip_ignored: {},
    reqresp_in_requests: {},
    reqresp_out_requests: {},
    reqresp_errors: {},
    reqresp_in_bytes: {},
    reqresp_out_bytes: {},
    penalties: {},
    bans: {},
  };

  constructor(private readonly sink?: P2PMetricsSink) {}

  /** `label` is the topic, protocol id or reason the counter is split by. */
  inc(name: P2PCounter, label: string, value = 1): void {
    const c = this.counters[name];
    c[label] = (c[label] ?? 0) + value;
    this.sink?.inc(name, { label }, value);
  }

  /** A deep copy, safe to hand out. */
  snapshot(): P2PMetricsSnapshot {
    return Object.fromEntries(
      Object.entries(this.counters).map(([k, v]) => [k, { ...v }]),
    ) as P2PMetricsSnapshot;
  }
}
