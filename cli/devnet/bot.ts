/**
 * The devnet's market-making bot: quotes both sides of every market around the oracle price
 * (a ladder of levels, refreshed every `intervalMs` with one transaction: cancel-all, then the
 * new orders, which the chain executes in that order within the block), and a small taker
 * that crosses the spread now and then so trades happen. It talks to a node over JSON-RPC
 * like any trader.
 */

import { PerpetuaClient, seedFromHex, Wallet } from "../../rpc/client/index.js";
import { nodeSigner } from "../../rpc/client/nodeSigner.js";
import type { MarketInfo } from "../../rpc/client/types.js";
import type { Msg } from "../../state/types/tx.js";

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
  private round = 0;
  private busy = false;
  private readonly client: PerpetuaClient;
  private readonly maker: Wallet;
  private readonly taker: Wallet;
  errors = 0;
  sent = 0;

  constructor(private readonly o: BotOptions) {
    this.client = new PerpetuaClient(o.rpc);
    this.maker = new Wallet(this.client, nodeSigner(seedFromHex(o.makerSeed)), {
      chainId: o.chainId,
    });
    this.taker = new Wallet(this.client, nodeSigner(seedFromHex(o.takerSeed)), {
      chainId: o.chainId,
    });
  }

  /** Sends without waiting for the commit; a rejection only counts as an error. */
  private async send(wallet: Wallet, msgs: Msg[]): Promise<void> {
    this.sent++;
    await wallet.send(msgs, { wait: false }).catch(() => this.errors++);
  }

  async markets(): Promise<MarketInfo[]> {
    return (await this.client.markets()).markets;
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
      await this.send(this.maker, msgs);
      // The taker crosses one market every other round, alternating sides.
      if (this.round % 2 === 0 && markets.length > 0) {
        const m = markets[(this.round / 2) % markets.length];
        const size = (
          Number(m.stepSize) *
          Math.max(1, Math.round(500 / Number(m.oraclePrice) / Number(m.stepSize)))
        ).toFixed(decimals(m.stepSize));
        const side = this.round % 4 === 0 ? "buy" : "sell";
        await this.send(this.taker, [
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
