/**
 * The adoption guard of HostConfig's first push (create), through the REAL dynamic provider host and a REAL sshd
 * test host: a live file that is neither absent, nor equal to the render, nor acknowledged by its hash
 * (`files[].acceptLive`, from `neve-infra:adoption.files`), nor what a verified push of the path wrote, refuses the
 * create with exit 20 before anything is staged; the file stays byte-identical (same mtime, same inode).
 */

import { createHash } from "node:crypto";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { conn, create, declare, haproxyCfg, haproxyConfigArgs, type State, statOf, up } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";
const DIR = "/etc/neve-guard";
const sha = (s: string) => `sha256:${createHash("sha256").update(s, "utf8").digest("hex")}`;

describe("HostConfig adoption guard (real provider host, real sshd, real haproxy)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost()]);
    await host.exec(`mkdir -p ${DIR}`);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  /** A plain file of its own service (no validator, no activation). */
  const plain = (service: string, path: string, content: string, acceptLive?: string[], over: Partial<HostConfigArgs> = {}): HostConfigArgs => ({
    connection: conn(host),
    service,
    files: [{ path, content, ...(acceptLive ? { acceptLive } : {}) }],
    ...over,
  });

  it("must refuse a create over the test host's hand-written haproxy.cfg that nobody acknowledged: exit 20, file byte-identical, haproxy not reloaded, nothing stashed", async () => {
    const live = (await host.readFile(CFG)) as string;
    expect(live).toContain("test host");
    const before = await statOf(host, CFG);
    const pid = await host.haproxyPid();
    await host.clearSystemctlCalls();
    // Declared without acknowledging the harness's file (haproxyConfigArgs would).
    const d = await declare("haproxy", haproxyConfigArgs(host, haproxyCfg(host, "v1"), { files: [{ path: CFG, content: haproxyCfg(host, "v1") }] }));
    const err = await create(ph, d).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toContain("adoption guard (exit 20)");
    expect(err).toContain(`${CFG} on the host is a live file whose content (${sha(live)})`);
    expect(err).toContain("npm run discover -- --check");
    expect(err).toContain(`npm run discover -- --write --acknowledge-file ${CFG}`);
    expect(await host.readFile(CFG)).toBe(live);
    expect(await statOf(host, CFG)).toBe(before);
    expect(await host.haproxyPid()).toBe(pid);
    expect(await host.systemctlCalls()).toEqual([]);
    // Refused before staging and before the original was recorded: nothing new beside the file, no stash of the service.
    expect((await host.exec("ls -A /etc/haproxy")).stdout.trim()).toBe("haproxy.cfg");
    expect((await host.exec("test -e /root/etc-pve.stash/haproxy")).code).not.toBe(0);
  });

  it("must let the create replace the acknowledged live content (its sha256 in acceptLive): original stashed, reloaded once", async () => {
    const live = (await host.readFile(CFG)) as string;
    expect(sha(live)).toBe(host.initialHaproxyCfgHash);
    await host.clearSystemctlCalls();
    const d = await declare(
      "haproxy",
      haproxyConfigArgs(host, haproxyCfg(host, "v1"), { files: [{ path: CFG, content: haproxyCfg(host, "v1"), acceptLive: [sha(live)] }] }),
    );
    await create(ph, d);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v1"));
    expect(await host.readFile(`/root/etc-pve.stash/haproxy/original/files${CFG}`)).toBe(live);
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
  });

  it("must refuse when the acknowledged file was edited on the host since: the hash names another content", async () => {
    const path = `${DIR}/acked-then-edited.conf`;
    await host.writeFile(path, "hand-written 1\n");
    const ack = sha("hand-written 1\n");
    await host.writeFile(path, "hand-written 2 (edited after the acknowledgement)\n");
    const before = await statOf(host, path);
    const d = await declare("edited", plain("edited", path, "rendered\n", [ack]));
    await expect(create(ph, d)).rejects.toThrow(
      new RegExp(
        `adoption guard \\(exit 20\\): ${path} on the host is a live file whose content \\(${sha("hand-written 2 (edited after the acknowledgement)\n")}\\)`,
      ),
    );
    expect(await host.readFile(path)).toBe("hand-written 2 (edited after the acknowledgement)\n");
    expect(await statOf(host, path)).toBe(before);
  });

  it("must create an absent file, and pass a live file already equal to the render (no refusal, not rewritten)", async () => {
    const absent = `${DIR}/absent.conf`;
    await create(ph, await declare("absent", plain("absent", absent, "new\n")));
    expect(await host.readFile(absent)).toBe("new\n");

    const equal = `${DIR}/equal.conf`;
    await host.writeFile(equal, "same\n", "0644");
    const before = await statOf(host, equal);
    await create(ph, await declare("equal", plain("equal", equal, "same\n")));
    expect(await statOf(host, equal)).toBe(before);
  });

  it("must never print the live hash of a secret file it refuses", async () => {
    const path = `${DIR}/secret.conf`;
    await host.writeFile(path, "live-secret-value\n", "0600");
    const d = await declare(
      "secret",
      plain("secret", path, "declared-secret-value\n", undefined, { files: [{ path, content: "declared-secret-value\n", secret: true, mode: "0600" }] }),
    );
    const err = await create(ph, d).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(err).toContain(`${path} on the host is a live file whose content (a secret file: its hash is not shown)`);
    expect(err).not.toContain(sha("live-secret-value\n").slice(7, 20));
    expect(err).not.toContain("live-secret-value");
    expect(await host.readFile(path)).toBe("live-secret-value\n");
  });

  it("must refuse a path that is not a regular file (a symbolic link), leaving it as it is", async () => {
    const path = `${DIR}/link.conf`;
    await host.exec(`ln -sfn /etc/hostname ${path}`);
    await expect(create(ph, await declare("link", plain("link", path, "x\n")))).rejects.toThrow(
      new RegExp(`adoption guard \\(exit 20\\): ${path} on the host is not a regular file`),
    );
    expect((await host.exec(`readlink ${path}`)).stdout.trim()).toBe("/etc/hostname");
  });

  it("must let a create replace what a verified push of the path wrote (a replaced resource, a lost state), but not a hand edit on top of it", async () => {
    const path = `${DIR}/replaced.conf`;
    const first: State = await create(ph, await declare("first", plain("first", path, "pushed by the first resource\n")));
    void first;
    // A new resource (no state: create) with another render over the first one's verified push: not hand-written.
    await create(ph, await declare("second", plain("second", path, "pushed by the second resource\n")));
    expect(await host.readFile(path)).toBe("pushed by the second resource\n");
    // A hand edit after that push: the next create must refuse it (an update would not: the state owns the file).
    await host.writeFile(path, "edited by hand after the push\n");
    await expect(create(ph, await declare("third", plain("third", path, "pushed by the third resource\n")))).rejects.toThrow(/adoption guard \(exit 20\)/);
    expect(await host.readFile(path)).toBe("edited by hand after the push\n");
  });

  it("must not be bypassed by a push that failed after the check: a failed validation or a rolled-back activation records nothing, the next create checks again", async () => {
    const path = `${DIR}/fault.conf`;
    await host.writeFile(path, "hand-written original\n");
    const ack = sha("hand-written original\n");
    // Passed the guard (acknowledged), then failed validation: nothing moved, no state.
    await expect(create(ph, await declare("fault", plain("fault", path, "v1\n", [ack], { validate: ["false"] })))).rejects.toThrow(/validation failed/);
    // Passed the guard, swapped, then failed activation: rolled back to the hand-written file, no state.
    await expect(create(ph, await declare("fault", plain("fault", path, "v2\n", [ack], { activate: "exit 3" })))).rejects.toThrow(/Rolled back/);
    expect(await host.readFile(path)).toBe("hand-written original\n");
    // Without the acknowledgement the next create is refused: neither failed push left a record that lets it through.
    const before = await statOf(host, path);
    await expect(create(ph, await declare("fault", plain("fault", path, "v3\n")))).rejects.toThrow(/adoption guard \(exit 20\)/);
    expect(await statOf(host, path)).toBe(before);
  });

  it("must not guard an update: the state owns the file, a hand edit is drift that the next up corrects (stashed first)", async () => {
    const path = `${DIR}/owned.conf`;
    let state = await create(ph, await declare("owned", plain("owned", path, "v1\n")));
    await host.writeFile(path, "hand edit after the up\n");
    const r = await ph.read(state.id, "", state.outputs);
    state = { ...state, outputs: r.properties };
    const { diff, state: next } = await up(ph, state, await declare("owned", plain("owned", path, "v1\n")));
    expect(diff.changes).toBe("some");
    expect(await host.readFile(path)).toBe("v1\n");
    expect(await host.readFile(`${next.outputs.lastStash as string}/files${path}`)).toBe("hand edit after the up\n");
  });
});
