import * as fs from "node:fs";
import * as path from "node:path";
import { renderSocatForwardUnit, renderTemplate, TEMPLATE_DIR } from "../../stacks/render";
import * as neve from "./neve.fixture";

describe("the Handlebars setup", () => {
  it("must throw on a missing field instead of rendering an empty string", () => {
    expect(() => renderTemplate("sysctl-forwarding.conf", { ipv4: 1 })).toThrow(/"ipv6" not defined/);
  });

  it("must not HTML-escape: & and ' reach the file as written", () => {
    const text = renderSocatForwardUnit({ ...neve.spiceproxySocat, description: "SPICE & VNC's relay <61001>" });
    expect(text).toContain("Description=SPICE & VNC's relay <61001>\n");
  });

  it("must find the templates from its own location, whatever the working directory", () => {
    expect(TEMPLATE_DIR).toBe(path.resolve(__dirname, "..", "..", "templates"));
    const cwd = process.cwd();
    try {
      process.chdir("/");
      expect(renderTemplate("sysctl-forwarding.conf", { ipv4: 1, ipv6: 0 })).toContain("net.ipv4.ip_forward = 1\n");
    } finally {
      process.chdir(cwd);
    }
  });

  it("must have a renderer for every template file, and a file for every template name", () => {
    const files = fs
      .readdirSync(TEMPLATE_DIR)
      .filter((f) => f.endsWith(".hbs"))
      .map((f) => f.slice(0, -4))
      .sort();
    const used = new Set<string>();
    for (const f of fs.readdirSync(path.resolve(__dirname, "../../stacks/render"))) {
      const src = fs.readFileSync(path.resolve(__dirname, "../../stacks/render", f), "utf8");
      for (const m of src.matchAll(/renderTemplate\("([^"]+)"/g)) used.add(m[1]);
    }
    expect([...used].sort()).toEqual(files);
  });
});

describe("the render modules", () => {
  it.each(fs.readdirSync(path.resolve(__dirname, "../../stacks/render")).filter((f) => f.endsWith(".ts")))(
    "%s must stay pure: no Pulumi, no SSH, no processes, no network",
    (file) => {
      const src = fs.readFileSync(path.resolve(__dirname, "../../stacks/render", file), "utf8");
      const imports = [...src.matchAll(/from "([^"]+)"|require\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]);
      for (const forbidden of ["@pulumi/pulumi", "ssh2", "child_process", "net", "http", "https", "../config"]) {
        expect(imports.filter((i) => i === forbidden || i.startsWith(`${forbidden}/`) || i.includes("stacks/config"))).toEqual([]);
      }
    },
  );
});
