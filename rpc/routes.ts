/**
 * The routes table: method name -> params spec + async handler.
 *
 * Transports (HTTP POST, URI GET, WebSocket) all go through `Router.call`, so validation,
 * error mapping and metrics are identical whichever way a request arrives.
 */
import { invalidParams, methodNotFound } from "./errors.js";
import {
  type BindOptions,
  bindParams,
  bindUriParams,
  type ParamsOf,
  type ParamsSpec,
} from "./params.js";

/** What a WebSocket connection offers to handlers (subscriptions are bound to it). */
export interface WsConnection {
  readonly id: string;
  /** Queues a JSON message; false when the connection is closed or was just closed as slow. */
  send(message: unknown): boolean;
  /** Waits until the outbound buffer is below a low-water mark (used to pace replays). */
  drained(): Promise<void>;
  close(code: number, reason: string): void;
  readonly open: boolean;
}

export interface RouteContext {
  readonly transport: "http" | "uri" | "ws";
  readonly remoteAddress: string;
  /** The JSON-RPC id of the request (-1 for URI requests, as CometBFT). */
  readonly requestId: string | number | null;
  /** Present for WebSocket requests only. */
  readonly ws?: WsConnection;
  /**
   * Runs `fn` after this request's response has been written (used to start a subscription
   * replay only once the client knows its subscription id).
   */
  afterResponse(fn: () => void): void;
}

export interface RouteDef<S extends ParamsSpec> {
  params?: S;
  handler: (params: ParamsOf<S>, ctx: RouteContext) => unknown | Promise<unknown>;
  /** Only over WebSocket (subscribe and friends); HTTP gets -32601 as in CometBFT. */
  ws?: boolean;
  /** Ignore undeclared named params (CometBFT clients send extras); default false. */
  allowUnknownParams?: boolean;
  /** One line for `GET /`. */
  description?: string;
}

interface StoredRoute {
  readonly name: string;
  readonly spec: ParamsSpec;
  readonly def: RouteDef<ParamsSpec>;
  readonly bind: BindOptions;
}

export interface RouteInfo {
  name: string;
  params: { name: string; type: string; optional: boolean }[];
  ws: boolean;
  description?: string;
}

const METHOD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export class Router {
  private readonly routes = new Map<string, StoredRoute>();

  register<S extends ParamsSpec>(name: string, def: RouteDef<S>): this {
    if (!METHOD_NAME.test(name)) throw new TypeError(`invalid method name ${name}`);
    if (this.routes.has(name)) throw new TypeError(`method ${name} registered twice`);
    this.routes.set(name, {
      name,
      spec: (def.params ?? {}) as ParamsSpec,
      def: def as unknown as RouteDef<ParamsSpec>,
      bind: { allowUnknown: def.allowUnknownParams ?? false },
    });
    return this;
  }

  has(name: string): boolean {
    return this.routes.has(name);
  }

  list(): RouteInfo[] {
    return [...this.routes.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((r) => ({
        name: r.name,
        params: Object.entries(r.spec).map(([name, s]) => ({
          name,
          type: s.describe ?? s.uri ?? "json",
          optional: s.optional === true,
        })),
        ws: r.def.ws === true,
        ...(r.def.description ? { description: r.def.description } : {}),
      }));
  }

  /** Validates params (JSON form) and runs the handler; throws RpcError/PerpetuaError. */
  async call(method: string, rawParams: unknown, ctx: RouteContext): Promise<unknown> {
    const route = this.lookup(method, ctx);
    const params = bindParams(route.spec, rawParams, route.bind);
    return await route.def.handler(params, ctx);
  }

  /** Same as `call` with params from a URI query string. */
  async callUri(method: string, query: URLSearchParams, ctx: RouteContext): Promise<unknown> {
    const route = this.lookup(method, ctx);
    const params = bindUriParams(route.spec, query, route.bind);
    return await route.def.handler(params, ctx);
  }

  private lookup(method: string, ctx: RouteContext): StoredRoute {
    // Own-property lookup only: "__proto__" or "constructor" are just unknown methods.
    const route = this.routes.get(method);
    if (!route || (route.def.ws && ctx.transport !== "ws")) throw methodNotFound(method);
    return route;
  }
}

/** For handlers that need one of several param shapes (e.g. subscribe by query or topic). */
export function requireOne(params: Record<string, unknown>, names: string[]): void {
  if (!names.some((n) => params[n] !== undefined)) {
    throw invalidParams(`${names.join(" or ")}: one is required`);
  }
}
