/**
 * Chain metadata: a handful of named records the startup handshake reads to decide whether
 * the app is behind the block store, level with it, or (after a bug) ahead of it.
 * They are written in the same batch as the block they describe.
 */
import { utf8 } from "../../lib/bytes.js";
import { asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { Bucket } from "./buckets.js";
import {
  type DatabaseController,
  decodeHeight,
  encodeHeight,
  type WriteBatch,
} from "./controller.js";
import { DbError } from "./errors.js";
import { Repository } from "./repository.js";

export type MetaKey = "last_block_height" | "app_state" | "genesis_hash";

/** The app's last committed height and app hash, as recorded with that height's block. */
export interface AppStateRecord {
  height: number;
  appHash: Uint8Array;
}

class MetaRepository extends Repository<MetaKey, Uint8Array> {
  encodeKey(key: MetaKey): Uint8Array {
    return utf8(key);
  }
  decodeKey(bytes: Uint8Array): MetaKey {
    return new TextDecoder().decode(bytes) as MetaKey;
  }
  encodeValue(v: Uint8Array): Uint8Array {
    return v;
  }
  decodeValue(b: Uint8Array): Uint8Array {
    return b;
  }
}

export class ChainMetaRepository {
  readonly repo: MetaRepository;

  constructor(db: DatabaseController) {
    this.repo = new MetaRepository(db, Bucket.ChainMeta);
  }

  stageLastBlockHeight(batch: WriteBatch, height: number): void {
    batch.put(this.repo, "last_block_height", encodeHeight(height));
  }

  stageAppState(batch: WriteBatch, s: AppStateRecord): void {
    batch.put(this.repo, "app_state", encode([s.height, s.appHash]));
  }

  stageGenesisHash(batch: WriteBatch, hash: Uint8Array): void {
    batch.put(this.repo, "genesis_hash", hash);
  }

  /** 0 when no block was ever stored. */
  async lastBlockHeight(): Promise<number> {
    const v = await this.repo.get("last_block_height");
    return v === undefined ? 0 : decodeHeight(v);
  }

  async appState(): Promise<AppStateRecord | undefined> {
    const v = await this.repo.get("app_state");
    if (v === undefined) return undefined;
    const rec = decodeTrusted(v);
    if (!Array.isArray(rec) || rec.length !== 2 || !(rec[1] instanceof Uint8Array)) {
      throw new DbError("DB_CORRUPT", "chain meta app_state is not [height, appHash]");
    }
    return { height: asSafeInt(rec[0], "app_state.height"), appHash: rec[1] };
  }

  genesisHash(): Promise<Uint8Array | undefined> {
    return this.repo.get("genesis_hash");
  }
}
