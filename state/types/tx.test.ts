import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addressOf } from "../../lib/address.js";
import { fromHex, toHex } from "../../lib/bytes.js";
import { decode, encode } from "../../lib/cbor.js";
import { keyPairFromSeed, sign, verify } from "../../lib/ed25519.js";
import { verifyNoble } from "../../lib/ed25519-noble.js";
import { ErrorCode, PerpetuaError } from "../../lib/errors.js";
import {
  buildTx,
  decodeTx,
  encodeTx,
  MAX_MSGS_PER_TX,
  MAX_TX_BYTES,
  type TxBody,
  txHashHex,
  txSignBytes,
  txSignBytesOf,
} from "./tx.js";

interface DocVector {
  seed: string;
  publicKey: string;
  address: string;
  body: Omit<TxBody, "signer"> & { signer: string };
  signBytes: string;
  signature: string;
  tx: string;
  hash: string;
}

/** The vectors are read from the documentation itself, so doc and code cannot drift. */
function docVectors(): DocVector[] {
  const doc = readFileSync(new URL("../../docs/transactions.md", import.meta.url), "utf8");
  const blocks = [...doc.matchAll(/```json vector\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));
  return blocks as DocVector[];
}

const SEED_ALICE = new Uint8Array(32).fill(1);
const ALICE = keyPairFromSeed(SEED_ALICE);

function aliceTx(overrides: Partial<TxBody> = {}) {
  const body: TxBody = {
    chainId: "perpetua-test",
    signer: ALICE.publicKey,
    nonce: 1,
    msgs: [
      {
        kind: "place_order",
        market: "BTC-USD",
        side: "buy",
        type: "limit",
        price: "100",
        size: "1",
        tif: "gtc",
        reduceOnly: false,
        clientId: 1,
      },
    ],
    ...overrides,
  };
  return buildTx(body, (m) => sign(SEED_ALICE, m));
}

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof PerpetuaError) return e.code;
    throw e;
  }
}

describe("txSignBytesOf", () => {
  it("cuts the sign bytes from the tx bytes exactly as encoding the body gives them", () => {
    for (const v of docVectors()) {
      const tx = decodeTx(fromHex(v.tx));
      expect(toHex(txSignBytesOf(fromHex(v.tx), tx))).toBe(v.signBytes);
    }
    for (let n = 1; n <= 40; n += 13) {
      const msgs = Array.from({ length: n }, (_, i) => ({
        kind: "transfer" as const,
        to: `0x${"ab".repeat(20)}`,
        amount: `${i + 1}.5`,
      }));
      const { tx, bytes } = aliceTx({ nonce: 2 ** 40 + n, msgs });
      expect(txSignBytesOf(bytes, tx)).toEqual(txSignBytes(tx.body));
    }
  });

  it("falls back to encoding the body for bytes not framed as a canonical tx", () => {
    const { tx, bytes } = aliceTx();
    const odd = bytes.slice();
    odd[0] = 0xa3;
    expect(txSignBytesOf(odd, tx)).toEqual(txSignBytes(tx.body));
    expect(txSignBytesOf(bytes.subarray(0, 70), tx)).toEqual(txSignBytes(tx.body));
  });
});

describe("docs/transactions.md vectors", () => {
  const vectors = docVectors();
  it("has at least three vectors", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3);
  });

  it.each(vectors.map((v, i) => [i + 1, v] as const))(
    "vector %i reproduces byte for byte",
    (_, v) => {
      const seed = fromHex(v.seed);
      const kp = keyPairFromSeed(seed);
      expect(toHex(kp.publicKey)).toBe(v.publicKey);
      expect(addressOf(kp.publicKey)).toBe(v.address);
      const body = { ...v.body, signer: fromHex(v.body.signer) } as TxBody;
      expect(toHex(txSignBytes(body))).toBe(v.signBytes);
      const { tx, bytes } = buildTx(body, (m) => sign(seed, m));
      expect(toHex(tx.signature)).toBe(v.signature);
      expect(toHex(bytes)).toBe(v.tx);
      expect(txHashHex(bytes)).toBe(v.hash);
      // and back: the documented bytes decode, and the signature verifies on both paths
      const decoded = decodeTx(fromHex(v.tx));
      expect(toHex(encodeTx(decoded))).toBe(v.tx);
      expect(verify(decoded.body.signer, txSignBytes(decoded.body), decoded.signature)).toBe(true);
      expect(verifyNoble(decoded.body.signer, txSignBytes(decoded.body), decoded.signature)).toBe(
        true,
      );
    },
  );
});

describe("stateless validation", () => {
  it("accepts a well-formed transaction and round-trips it", () => {
    const { bytes, tx } = aliceTx();
    expect(decodeTx(bytes)).toEqual(tx);
  });

  it("rejects oversize bytes before decoding", () => {
    expect(codeOf(() => decodeTx(new Uint8Array(MAX_TX_BYTES + 1)))).toBe(ErrorCode.TX_TOO_LARGE);
  });

  it("rejects garbage and non-canonical bytes", () => {
    expect(codeOf(() => decodeTx(fromHex("ff00")))).toBe(ErrorCode.MALFORMED);
    expect(codeOf(() => decodeTx(new Uint8Array()))).toBe(ErrorCode.MALFORMED);
    const { bytes } = aliceTx();
    // Re-encode the nonce 1 in two bytes (0x18 0x01): same value, non-canonical bytes.
    const hex = toHex(bytes);
    const patched = hex.replace("656e6f6e636501", "656e6f6e63651801");
    expect(patched).not.toBe(hex);
    expect(codeOf(() => decodeTx(fromHex(patched)))).toBe(ErrorCode.MALFORMED);
  });

  const bad: [string, (t: Record<string, unknown>) => void, number][] = [
    [
      "unknown top-level field",
      (t) => {
        t.extra = 1;
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      // On every object's prototype: an `in` test would have let it through, unread.
      "a field named toString in the body",
      (t) => {
        Object.assign(t.body as object, { toString: 1 });
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "short signature",
      (t) => {
        t.signature = new Uint8Array(63);
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "signer of 31 bytes",
      (t) => {
        (t.body as Record<string, unknown>).signer = new Uint8Array(31);
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "nonce zero",
      (t) => {
        (t.body as Record<string, unknown>).nonce = 0;
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "nonce as text",
      (t) => {
        (t.body as Record<string, unknown>).nonce = "1";
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "chain id with upper case",
      (t) => {
        (t.body as Record<string, unknown>).chainId = "Perp";
      },
      ErrorCode.INVALID_FIELD,
    ],
    [
      "no messages",
      (t) => {
        (t.body as Record<string, unknown>).msgs = [];
      },
      ErrorCode.INVALID_FIELD,
    ],
  ];
  it.each(bad)("rejects %s", (_, mutate, code) => {
    const { tx } = aliceTx();
    const raw = decode(encodeTx(tx)) as Record<string, unknown>;
    mutate(raw);
    expect(codeOf(() => decodeTx(encode(raw)))).toBe(code);
  });

  const badMsgs: [string, Record<string, unknown>, number][] = [
    ["unknown kind", { kind: "withdraw_all" }, ErrorCode.UNKNOWN_MSG],
    ["bad side", { side: "long" }, ErrorCode.INVALID_FIELD],
    ["bad tif", { tif: "gtd" }, ErrorCode.INVALID_FIELD],
    ["exponent price", { price: "1e5" }, ErrorCode.INVALID_DECIMAL],
    ["negative size", { size: "-1" }, ErrorCode.INVALID_DECIMAL],
    ["zero size", { size: "0" }, ErrorCode.INVALID_DECIMAL],
    ["numeric size", { size: 1 }, ErrorCode.INVALID_FIELD],
    ["lower-case market", { market: "btc-usd" }, ErrorCode.INVALID_FIELD],
    ["clientId above uint32", { clientId: 2 ** 32 }, ErrorCode.INVALID_FIELD],
    ["limit without price", { price: undefined }, ErrorCode.INVALID_FIELD],
    ["market gtc", { type: "market", tif: "gtc" }, ErrorCode.INVALID_FIELD],
    ["bad trigger kind", { trigger: { kind: "trailing", price: "1" } }, ErrorCode.INVALID_FIELD],
    ["null optional", { goodTilBlock: null }, ErrorCode.INVALID_FIELD],
  ];
  it.each(badMsgs)("rejects a place_order with %s", (_, patch, code) => {
    const { tx } = aliceTx();
    const raw = decode(encodeTx(tx)) as { body: { msgs: Record<string, unknown>[] } };
    const msg = { ...raw.body.msgs[0], ...patch };
    for (const k of Object.keys(msg)) if (msg[k] === undefined) delete msg[k];
    raw.body.msgs[0] = msg;
    expect(codeOf(() => decodeTx(encode(raw)))).toBe(code);
  });

  it("rejects cancel_order with both or neither of orderId and clientId", () => {
    for (const m of [
      { kind: "cancel_order", market: "BTC-USD" },
      { kind: "cancel_order", market: "BTC-USD", orderId: 1, clientId: 2 },
    ]) {
      const { tx } = aliceTx();
      const raw = decode(encodeTx(tx)) as { body: { msgs: unknown[] } };
      raw.body.msgs = [m];
      expect(codeOf(() => decodeTx(encode(raw)))).toBe(ErrorCode.INVALID_FIELD);
    }
  });

  it("rejects transfers to malformed addresses and too many messages", () => {
    const t = { kind: "transfer" as const, to: `0x${"AB".repeat(20)}`, amount: "1" };
    expect(codeOf(() => aliceTx({ msgs: [t] }))).toBe(ErrorCode.INVALID_FIELD);
    const many = Array.from({ length: MAX_MSGS_PER_TX + 1 }, () => ({
      kind: "faucet" as const,
      amount: "1",
    }));
    expect(codeOf(() => aliceTx({ msgs: many }))).toBe(ErrorCode.INVALID_FIELD);
    const max = Array.from({ length: MAX_MSGS_PER_TX }, () => ({
      kind: "faucet" as const,
      amount: "1",
    }));
    expect(decodeTx(aliceTx({ msgs: max }).bytes).body.msgs).toHaveLength(MAX_MSGS_PER_TX);
  });

  it("names the failing field path in the message", () => {
    const { tx } = aliceTx();
    const raw = decode(encodeTx(tx)) as { body: { msgs: Record<string, unknown>[] } };
    raw.body.msgs[0].side = "up";
    expect(() => decodeTx(encode(raw))).toThrow(/tx\.body\.msgs\[0\]\.side/);
  });
});
