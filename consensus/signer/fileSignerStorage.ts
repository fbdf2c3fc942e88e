/**
 * Signer storage in a file: the CBOR state is written to `<path>.tmp`, fsynced, renamed
 * over `<path>` and the directory fsynced, so after a crash the file holds either the old
 * or the new state, never a torn one.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import {
  decodeLastSignState,
  encodeLastSignState,
  type LastSignState,
  type SignerStorage,
} from "./lastSignState.js";

export class FileSignerStorage implements SignerStorage {
  constructor(private readonly path: string) {}

  load(): LastSignState | null {
    if (!existsSync(this.path)) return null;
    return decodeLastSignState(new Uint8Array(readFileSync(this.path)));
  }

  async save(state: LastSignState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, encodeLastSignState(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
