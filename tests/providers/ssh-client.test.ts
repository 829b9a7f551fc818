/**
 * The SSH layer's own guarantees that need no host: the channel gate never lets more than its limit
 * through (even a caller arriving between a release and the waiter's wake-up), and a private key the
 * parser refuses is reported with a fixed message that quotes nothing of it.
 */
import { connect, PRIVATE_KEY_UNUSABLE } from "../../providers/ssh/client";
import { acquire, newGate, release } from "../../providers/ssh/gate";

describe("the channel gate", () => {
  it("must never let a caller that arrives between a release and the waiter's wake-up take a slot as well", async () => {
    const gate = newGate(2);
    let inside = 0;
    let peak = 0;
    const enter = async () => {
      await acquire(gate);
      inside++;
      peak = Math.max(peak, inside);
    };
    const leave = () => {
      inside--;
      release(gate);
    };
    await enter();
    await enter();
    const waiter = enter(); // third: waits in line
    leave(); // the slot goes to the waiter ...
    const latecomer = enter(); // ... so this one, arriving before the waiter ran, must wait too
    await waiter;
    await Promise.resolve();
    expect(peak).toBe(2);
    expect(gate.active).toBe(2);
    leave();
    await latecomer;
    expect(peak).toBe(2);
    leave();
    leave();
    expect(gate.active).toBe(0);
  });

  it("must keep the peak at the limit when many callers come at once, and serve them all", async () => {
    const gate = newGate(8);
    let inside = 0;
    let peak = 0;
    const job = async (i: number) => {
      await acquire(gate);
      inside++;
      peak = Math.max(peak, inside);
      await new Promise((r) => setTimeout(r, i % 3));
      inside--;
      release(gate);
      // A new caller right at the release, as a provider's next exec would be.
      if (i < 20) await job(i + 100);
    };
    await Promise.all(Array.from({ length: 30 }, (_v, i) => job(i)));
    expect(peak).toBe(8);
    expect(gate.active).toBe(0);
    expect(gate.waiters).toHaveLength(0);
  });
});

describe("a private key the SSH client cannot parse", () => {
  // ssh2 would say "Unsupported OpenSSH key magic: <the first 15 bytes of the key, decoded>".
  const secret = "TOPSECRETbytes!";
  const key = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from(secret + "x".repeat(40)).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----`;

  it("must be reported with a fixed message that quotes nothing of the key", async () => {
    const where = "root@127.0.0.1:9";
    const err = connect({ host: "127.0.0.1", port: 9, username: "root", hostKey: `SHA256:${"A".repeat(43)}`, privateKey: key });
    await expect(err).rejects.toThrow(PRIVATE_KEY_UNUSABLE(where));
    const message = await err.catch((e: Error) => e.message);
    expect(message).not.toContain("TOPSECRET");
    expect(message).not.toContain("magic");
  });
});
