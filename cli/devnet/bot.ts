/**
 * The devnet's market-making bot: quotes both sides of every market around the oracle price
 * (a ladder of levels, refreshed every `intervalMs` with one transaction: cancel-all, then the
 * new orders, which the chain executes in that order within the block), and a small taker
 * that crosses the spread now and then so trades happen. It talks to a node over JSON-RPC
 * like any trader.
 */
import { fromHex, toBase64 } from "../../lib/bytes.js";
import { keyPairFromSeed, sign } from "../../lib/ed25519.js";
import { buildTx, type Msg } from "../../state/types/tx.js";

export interface BotOptions {
  rpc: string;
  chainId: string;
  makerSeed: string;
  takerSeed: string;
  intervalMs?: number;
  levels?: number;
  /** Distance between levels, in ppm of the price. */
  spacingPpm?: number;
}

interface MarketInfo {
  id: string;
  tickSize: string;
  stepSize: string;
  oraclePrice: string;
}

function decimals(s: string): number {
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.length - i - 1;
}

/** Rounds a float price to a multiple of the tick, as a decimal string (the edge of the bot). */
function onTick(price: number, tick: string): string {
  const t = Number(tick);
  const n = Math.max(1, Math.round(price / t));
  return (n * t).toFixed(decimals(tick));
}

export class MarketMaker {
  private timer: ReturnType<typeof setInterval> | undefined;
  private nonce = 0;
  private round = 0;
  private busy = false;
  errors = 0;
  sent = 0;

  constructor(private readonly o: BotOptions) {}

  private async rpc(method: string, params: unknown = {}): Promise<unknown> {
    const res = await fetch(this.o.rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(body.error.message);
    return body.result;
  }

  private async send(seedHex: string, msgs: Msg[]): Promise<void> {
    const seed = fromHex(seedHex);
    const kp = keyPairFromSeed(seed);
    this.nonce = Math.max(Date.now(), this.nonce + 1);
    const { bytes } = buildTx(
      { chainId: this.o.chainId, signer: kp.publicKey, nonce: this.nonce, msgs },
      (m) => sign(seed, m),
    );
    const r = (await this.rpc("broadcast_tx_sync", { tx: toBase64(bytes) })) as {
      code: number;
      log: string;
    };
    if (r.code !== 0) this.errors++;
    this.sent++;
  }

  async markets(): Promise<MarketInfo[]> {
    const r = (await this.rpc("markets")) as MarketInfo[] | { markets: MarketInfo[] };
    return Array.isArray(r) ? r : r.markets;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const markets = await this.markets();
      const levels = this.o.levels ?? 5;
      const spacing = (this.o.spacingPpm ?? 500) / 1e6;
      const msgs: Msg[] = [{ kind: "cancel_all" }];
      this.round++;
      for (const m of markets) {
        const mid = Number(m.oraclePrice);
        const size = (
          Number(m.stepSize) * Math.max(1, Math.round(2_000 / mid / Number(m.stepSize)))
        ).toFixed(decimals(m.stepSize));
        for (let l = 1; l <= levels; l++) {
          const clientBase = (this.round % 1000) * 100 + l;
          msgs.push({
            kind: "place_order",
            market: m.id,
            side: "buy",
            type: "limit",
            price: onTick(mid * (1 - spacing * l), m.tickSize),
            size,
            tif: "gtc",
            reduceOnly: false,
            clientId: clientBase,
          });
          msgs.push({
            kind: "place_order",
            market: m.id,
            side: "sell",
            type: "limit",
            price: onTick(mid * (1 + spacing * l), m.tickSize),
            size,
            tif: "gtc",
            reduceOnly: false,
            clientId: clientBase + 50,
          });
        }
      }
      await this.send(this.o.makerSeed, msgs);
      // The taker crosses one market every other round, alternating sides.
      if (this.round % 2 === 0 && markets.length > 0) {
        const m = markets[(this.round / 2) % markets.length];
        const size = (
          Number(m.stepSize) *
          Math.max(1, Math.round(500 / Number(m.oraclePrice) / Number(m.stepSize)))
        ).toFixed(decimals(m.stepSize));
        const side = this.round % 4 === 0 ? "buy" : "sell";
        await this.send(this.o.takerSeed, [
          {
            kind: "place_order",
            market: m.id,
            side,
            type: "market",
            size,
            tif: "ioc",
            reduceOnly: false,
            clientId: this.round,
          },
        ]);
      }
    } catch {
      this.errors++;
    } finally {
      this.busy = false;
    }
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
