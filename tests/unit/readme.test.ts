// The README works in every clone: its links resolve inside the repository, it names no issue
// numbers, it has a table of contents, and what it promises about commands and defaults is true.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { stackConfigSchema } from "../../stacks/config/schema";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("README.md", () => {
  it("must link only to files inside the repository (no ../shared outside a clone)", () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect({ link: l, exists: fs.existsSync(path.join(REPO_ROOT, l)) }).toEqual({ link: l, exists: true });
    expect(readme).not.toContain("../shared");
    expect(fs.existsSync(path.join(REPO_ROOT, "docs", "neve.md"))).toBe(true);
  });

  it("must not refer to issue numbers", () => {
    expect(readme).not.toMatch(/\bissue\s*#?\d+|#\d+\b/i);
  });

  it("must have a table of contents whose anchors name real headings", () => {
    const anchors = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-");
    const headings = [...readme.matchAll(/^##+ (.+)$/gm)].map((m) => slug(m[1]));
    expect(anchors.length).toBeGreaterThanOrEqual(6);
    for (const a of anchors) expect(headings).toContain(a);
  });

  it("must warn that .ci/run installs system packages and give the root-free test command that exists", () => {
    expect(readme).toMatch(/\.ci\/run[^\n]*\n?[^\n]*(installs|apt-get install)/);
    expect(readme).toMatch(/throwaway machine/);
    expect(readme).toContain("npm run test:unit");
    expect(pkg.scripts["test:unit"]).toMatch(/^jest /);
    expect(pkg.scripts["test:unit"]).not.toContain("tests/host");
  });

  it("must state the adopt default once, and as the schema has it", () => {
    const defaultAdopt = stackConfigSchema.shape.adopt.parse(undefined);
    const statements = readme.match(/`neve-infra:adopt` defaults to `(true|false)`/g) ?? [];
    expect(statements).toEqual([`\`neve-infra:adopt\` defaults to \`${defaultAdopt}\``]);
    expect(readme).not.toMatch(/adopt: true` \(the default/);
  });

  it("must say how to change a route, a guest, a clone, a host service and a firewall rule", () => {
    const section = readme.slice(readme.indexOf("## How to change things"), readme.indexOf("## Architecture"));
    for (const what of ["a route", "a guest", "a clone", "a host service", "a firewall rule"]) expect(section).toContain(`| ${what}`);
    expect(section).toContain("stacks/components/host/registry.ts");
  });
});
