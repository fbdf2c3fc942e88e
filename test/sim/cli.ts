/**
 * `npm run sim -- --validators 4 --heights 500 --faults all --seed 7 [--ed25519]`
 *
 * Runs one seeded simulation and prints one JSON line last. `--faults all` makes validator
 * 0 byzantine (Twins: two nodes with its key, and an equivocating proposer) and runs the
 * chaos schedule (lossy links, partitions that heal, crashes at durable steps with
 * restart, clock skew); with 7 or more validators validator n-1 also sends invalid vote
 * extensions. Exits 1 on any safety violation (fork, double sign, evidence committed twice),
 * 2 when the target height was not reached in the virtual-time budget.
 */
import { ed25519Scheme, insecureTestScheme } from "../../consensus/crypto.js";
import { type SimOptions, Simulation } from "./harness.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const validators = Number(arg("validators", "4"));
const heights = Number(arg("heights", "100"));
const faults = arg("faults", "none");
const seed = Number(arg("seed", "1"));
const ed25519 = process.argv.includes("--ed25519");
if (!Number.isInteger(validators) || validators < 1 || !Number.isInteger(heights) || heights < 1) {
  console.error(
    "usage: npm run sim -- --validators N --heights H [--faults none|all] [--seed S] [--ed25519]",
  );
  process.exit(64);
}

const opts: SimOptions = {
  validators,
  seed,
  targetHeight: heights,
  scheme: ed25519 ? ed25519Scheme : insecureTestScheme,
};
if (faults === "all") {
  if (validators >= 4) {
    opts.twins = [0];
    opts.equivocators = [0];
  }
  if (validators >= 7) opts.extensionModes = { [validators - 1]: "garbage" };
  opts.chaos = true;
} else if (faults !== "none") {
  console.error(`unknown --faults ${faults} (none | all)`);
  process.exit(64);
}

const t0 = performance.now();
const sim = new Simulation(opts);
const r = await sim.run();
const seconds = (performance.now() - t0) / 1000;
for (const v of r.violations) console.error(`VIOLATION: ${v}`);
console.error(
  `${r.heights} heights in ${(r.virtualMs / 1000).toFixed(1)} s virtual, ${seconds.toFixed(1)} s real, ${r.messages} messages, ${r.crashes} crashes, signatures: ${opts.scheme?.name}`,
);
console.log(
  JSON.stringify({
    validators: r.validators,
    heights: r.heights,
    forks: r.forks,
    maxRoundsPerHeight: r.maxRoundsPerHeight,
    evidence: r.evidence,
    seed: r.seed,
    doubleSigns: r.doubleSigns,
    crashes: r.crashes,
    virtualMs: r.virtualMs,
    signatures: opts.scheme?.name,
  }),
);
const unsafe = r.forks > 0 || r.doubleSigns > 0 || r.violations.length > 0;
process.exitCode = unsafe ? 1 : r.heights < heights ? 2 : 0;
