/**
 * What the RPC server reports. An interface, so tests and embedders need no registry;
 * `promRpcMetrics` implements it on a prom-client registry for the node's `/metrics`.
 */
import { Counter, Gauge, type Registry } from "prom-client";

export interface RpcMetrics {
  /** One call finished; outcome is "ok" or the JSON-RPC / application error code. */
  request(method: string, outcome: string): void;
  /** Open TCP connections (HTTP keep-alive and WebSocket). */
  connections(n: number): void;
  /** Live subscriptions across all WebSocket clients. */
  subscriptions(n: number): void;
  /** A connection refused or closed by a limit: "connections", "body", "rate", "slow", … */
  limited(limit: string): void;
}

export function promRpcMetrics(registry: Registry, prefix = "perpetua_rpc_"): RpcMetrics {
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: "JSON-RPC calls by method and outcome (ok or error code)",
    labelNames: ["method", "outcome"] as const,
    registers: [registry],
  });
  const connections = new Gauge({
    name: `${prefix}connections`,
    help: "Open RPC connections (HTTP and WebSocket)",
    registers: [registry],
  });
  const subscriptions = new Gauge({
    name: `${prefix}subscriptions`,
    help: "Live WebSocket subscriptions",
    registers: [registry],
  });
  const limited = new Counter({
    name: `${prefix}limited_total`,
    help: "Requests or connections refused or closed by a limit",
    labelNames: ["limit"] as const,
    registers: [registry],
  });
  return {
    request: (method, outcome) => requests.inc({ method, outcome }),
    connections: (n) => connections.set(n),
    subscriptions: (n) => subscriptions.set(n),
    limited: (limit) => limited.inc({ limit }),
  };
}
