// A secret that is set but empty is refused by name, with the command that sets it, and its value
// (or ciphertext) never appears in the message.
import { emptySecretIssues, SECRET_KEYS, type SecretKey, secretValueProblem, secureEntryProblem, setSecretCommand } from "../../stacks/config/secrets";

describe.each(SECRET_KEYS.map((k) => [k]))("secret %s", (key) => {
  it.each([
    ["", "is set but empty; set the real value with"],
    ["  \n\t", "is set but empty (only white space); set the real value with"],
  ])("must be refused when set to %j, with the command that sets it", (value, expected) => {
    const problem = secretValueProblem(key, value);
    expect(problem).toContain(expected);
    expect(problem).toContain(`\`${setSecretCommand(key)}\``);
  });

  it("must be accepted with any text that is not blank", () => {
    expect(secretValueProblem(key, " x ")).toBeNull();
  });

  it("must refuse an empty secure entry of the stack file by name", () => {
    expect(secureEntryProblem(`neve-infra:${key}`, "")).toContain(
      `is an empty secure value in the stack file (no ciphertext to decrypt); set the real value with \`${setSecretCommand(key)}\``,
    );
    expect(secureEntryProblem(`neve-infra:${key}`, null)).not.toBeNull();
    expect(secureEntryProblem(`neve-infra:${key}`, "v1:bm9uY2U=:Y2lwaGVy")).toBeNull();
  });
});

describe("the secrets' fix", () => {
  it("must offer removing only a secret the stack can run without (never the API token)", () => {
    expect(secretValueProblem("proxmoxApiToken", "")).not.toContain("pulumi config rm");
    expect(secretValueProblem("pbsPassword", "")).toContain("or remove it with `pulumi config rm neve-infra:pbsPassword` if nothing uses it");
  });

  it("must read the tunnel credentials from the tunnel's file", () => {
    expect(setSecretCommand("tunnelCredentials")).toBe("pulumi config set --secret neve-infra:tunnelCredentials < <tunnel id>.json");
  });

  it("must name a secure entry under another key with its own key", () => {
    expect(secureEntryProblem("neve-infra:other", "")).toContain("set it with `pulumi config set --secret neve-infra:other`, or remove the line");
  });
});

describe("emptySecretIssues", () => {
  it("must name each blank secret, skip unset and real ones, and never print a value", () => {
    const values: Partial<Record<SecretKey, string>> = { proxmoxApiToken: "root@pam!t=SECRET-TOKEN-1", pbsPassword: " ", tunnelCredentials: "" };
    const issues = emptySecretIssues((k) => values[k]);
    expect(issues.map((i) => i.path)).toEqual(["neve-infra:tunnelCredentials", "neve-infra:pbsPassword"]);
    expect(JSON.stringify(issues)).not.toContain("SECRET-TOKEN-1");
  });
});
