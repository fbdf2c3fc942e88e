/**
 * The SDK runs in a browser (docs/sdk.md): nothing rpc/client/index.ts loads may import a
 * Node builtin, and a browser bundle of it builds with no Node polyfill and works.
 *
 * 1. A walk of the transitive import graph from index.ts over our own sources (static
 *    imports and re-exports that survive compilation, dynamic `import()`, `require`),
 *    failing on any `node:` or builtin module. Type-only imports are erased and skipped;
 *    `import { type X }` is kept (verbatimModuleSyntax leaves it as a side-effect import).
 *    Packages are not walked: the bundle below resolves them with browser conditions.
 * 2. A vite library build for the browser (no polyfills): no module externalized for
 *    browser compatibility, then the bundle evaluated in a bare V8 context (no process,
 *    Buffer or require) signs a transaction exactly as the SDK does in Node.
 */
import { readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import vm from "node:vm";
import ts from "typescript";
import type { Logger } from "vite";
import { describe, expect, it } from "vitest";
import { nobleSigner, placeOrder, seedFromHex, signTx } from "./index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const ENTRY = join(ROOT, "rpc", "client", "index.ts");

interface Edge {
  from: string;
  spec: string;
}

/** Module specifiers a file loads at run time. */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly) {
      out.push((n.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && !n.isTypeOnly) {
      out.push((n.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isImportEqualsDeclaration(n) && !n.isTypeOnly) {
      const r = n.moduleReference;
      if (ts.isExternalModuleReference(r) && ts.isStringLiteral(r.expression)) {
        out.push(r.expression.text);
      }
    } else if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      if (isImport || isRequire) {
        const arg = n.arguments[0];
        // A computed specifier cannot be checked: refuse it rather than miss an edge.
        out.push(arg && ts.isStringLiteralLike(arg) ? arg.text : "<computed import>");
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Our files reachable from `entry`, and every package or builtin specifier they load. */
function importGraph(entry: string): { files: Set<string>; external: Edge[] } {
  const files = new Set<string>();
  const external: Edge[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith("./") || spec.startsWith("../")) {
        queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      } else {
        external.push({ from: relative(ROOT, file), spec });
      }
    }
  }
  return { files, external };
}

describe("the SDK in a browser", () => {
  it("imports no Node builtin, transitively from rpc/client/index.ts", () => {
    const { files, external } = importGraph(ENTRY);
    const rel = [...files].map((f) => relative(ROOT, f));
    // The walk covers the shared code the SDK reuses (so it does walk what matters).
    expect(rel).toEqual(
      expect.arrayContaining(["state/types/tx.ts", "lib/hash.ts", "state/margin/index.ts"]),
    );
    expect(rel).not.toContain("rpc/client/nodeSigner.ts");
    const builtins = external.filter(
      (e) => e.spec.startsWith("node:") || isBuiltin(e.spec) || e.spec === "<computed import>",
    );
    expect(builtins, "Node builtins on the SDK's import graph").toEqual([]);
  });

  it("walks what it claims: nodeSigner.ts is caught as node:crypto", () => {
    const { external } = importGraph(join(ROOT, "rpc", "client", "nodeSigner.ts"));
    expect(external.map((e) => e.spec)).toContain("node:crypto");
  });

  it("bundles for the browser with vite (no polyfills) and signs in a bare context", async () => {
    const { build } = await import("vite");
    const warnings: string[] = [];
    const logger: Logger = {
      info: () => {},
      warn: (m) => warnings.push(m),
      warnOnce: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
      clearScreen: () => {},
      hasErrorLogged: () => false,
      hasWarned: false,
    };
    const out = await build({
      root: ROOT,
      configFile: false,
      // As an application's production build (under vitest the mode would be "test", where
      // vite stubs a Node module silently instead of warning).
      mode: "production",
      customLogger: logger,
      logLevel: "warn",
      build: {
        lib: { entry: ENTRY, formats: ["iife"], name: "perpetua", fileName: "sdk" },
        write: false,
        minify: false,
        reportCompressedSize: false,
        // Rolldown's own warnings (e.g. "Module "node:crypto" has been externalized for
        // browser compatibility") bypass vite's logger.
        rolldownOptions: {
          onLog: (level, log) => {
            if (level === "warn") warnings.push(log.message);
          },
        },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as { output: { code?: string }[] }[];
    const chunks = outputs.flatMap((o) => o.output).filter((c) => c.code !== undefined);
    expect(chunks).toHaveLength(1);
    expect(warnings, "vite warnings (a Node module externalized for the browser)").toEqual([]);
    const code = chunks[0].code!;
    expect(code).not.toMatch(/\brequire\(|from\s*["']node:|import\(\s*["']node:/);
    expect(code).not.toContain("externalized for browser compatibility");

    // Only what a browser has: no process, Buffer, require or setImmediate.
    const context = vm.createContext({
      TextEncoder,
      TextDecoder,
      crypto: globalThis.crypto,
      atob,
      btoa,
    });
    vm.runInContext(code, context);
    const seedHex = "11".repeat(32);
    const inBrowser = (await vm.runInContext(
      `(async () => {
        const p = perpetua;
        const signer = p.nobleSigner(p.seedFromHex("${seedHex}"));
        const order = p.placeOrder({ market: "BTC-USD", side: "buy", price: "50000", size: "0.1" });
        const tx = await p.signTx(signer, "perpetua-test", 7, [order]);
        return { address: signer.address, hash: tx.hash, hasProcess: typeof process !== "undefined" };
      })()`,
      context,
    )) as { address: string; hash: string; hasProcess: boolean };
    const signer = nobleSigner(seedFromHex(seedHex));
    const order = placeOrder({ market: "BTC-USD", side: "buy", price: "50000", size: "0.1" });
    const inNode = await signTx(signer, "perpetua-test", 7, [order]);
    expect(inBrowser).toEqual({ address: signer.address, hash: inNode.hash, hasProcess: false });
  });
});
