import { parse } from "yaml";
import { type CloudflaredModel, cloudflaredCredentialsPath, renderCloudflaredConfig, renderCloudflaredCredentials } from "../../stacks/render";
import * as neve from "./neve.fixture";

describe("cloudflared config.yml for neve", () => {
  const text = renderCloudflaredConfig(neve.cloudflared);
  const doc = parse(text) as { tunnel: string; "credentials-file": string; ingress: Array<Record<string, unknown>> };

  it("is pinned as a whole", () => {
    expect(text).toMatchSnapshot();
  });

  it("must parse as YAML into the shape cloudflared reads", () => {
    expect(doc).toEqual({
      tunnel: neve.TUNNEL_ID,
      "credentials-file": `/etc/cloudflared/${neve.TUNNEL_ID}.json`,
      ingress: [
        { hostname: "neve.wenzelarifiandi.com", service: "https://127.0.0.1:8006", originRequest: { noTLSVerify: true } },
        { service: "http_status:404" },
      ],
    });
  });

  it("must end the ingress with the hostname-less catch-all, and have only one", () => {
    const catchAlls = doc.ingress.filter((r) => r.hostname === undefined);
    expect(catchAlls).toEqual([{ service: "http_status:404" }]);
    expect(doc.ingress[doc.ingress.length - 1]).toBe(catchAlls[0]);
  });

  it("must skip certificate verification only for the self-signed origin", () => {
    const t = renderCloudflaredConfig({
      ...neve.cloudflared,
      ingress: [...neve.cloudflared.ingress, { hostname: "app.wenzelarifiandi.com", service: "http://10.10.10.90:80" }],
      catchAllStatus: 503,
    });
    const d = parse(t) as { ingress: Array<Record<string, unknown>> };
    expect(d.ingress[1]).toEqual({ hostname: "app.wenzelarifiandi.com", service: "http://10.10.10.90:80" });
    expect(d.ingress[2]).toEqual({ service: "http_status:503" });
  });

  it("must name the credentials file after the tunnel", () => {
    expect(cloudflaredCredentialsPath(neve.TUNNEL_ID)).toBe(`/etc/cloudflared/${neve.TUNNEL_ID}.json`);
  });
});

const rule = neve.cloudflared.ingress[0];
describe.each<[string, CloudflaredModel, string]>([
  [
    "a tunnel id that is not a UUID",
    { ...neve.cloudflared, tunnelId: "neve-tunnel" },
    'cloudflared.tunnelId: must be the tunnel\'s lowercase UUID as printed by `cloudflared tunnel list`, got "neve-tunnel"',
  ],
  ["no ingress rule", { ...neve.cloudflared, ingress: [] }, "cloudflared.ingress: must list at least one entry"],
  [
    "a wildcard hostname",
    { ...neve.cloudflared, ingress: [{ ...rule, hostname: "*.wenzelarifiandi.com" }] },
    'cloudflared.ingress[0].hostname: "*.wenzelarifiandi.com" is not a fully qualified host name',
  ],
  [
    "an origin without scheme",
    { ...neve.cloudflared, ingress: [{ ...rule, service: "127.0.0.1:8006" }] },
    'cloudflared.ingress[0].service: "127.0.0.1:8006" is not an origin URL with an explicit port',
  ],
  [
    "an origin with a path",
    { ...neve.cloudflared, ingress: [{ ...rule, service: "https://127.0.0.1:8006/pve" }] },
    'cloudflared.ingress[0].service: "https://127.0.0.1:8006/pve" has a path, query or credentials',
  ],
  [
    "an origin on port 70000 (the config schema's own predicate)",
    { ...neve.cloudflared, ingress: [{ ...rule, service: "https://127.0.0.1:70000" }] },
    'cloudflared.ingress[0].service: "https://127.0.0.1:70000" has port 70000; use a port in 1-65535',
  ],
  [
    "an origin on port 0",
    { ...neve.cloudflared, ingress: [{ ...rule, service: "https://127.0.0.1:0" }] },
    'cloudflared.ingress[0].service: "https://127.0.0.1:0" has port 0',
  ],
  [
    "noTLSVerify on plain http",
    { ...neve.cloudflared, ingress: [{ ...rule, service: "http://127.0.0.1:8006" }] },
    "cloudflared.ingress[0].noTLSVerify: only applies to an https:// origin",
  ],
  [
    "the same hostname twice",
    { ...neve.cloudflared, ingress: [rule, rule] },
    'cloudflared.ingress[1]: hostname "neve.wenzelarifiandi.com" is already used by cloudflared.ingress[0]',
  ],
  ["a catch-all status that is not HTTP", { ...neve.cloudflared, catchAllStatus: 42 }, "cloudflared.catchAllStatus: must be an HTTP status 100-599, got 42"],
  ["a relative config directory", { ...neve.cloudflared, configDir: "cloudflared" }, "cloudflared.configDir: must be an absolute path"],
])("cloudflared model with %s", (_name, model, message) => {
  it("must be refused with an error naming the field", () => {
    expect(() => renderCloudflaredConfig(model)).toThrow(message);
  });
});

describe("cloudflared credentials", () => {
  const SECRET = "c2VjcmV0LXR1bm5lbC1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAwMDAwMDA=";
  const good = JSON.stringify({ AccountTag: "0123456789abcdef0123456789abcdef", TunnelSecret: SECRET, TunnelID: neve.TUNNEL_ID });

  it("must pass valid credentials through byte for byte", () => {
    expect(renderCloudflaredCredentials(good, neve.TUNNEL_ID)).toBe(good);
  });

  describe.each<[string, string, string]>([
    ["text that is not JSON", `{"TunnelSecret":"${SECRET}",`, "cloudflared.credentials: is not valid JSON"],
    ["a JSON array", `["${SECRET}"]`, "cloudflared.credentials: must be a JSON object with AccountTag, TunnelSecret and TunnelID"],
    [
      "no TunnelSecret",
      JSON.stringify({ AccountTag: "a", TunnelID: neve.TUNNEL_ID }),
      "cloudflared.credentials.TunnelSecret: is missing or not a non-empty string",
    ],
    ["no AccountTag", JSON.stringify({ TunnelSecret: SECRET, TunnelID: neve.TUNNEL_ID }), "cloudflared.credentials.AccountTag: is missing"],
    [
      "another tunnel's credentials",
      JSON.stringify({ AccountTag: "a", TunnelSecret: SECRET, TunnelID: "00000000-0000-4000-8000-000000000000" }),
      `cloudflared.credentials.TunnelID: 00000000-0000-4000-8000-000000000000 does not match the tunnel id ${neve.TUNNEL_ID}`,
    ],
    [
      "the secret pasted as TunnelID",
      JSON.stringify({ AccountTag: "a", TunnelSecret: SECRET, TunnelID: SECRET }),
      `cloudflared.credentials.TunnelID: does not match the tunnel id ${neve.TUNNEL_ID} (it is not even a tunnel UUID)`,
    ],
  ])("with %s", (_name, json, message) => {
    it("must be refused without the secret in the error", () => {
      let error: Error | undefined;
      try {
        renderCloudflaredCredentials(json, neve.TUNNEL_ID);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toContain(message);
      expect(error?.message).not.toContain(SECRET);
      expect(error?.message).not.toContain(SECRET.slice(0, 12));
    });
  });
});
