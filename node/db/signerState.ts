/**
 * Consensus data that may live in the database instead of files: the signer's last-sign
 * state (one record, opaque bytes from consensus/signer) and evidence by hash.
 * consensus/signer/fileSignerStorage.ts is the default; this exists for deployments that
 * want one data store to back up.
 */
import { utf8 } from "../../lib/bytes.js";
import { Bucket } from "./buckets.js";
import type { DatabaseController } from "./controller.js";
import { BytesRepository } from "./repository.js";

const SIGNER_KEY = utf8("last_sign_state");

export class SignerStateRepository {
  private readonly repo: BytesRepository;
  constructor(db: DatabaseController) {
    this.repo = new BytesRepository(db, Bucket.SignerState);
  }
  load(): Uint8Array | undefined {
    return this.repo.getSync(SIGNER_KEY);
  }
  /** Synced write: a signature must never go out before the state that guards it is on disk. */
  async save(state: Uint8Array): Promise<void> {
    await this.repo.putMany([[SIGNER_KEY, state]], { sync: true });
  }
}

export class EvidenceRepository extends BytesRepository {
  constructor(db: DatabaseController) {
    super(db, Bucket.Evidence);
  }
}
