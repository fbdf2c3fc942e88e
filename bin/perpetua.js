#!/usr/bin/env node
// Entry point of the `perpetua` command. Runs the TypeScript sources directly through tsx,
// so `npx perpetua ...` works right after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
