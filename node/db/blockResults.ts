/** finalizeBlock results by height (opaque bytes: the node encodes them for block_results). */
import { Bucket } from "./buckets.js";
import type { DatabaseController } from "./controller.js";
import { HeightBytesRepository } from "./repository.js";

export class BlockResultsRepository extends HeightBytesRepository {
  constructor(db: DatabaseController) {
    super(db, Bucket.BlockResults);
  }
}
