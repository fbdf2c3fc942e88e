/** tx hash -> where it was committed (height and position in the block), for the `tx` RPC. */
import { asSafeInt, decodeTrusted, encode } from "../../lib/cbor.js";
import { Bucket } from "./buckets.js";
import type { DatabaseController } from "./controller.js";
import { DbError } from "./errors.js";
import { Repository } from "./repository.js";

export interface TxLocation {
  height: number;
  index: number;
}

export class TxIndexRepository extends Repository<Uint8Array, TxLocation> {
  constructor(db: DatabaseController) {
    super(db, Bucket.TxIndex);
  }
  encodeKey(hash: Uint8Array): Uint8Array {
    return hash;
  }
  decodeKey(bytes: Uint8Array): Uint8Array {
    return bytes.slice();
  }
  encodeValue(loc: TxLocation): Uint8Array {
    return encode([loc.height, loc.index]);
  }
  decodeValue(bytes: Uint8Array): TxLocation {
    const v = decodeTrusted(bytes);
    if (!Array.isArray(v) || v.length !== 2) {
      throw new DbError("DB_CORRUPT", "tx index entry is not [height, index]");
    }
    return { height: asSafeInt(v[0], "tx.height"), index: asSafeInt(v[1], "tx.index") };
  }
}
