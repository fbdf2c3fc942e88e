import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{lib,state,consensus,node,rpc,genesis,cli}/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
