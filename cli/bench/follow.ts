/**
 * Follows commits for `perpetua bench`: the `blocks` topic (one small event per height, over
 * the SDK's resumable SubscriptionClient) says when a height committed; for heights with
 * transactions, `block` gives their bytes, hashed here to match what we submitted.
 *
 * Why not `tm.event='NewBlock'`: that event carries every transaction and its results, and
 * under load one block holds megabytes of them, past the node's per-connection outbound
 * buffer (a 4001 slow-consumer close). Why not `block_results` per height: with 50 order
 * events per transaction it is ~34 kB of JSON per transaction, which would make the
 * measuring client a heavy load on the node it measures. Outcomes are sampled instead: the
 * first of our transactions in each block is looked up with `tx` (see BenchRun).
 */
import { performance } from "node:perf_hooks";
import type { PerpetuaClient } from "../../rpc/client/client.js";
import { SubscriptionClient } from "../../rpc/client/subscriptions.js";
import { txHashHex } from "../../state/types/tx.js";
import { postJson } from "./http.js";

export interface BlockSeen {
  height: number;
  /** Header time (ms since the epoch). */
  timeMs: number;
  /** When the `blocks` event reached us (performance.now()): the commit time we measure. */
  seenAt: number;
  /** Upper-case hex hashes of the block's transactions, in block order. */
  hashes: string[];
}

interface BlocksEventData {
  height: number;
  time: string;
  txs: number;
}

export class CommitFollower {
  private readonly subs: SubscriptionClient;
  private queue: Promise<void> = Promise.resolve();
  /** Heights whose block could not be read after retries (their transactions count as lost). */
  missedBlocks = 0;

  /**
   * `readers`: RPC base URLs the blocks are read from, height h from readers[h mod n] (a
   * ~3 MB JSON answer per height at devnet load, so spread over the nodes rather than all on
   * the one that announces commits); a failed read retries on `client`, which announced it.
   */
  constructor(
    private readonly client: PerpetuaClient,
    private readonly onBlock: (b: BlockSeen) => void,
    private readonly readers: readonly string[] = [client.url],
  ) {
    this.subs = new SubscriptionClient(client.wsUrl, { reconnectMaxMs: 1_000 });
  }

  async start(): Promise<void> {
    await this.subs.subscribe<BlocksEventData>("blocks", (ev) => {
      const seen = {
        height: ev.height,
        timeMs: Date.parse(ev.data.time),
        seenAt: performance.now(),
      };
      if (ev.data.txs === 0) {
        this.queue = this.queue.then(() => this.onBlock({ ...seen, hashes: [] }));
        return;
      }
      // Blocks are read one after the other so that onBlock sees heights in order.
      this.queue = this.queue.then(async () =>
        this.onBlock({ ...seen, hashes: await this.hashesAt(ev.height) }),
      );
    });
  }

  /** Resolves once every block announced so far has been read and handed to onBlock. */
  settled(): Promise<void> {
    return this.queue;
  }

  stop(): void {
    this.subs.close();
  }

  private async hashesAt(height: number): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const url = attempt === 0 ? this.readers[height % this.readers.length] : this.client.url;
        return (await blockTxs(url, height)).map((t) => txHashHex(Buffer.from(t, "base64")));
      } catch (e) {
        if (attempt >= 4) {
          this.missedBlocks++;
          process.stderr.write(`bench: cannot read block ${height}: ${(e as Error).message}\n`);
          return [];
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }
}

/** The base64 transactions of the block at `height`, read with a plain JSON-RPC POST. */
export async function blockTxs(url: string, height: number): Promise<string[]> {
  const body = `{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"${height}"}}`;
  const answer = (await postJson(`${url}/`, body, 15_000)).body as {
    result?: { block?: { data?: { txs?: unknown } } };
    error?: { message?: string };
  };
  const txs = answer.result?.block?.data?.txs;
  if (!Array.isArray(txs)) throw new Error(answer.error?.message ?? "no block in the answer");
  return txs as string[];
}
