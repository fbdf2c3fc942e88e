/**
 * `Promise.withResolvers` (ES2024) for Node 20.
 *
 * libp2p 3, yamux and ping call it at runtime and Node 20 does not ship it. Import this module
 * before anything from the libp2p family (ESM evaluates imports in order), e.g.
 * `import "./polyfill.js";` as the first import. It is a no-op where the runtime has it.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof P.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(): Resolvers<T> {
      let resolve!: Resolvers<T>["resolve"];
      let reject!: Resolvers<T>["reject"];
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
