import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SimulatedCrash } from "../crash.js";
import { ed25519Scheme } from "../crypto.js";
import { isConsensusError } from "../errors.js";
import { NIL, VoteType } from "../types/vote.js";
import { FileSignerStorage } from "./fileSignerStorage.js";
import { GuardedSigner } from "./guardedSigner.js";
import { encodeLastSignState } from "./lastSignState.js";
import { MemorySignerStorage } from "./memorySignerStorage.js";

const SEED = new Uint8Array(32).fill(9);
const HASH_A = new Uint8Array(32).fill(0xaa);
const HASH_B = new Uint8Array(32).fill(0xbb);
const EXT = Uint8Array.from([1, 2, 3]);

function prevote(height: number, round: number, blockHash: Uint8Array, timestampMs = 1000) {
  return { type: VoteType.Prevote, height, round, blockHash, timestampMs };
}

const dir = mkdtempSync(join(tmpdir(), "perpetua-signer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("GuardedSigner", () => {
  it("returns the same signature when asked again for the same vote", async () => {
    const s = new GuardedSigner("c", SEED, ed25519Scheme, new MemorySignerStorage());
    const a = await s.signVote(prevote(1, 0, HASH_A), null);
    const b = await s.signVote(prevote(1, 0, HASH_A), null);
    expect(b.signature).toEqual(a.signature);
  });

  it("a re-sign that differs only by timestamp returns the old timestamp, signature and extension", async () => {
    const s = new GuardedSigner("c", SEED, ed25519Scheme, new MemorySignerStorage());
    const pc = { type: VoteType.Precommit, height: 2, round: 1, blockHash: HASH_A };
    const a = await s.signVote({ ...pc, timestampMs: 5000 }, EXT);
    const b = await s.signVote({ ...pc, timestampMs: 9000 }, Uint8Array.from([9]));
    expect(b).toEqual(a);
    expect(b.timestampMs).toBe(5000);
  });

  it("refuses a conflicting vote for the same height/round/step", async () => {
    const s = new GuardedSigner("c", SEED, ed25519Scheme, new MemorySignerStorage());
    await s.signVote(prevote(1, 0, HASH_A), null);
    await expect(s.signVote(prevote(1, 0, HASH_B), null)).rejects.toSatisfy((e) =>
      isConsensusError(e, "signer_conflict"),
    );
    await expect(s.signVote(prevote(1, 0, NIL), null)).rejects.toSatisfy((e) =>
      isConsensusError(e, "signer_conflict"),
    );
  });

  it("refuses to go back in height, round or step", async () => {
    const s = new GuardedSigner("c", SEED, ed25519Scheme, new MemorySignerStorage());
    await s.signVote(
      { type: VoteType.Precommit, height: 3, round: 2, blockHash: NIL, timestampMs: 1 },
      null,
    );
    for (const v of [prevote(3, 2, NIL), prevote(3, 1, NIL), prevote(2, 5, NIL)]) {
      await expect(s.signVote(v, null)).rejects.toSatisfy((e) =>
        isConsensusError(e, "signer_regression"),
      );
    }
    await expect(
      s.signProposal({ height: 3, round: 2, polRound: -1, blockHash: HASH_A }),
    ).rejects.toSatisfy((e) => isConsensusError(e, "signer_regression"));
    await s.signProposal({ height: 3, round: 3, polRound: -1, blockHash: HASH_A });
  });

  it("releases no signature when the save does not complete, and remembers after it does", async () => {
    const storage = new MemorySignerStorage();
    storage.crashHook = (p) => {
      if (p === "signer:beforeSave") throw new SimulatedCrash(p);
    };
    const s = new GuardedSigner("c", SEED, ed25519Scheme, storage);
    await expect(s.signVote(prevote(1, 0, HASH_A), null)).rejects.toBeInstanceOf(SimulatedCrash);
    storage.crashHook = undefined;
    // Restarted signer: nothing was saved, so it may sign anything at 1/0.
    const s2 = new GuardedSigner("c", SEED, ed25519Scheme, storage);
    await s2.signVote(prevote(1, 0, HASH_B), null);
    const s3 = new GuardedSigner("c", SEED, ed25519Scheme, storage);
    await expect(s3.signVote(prevote(1, 0, HASH_A), null)).rejects.toSatisfy((e) =>
      isConsensusError(e, "signer_conflict"),
    );
  });

  it("file storage persists the guard across restarts", async () => {
    const path = join(dir, "priv_validator_state.cbor");
    const s = new GuardedSigner("c", SEED, ed25519Scheme, new FileSignerStorage(path));
    const a = await s.signVote(
      { type: VoteType.Precommit, height: 7, round: 0, blockHash: HASH_A, timestampMs: 42 },
      EXT,
    );
    const again = new GuardedSigner("c", SEED, ed25519Scheme, new FileSignerStorage(path));
    expect(again.lastSigned()?.height).toBe(7);
    const b = await again.signVote(
      { type: VoteType.Precommit, height: 7, round: 0, blockHash: HASH_A, timestampMs: 99 },
      EXT,
    );
    expect(b).toEqual(a);
    await expect(
      again.signVote(
        { type: VoteType.Precommit, height: 7, round: 0, blockHash: HASH_B, timestampMs: 1 },
        EXT,
      ),
    ).rejects.toSatisfy((e) => isConsensusError(e, "signer_conflict"));
  });

  it("file storage: a torn slot falls back to the other one; an old-format file is read and upgraded", async () => {
    const path = join(dir, "slots.state");
    const st = new FileSignerStorage(path);
    const s = new GuardedSigner("c", SEED, ed25519Scheme, st);
    await s.signVote(prevote(5, 0, HASH_A), null); // seq 1 → slot 1
    await s.signVote(prevote(6, 0, HASH_A), null); // seq 2 → slot 0
    st.close();
    expect(new FileSignerStorage(path).load()?.height).toBe(6);
    // Tear the newer slot (slot 0): the state of height 5 remains, and is still a guard.
    const bytes = readFileSync(path);
    bytes[20] ^= 0xff;
    writeFileSync(path, bytes);
    const reopened = new FileSignerStorage(path);
    expect(reopened.load()?.height).toBe(5);
    // Tear both: the node refuses rather than sign without a guard.
    bytes[4096 + 20] ^= 0xff;
    writeFileSync(path, bytes);
    expect(() => new FileSignerStorage(path).load()).toThrow(/no valid slot/);

    // The previous format: the CBOR state alone.
    const legacy = join(dir, "legacy.state");
    const old = new GuardedSigner("c", SEED, ed25519Scheme, new MemorySignerStorage());
    await old.signVote(prevote(9, 1, HASH_B), null);
    writeFileSync(legacy, encodeLastSignState(old.lastSigned()!));
    const up = new GuardedSigner("c", SEED, ed25519Scheme, new FileSignerStorage(legacy));
    expect(up.lastSigned()?.height).toBe(9);
    await expect(up.signVote(prevote(9, 1, HASH_A), null)).rejects.toSatisfy((e) =>
      isConsensusError(e, "signer_conflict"),
    );
    await up.signVote(prevote(10, 0, HASH_A), null);
    expect(new FileSignerStorage(legacy).load()?.height).toBe(10);
  });

  it("overlapping calls are serialized: two conflicting prevotes, one signature", async () => {
    const s = new GuardedSigner(
      "c",
      SEED,
      ed25519Scheme,
      new FileSignerStorage(join(dir, "race.state")),
    );
    const results = await Promise.allSettled([
      s.signVote(prevote(3, 0, HASH_A), null),
      s.signVote(prevote(3, 0, HASH_B), null),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
  });
});
