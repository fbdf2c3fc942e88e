/**
 * JSON-RPC POSTs for the load generator over node:http with keep-alive sockets. `fetch`
 * (undici, web streams) cost the bench ~1/3 of its CPU while measuring, on the same cores as
 * the nodes it measures; this path reads the answer as raw chunks and parses it once.
 */
import http from "node:http";
import https from "node:https";

const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  let a = agents.get(url.origin);
  if (a === undefined) {
    const opts = { keepAlive: true, maxSockets: 8 };
    a = url.protocol === "https:" ? new https.Agent(opts) : new http.Agent(opts);
    agents.set(url.origin, a);
  }
  return a;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** POSTs `body` (JSON text) to `url`; rejects on a transport error, a bad JSON answer or timeout. */
export function postJson(url: string, body: string, timeoutMs: number): Promise<JsonAnswer> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: "POST",
        agent: agentFor(u),
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Closes the kept-alive sockets (at the end of a run). */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
