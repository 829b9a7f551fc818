/**
 * Smoke tests of the host test harness itself: the SSH test host (real sshd, haproxy, dnsmasq in namespaces) and
 * the real dynamic provider host spoken to over gRPC. If these fail, the provider tests cannot be trusted.
 */

import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "ssh2";
import { startSsh } from "../../providers/ssh";
import { captureResources } from "./harness/capture";
import { decodeStruct, encodeStruct, type ProviderHost, startProviderHost, urnFor } from "./harness/providerHost";
import { pidAlive as alive, startTestHost, type TestHost } from "./harness/testHost";

function fingerprint(key: Buffer): string {
  return `SHA256:${crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

function connect(h: TestHost, privateKey: string, readyTimeout = 30000, expected = h.hostKeyFingerprint): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on("ready", () => resolve(c));
    c.on("error", reject);
    startSsh(c, {
      host: h.address,
      port: h.port,
      username: h.username,
      privateKey,
      readyTimeout,
      hostVerifier: (key: Buffer) => fingerprint(key) === expected,
    });
  });
}

function sshExec(c: Client, cmd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err, stream) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      stream.on("data", (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      stream.on("error", reject);
      stream.on("close", (code: number) => resolve({ code, stdout, stderr }));
    });
  });
}

function httpGet(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: address, port, path: "/", timeout: 30000, agent: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

/** Wait for `cond`; `ms` bounds a hang (generous: the suite runs beside a second run of itself on 2 loaded cores). */
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 30000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe("SSH test host", () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ haproxy: true, dnsmasq: true });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it("must let root in with the client key over a pinned host key, with the stand-in systemctl first on PATH", async () => {
    const c = await connect(host, host.clientPrivateKey);
    try {
      const r = await sshExec(c, "id -un; command -v systemctl; ls -A /root");
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")).toEqual(["root", "/usr/local/sbin/systemctl", ".ssh", ""]);
    } finally {
      c.end();
    }
    expect(host.hostKeyLine).toMatch(/^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
  });

  it("must refuse a key that is not authorized", async () => {
    await expect(connect(host, host.otherPrivateKey)).rejects.toThrow(/All configured authentication methods failed/);
  });

  it("must present the host key whose fingerprint it reports (a wrong pin is refused)", async () => {
    await expect(connect(host, host.clientPrivateKey, 5000, "SHA256:wrong")).rejects.toThrow(/verification failed/);
  });

  it("must keep writes inside the host: real paths inside, nothing on this machine's /etc", async () => {
    const marker = `written-by-harness-test-${process.pid}-${Date.now()}`;
    const r = await host.exec(`mkdir -p /etc/cloudflared && echo ${marker} > /etc/cloudflared/config.yml && echo ${marker} > /etc/neve-harness-marker`);
    expect(r.code).toBe(0);
    expect(await host.readFile("/etc/neve-harness-marker")).toBe(`${marker}\n`);
    expect(fs.existsSync("/etc/neve-harness-marker")).toBe(false);
    expect(await host.readFile("/etc/cloudflared/config.yml")).toBe(`${marker}\n`);
    const c = await connect(host, host.clientPrivateKey);
    try {
      expect((await sshExec(c, "cat /etc/cloudflared/config.yml")).stdout).toBe(`${marker}\n`);
    } finally {
      c.end();
    }
    expect(fs.existsSync("/etc/cloudflared/config.yml") && fs.readFileSync("/etc/cloudflared/config.yml", "utf8").includes(marker)).toBe(false);
    await host.writeFile("/etc/pve/qemu-server/100.conf", "cores: 2\n", "0640");
    expect((await host.exec("stat -c %a /etc/pve/qemu-server/100.conf")).stdout.trim()).toBe("640");
    expect(fs.existsSync("/etc/pve/qemu-server/100.conf")).toBe(false);
    expect(await host.readFile("/etc/pve/absent.conf")).toBeNull();
  });

  it("must not look like a systemd host (/run/systemd/system absent inside)", async () => {
    expect((await host.exec("test -e /run/systemd/system")).code).toBe(1);
  });

  it("must really reload haproxy on `systemctl reload haproxy` and record the call", async () => {
    const before = await host.haproxyPid();
    expect(before).not.toBeNull();
    expect(await httpGet(host.address, 80)).toBe("test host");
    await host.clearSystemctlCalls();
    const c = await connect(host, host.clientPrivateKey);
    try {
      const r = await sshExec(c, "systemctl reload haproxy");
      expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    } finally {
      c.end();
    }
    const after = await host.haproxyPid();
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    expect(await waitFor(() => !alive(before!))).toBe(true);
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    expect(await httpGet(host.address, 80)).toBe("test host");
  });

  it("must fail the reload on a bad bind and keep the old haproxy serving", async () => {
    const good = (await host.readFile("/etc/haproxy/haproxy.cfg"))!;
    const before = await host.haproxyPid();
    await host.writeFile("/etc/haproxy/haproxy.cfg", good.replace(/bind \S+:80/, "bind 203.0.113.7:80"));
    try {
      const r = await host.exec("systemctl reload haproxy");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/cannot bind socket.*203\.0\.113\.7:80/);
      expect(await host.haproxyPid()).toBe(before);
      expect(await httpGet(host.address, 80)).toBe("test host");
    } finally {
      await host.writeFile("/etc/haproxy/haproxy.cfg", good);
    }
    expect((await host.exec("systemctl is-active haproxy")).stdout).toBe("active\n");
  });

  it("must fail an injected systemctl failure until it is cleared", async () => {
    await host.failSystemctl("reload", "haproxy", true);
    const failed = await host.exec("systemctl reload haproxy.service");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/injected failure of reload haproxy/);
    await host.failSystemctl("reload", "haproxy", false);
    expect((await host.exec("systemctl reload haproxy")).code).toBe(0);
    expect((await host.exec("systemctl daemon-reload")).code).toBe(0);
  });

  it("must run dnsmasq on vmbr1 when asked", async () => {
    expect((await host.exec("systemctl is-active dnsmasq")).stdout).toBe("active\n");
    expect((await host.exec("ip -4 -o addr show dev vmbr1")).stdout).toMatch(/10\.10\.10\.1\/24/);
  });

  it("must stop new SSH connections while blocked, keep established ones, and let them in again after", async () => {
    const established = await connect(host, host.clientPrivateKey);
    try {
      await host.blockSsh();
      await expect(connect(host, host.clientPrivateKey, 1500)).rejects.toThrow(/Timed out while waiting for handshake/);
      expect((await sshExec(established, "echo still-here")).stdout).toBe("still-here\n");
    } finally {
      await host.unblockSsh();
      established.end();
    }
    const again = await connect(host, host.clientPrivateKey);
    again.end();
  });

  it("must count connections and exec channels in the sshd log", async () => {
    const count = (log: string, re: RegExp) => log.match(re)?.length ?? 0;
    const beforeLog = await host.sshdLog();
    const before = count(beforeLog, /Accepted publickey/g);
    const sessionsBefore = count(beforeLog, /Starting session: command for root/g);
    const c = await connect(host, host.clientPrivateKey);
    try {
      await sshExec(c, "true");
      await sshExec(c, "true");
    } finally {
      c.end();
    }
    const log = await host.sshdLog();
    expect(count(log, /Accepted publickey/g)).toBe(before + 1);
    expect(count(log, /Starting session: command for root/g)).toBe(sessionsBefore + 2);
  });
});

describe("SSH test host cleanup", () => {
  it("must leave no namespace, link, process or temp dir after stop()", async () => {
    const h = await startTestHost({ haproxy: true });
    const haproxy = await h.haproxyPid();
    expect(haproxy).not.toBeNull();
    const linkOf = execFileSync("ip", ["-o", "route", "get", h.address])
      .toString()
      .match(/dev (\S+)/)![1];
    // The link by its index: a second run of the suite on this machine may take the free name at once.
    const ifindex = fs.readFileSync(`/sys/class/net/${linkOf}/ifindex`, "utf8").trim();
    expect(execFileSync("ip", ["netns", "list"]).toString()).toContain(h.netns);
    await h.stop();
    await h.stop();
    expect(execFileSync("ip", ["netns", "list"]).toString()).not.toContain(h.netns);
    expect(execFileSync("ip", ["-o", "link"]).toString()).not.toMatch(new RegExp(`^${ifindex}: `, "m"));
    expect(await waitFor(() => !alive(haproxy!))).toBe(true);
    // the other describe's host is stopped by its afterAll already, so no state dir of this process may remain
    expect(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(`nevetest-${process.pid}-`))).toEqual([]);
  });
});

/** A tiny dynamic provider that echoes its inputs and proves where it ran (pid of the process). */
const echoProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures = news.value ? [] : [{ property: "value", reason: "value must not be empty" }];
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    const replaces = olds.name !== news.name ? ["name"] : [];
    return { changes: olds.value !== news.value || replaces.length > 0, replaces };
  },
  async create(inputs) {
    if (inputs.value === "boom") throw new Error(`refusing value boom for ${inputs.name}`);
    return { id: `echo-${inputs.name}`, outs: { ...inputs, pid: process.pid } };
  },
  async read(id, props) {
    return { id, props: { ...props, readBy: process.pid } };
  },
  async update(_id, _olds, news) {
    return { outs: { ...news, updated: true } };
  },
  async delete(id, props) {
    require("node:fs").writeFileSync(props.marker, `deleted ${id}`);
  },
};

class Echo extends pulumi.dynamic.Resource {
  constructor(name: string, args: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super(echoProvider, name, args, opts, "neve-test", "Echo");
  }
}

describe("dynamic provider host", () => {
  let ph: ProviderHost;
  const marker = path.join(os.tmpdir(), `neve-echo-${process.pid}-deleted`);
  beforeAll(async () => {
    ph = await startProviderHost();
  });
  afterAll(async () => {
    await ph?.stop();
    fs.rmSync(marker, { force: true });
  });

  it("must capture __provider and unwrapped secret inputs from the program under mocks", async () => {
    const res = await captureResources(() => {
      new Echo("one", { name: "one", value: "a", marker, token: pulumi.secret("s3cret") });
    });
    expect(res.map((r) => [r.type, r.name])).toEqual([["pulumi-nodejs:dynamic/neve-test:Echo", "one"]]);
    expect(res[0].inputs.token).toBe("s3cret");
    expect(res[0].secretPaths).toEqual(["token"]);
    expect(String(res[0].inputs.__provider)).toContain("exports.handler");
  });

  it("must run check, diff, create, read, update and delete in the real host process", async () => {
    const [res] = await captureResources(() => {
      new Echo("one", { name: "one", value: "a", marker, token: pulumi.secret("s3cret") });
    });
    const urn = urnFor(res.type, res.name);
    const news = res.inputs;

    const ok = await ph.check(urn, {}, news);
    expect(ok.failures).toEqual([]);
    expect(ok.inputs.__provider).toBe(news.__provider);
    const bad = await ph.check(urn, {}, { ...news, value: "" });
    expect(bad.failures).toEqual([{ property: "value", reason: "value must not be empty" }]);

    const created = await ph.create(urn, ok.inputs);
    expect(created.id).toBe("echo-one");
    expect(created.properties).toMatchObject({ name: "one", value: "a", token: "s3cret", pid: ph.pid });
    expect(created.properties.__provider).toBe(news.__provider);

    expect((await ph.diff(created.id, urn, created.properties, news)).changes).toBe("none");
    const changed = await ph.diff(created.id, urn, created.properties, { ...news, value: "b" });
    expect(changed).toMatchObject({ changes: "some", replaces: [] });
    expect((await ph.diff(created.id, urn, created.properties, { ...news, name: "two" })).replaces).toEqual(["name"]);

    const read = await ph.read(created.id, urn, created.properties);
    expect(read.id).toBe("echo-one");
    expect(read.properties.readBy).toBe(ph.pid);

    const updated = await ph.update(created.id, urn, created.properties, { ...news, value: "b", gone: undefined });
    expect(updated.properties).toMatchObject({ value: "b", updated: true });
    expect(updated.properties).not.toHaveProperty("gone");

    await ph.delete(created.id, urn, updated.properties);
    expect(fs.readFileSync(marker, "utf8")).toBe("deleted echo-one");
  });

  it("must give the same results on the byte path (`wire`) as on the object path", async () => {
    const [res] = await captureResources(() => {
      new Echo("one", { name: "one", value: "a", marker, token: pulumi.secret("s3cret") });
    });
    const urn = urnFor(res.type, res.name);
    const news = res.inputs;
    const none = encodeStruct({});

    const ok = await ph.check(urn, {}, news);
    const wok = await ph.wire.check(urn, none, encodeStruct(news));
    expect(wok.failures).toEqual([]);
    expect(decodeStruct(wok.inputs)).toEqual(ok.inputs);
    const bad = await ph.wire.check(urn, none, encodeStruct({ ...news, value: "" }));
    expect(bad.failures).toEqual([{ property: "value", reason: "value must not be empty" }]);

    // The check's inputs bytes go on into the create as they came.
    const created = await ph.create(urn, ok.inputs);
    const wcreated = await ph.wire.create(urn, wok.inputs);
    expect(wcreated.id).toBe("echo-one");
    expect({ ...decodeStruct(wcreated.properties), pid: 0 }).toEqual({ ...created.properties, pid: 0 });
    expect(decodeStruct(wcreated.properties).pid).toBe(ph.pid);

    const b = encodeStruct({ ...news, value: "b" });
    expect(await ph.wire.diff(wcreated.id, urn, wcreated.properties, wok.inputs)).toEqual(await ph.diff(created.id, urn, created.properties, ok.inputs));
    expect(await ph.wire.diff(wcreated.id, urn, wcreated.properties, b)).toMatchObject({ changes: "some", replaces: [] });
    expect((await ph.wire.diff(wcreated.id, urn, wcreated.properties, encodeStruct({ ...news, name: "two" }))).replaces).toEqual(["name"]);

    const read = await ph.wire.read(wcreated.id, urn, wcreated.properties);
    expect(read.id).toBe("echo-one");
    expect(decodeStruct(read.properties)).toEqual((await ph.read(created.id, urn, created.properties)).properties);
    expect(decodeStruct(read.inputs)).toEqual({});

    // Update gets the olds and news where the provider expects them: the outputs carry the news.
    const updated = await ph.wire.update(wcreated.id, urn, wcreated.properties, b);
    expect(decodeStruct(updated.properties)).toEqual((await ph.update(created.id, urn, created.properties, { ...news, value: "b" })).properties);
    expect(decodeStruct(updated.properties)).toMatchObject({ value: "b", updated: true });
  });

  it("must surface the provider's own error text", async () => {
    const [res] = await captureResources(() => {
      new Echo("boom", { name: "boom", value: "boom", marker });
    });
    await expect(ph.create(urnFor(res.type, res.name), res.inputs)).rejects.toThrow("refusing value boom for boom");
  });
});
