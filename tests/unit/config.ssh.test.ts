// `neve-infra:ssh`: checked by the schema with the providers' own rules (host, user, host key pin,
// time-limit bounds), so the plan refuses what a provider check would; `timeouts` is handed to every
// host resource as `connection.timeouts` (one home for the limits: providers/ssh/timeouts.ts).
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { sshSchema } from "../../stacks/config/ssh";

const HOST_TYPES = ["pulumi-nodejs:dynamic/neve:HostConfig", "pulumi-nodejs:dynamic/neve:LxcRawConfig"];
const SSH = { host: "100.94.229.96", port: 22, user: "root", hostKey: "SHA256:uO2YrKm6bWk9h0Oq1oX3b9zVxR2mX0Q1y8m0aVbQ5Ys" };
const plain = (v: unknown): Record<string, unknown> =>
  (v && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig ? (v as { value: unknown }).value : v) as Record<
    string,
    unknown
  >;

describe("neve-infra:ssh", () => {
  it.each([
    ["a user with a line break", { user: "root\nevil" }, "user", "must be a user name"],
    ["a host with a blank", { host: "100.94.229.96 x" }, "host", "must name the host to connect to"],
    ["a host key line whose key is garbled", { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBadBad" }, "hostKey", "must be a public host key line"],
  ])("must refuse %s naming the field, as the providers' check would", (_name, over, path, message) => {
    const r = sshSchema.safeParse({ ...SSH, ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path.join(".")).toBe(path);
    expect(r.error!.issues[0].message).toContain(message);
  });

  it("must accept the pinned fingerprint and key line forms the providers accept", () => {
    expect(sshSchema.safeParse(SSH).success).toBe(true);
    expect(sshSchema.safeParse({ ...SSH, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" }).success).toBe(true);
  });
});

describe("neve-infra:ssh.timeouts", () => {
  it.each([
    [{ connect: 0 }, "timeouts.connect", "must be at least 1 second"],
    [{ change: 3601 }, "timeouts.change", "must be at most 3600 seconds"],
    [{ read: 2.5 }, "timeouts.read", "must be a whole number of seconds (one read; default 60)"],
    [{ later: 5 }, "timeouts", "later"],
  ])("must refuse %j naming the field", (timeouts, path, message) => {
    const r = sshSchema.safeParse({ ...SSH, timeouts });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0];
    expect(issue.path.join(".")).toBe(path);
    expect(JSON.stringify(r.error!.issues)).toContain(message);
  });

  it("must hand the limits to every host resource as connection.timeouts", async () => {
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    const secrets = {
      proxmoxApiToken: "t@pam!u=aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb",
      sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
      tunnelCredentials: JSON.stringify({ AccountTag: "a", TunnelSecret: "s", TunnelID: "464de2f3-7058-4a1f-9f93-ae8425f0ffbe" }),
      pbsPassword: "p",
    };
    const withLimits = await runProgram({ secrets, configOverrides: { ssh: { ...SSH, timeouts: { change: 900, read: 30 } } } });
    const hosts = withLimits.resources.filter((r) => HOST_TYPES.includes(r.type));
    expect(hosts.length).toBeGreaterThan(1);
    for (const r of hosts) expect(plain(r.inputs.connection).timeouts).toEqual({ change: 900, read: 30 });
  });
});
