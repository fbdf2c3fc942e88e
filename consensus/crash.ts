/**
 * Crash points: named moments between durable steps. In-memory storages call the hook at
 * each point so the simulator can stop a node exactly there (by throwing SimulatedCrash)
 * and restart it from what was durable; real storages have no hook.
 */
export type CrashPoint =
  | "wal:beforeWrite"
  | "wal:afterWrite"
  | "signer:beforeSave"
  | "signer:afterSave"
  | "commit:afterBlockSave"
  | "commit:afterAppCommit";

export type CrashHook = (point: CrashPoint) => void;

export class SimulatedCrash extends Error {
  readonly point: CrashPoint;
  constructor(point: CrashPoint) {
    super(`simulated crash at ${point}`);
    this.name = "SimulatedCrash";
    this.point = point;
  }
}
