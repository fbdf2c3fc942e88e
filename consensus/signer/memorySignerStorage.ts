/** Signer storage in memory, for the simulator: survives a simulated crash, with crash points. */
import type { CrashHook } from "../crash.js";
import type { LastSignState, SignerStorage } from "./lastSignState.js";

export class MemorySignerStorage implements SignerStorage {
  private state: LastSignState | null = null;
  crashHook: CrashHook | undefined;

  load(): LastSignState | null {
    return this.state;
  }

  async save(state: LastSignState): Promise<void> {
    this.crashHook?.("signer:beforeSave");
    this.state = state;
    this.crashHook?.("signer:afterSave");
  }
}
