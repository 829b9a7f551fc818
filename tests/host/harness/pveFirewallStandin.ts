/**
 * TEST STAND-IN for Proxmox's `pve-firewall` (absent here: it needs a Proxmox host), installed as
 * /usr/local/sbin/pve-firewall inside the sshd test host. It reads /etc/pve/firewall/cluster.fw and the node's
 * host.fw the way pve-firewall does for the parts the stack renders, and applies them with nftables inside the
 * test host's own netns:
 * - `[OPTIONS] enable` (off: no table) and `policy_in` (the input chain's policy);
 * - `[ALIASES]`, `[IPSET <name>]` (address/CIDR/alias entries; a nomatch `!` entry is refused with a warning);
 * - `[RULES]` of host.fw first, then cluster.fw (pve-firewall src/PVE/Firewall.pm `enable_host_firewall`:
 *   "add host rules first"), `IN` rules only, disabled (`|`) ones skipped, with `-i`, `-source`, `-dest`
 *   (address, CIDR, `+set`, alias), `-p`, `-dport`, and the macros `SSH` and `Ping`;
 * - before the rules, loopback and established connections are accepted (Firewall.pm `-i lo` and
 *   `ruleset_chain_add_conn_filters`), so a lock-out stops NEW connections only, as on Proxmox.
 * Commands: `compile` (warnings on stderr for each line it would skip, exit 0, like pve-firewall's),
 * `restart` (apply now), `status` (`Status: enabled/running`, with ` (pending changes)` while the files differ
 * from the applied ones). What it does NOT prove: pve-firewall's own parser and iptables/ipset output, its
 * ~100 other macros, security groups, the `management` IP set's implicit accepts, guest firewalls, the
 * 10-second daemon loop (nothing applies a file here until `restart`).
 */
import type { TestHost } from "./testHost";

/** Where the stand-in keeps the applied ruleset and the hash of the files it came from. */
const STATE = "/run/pve-firewall-standin";

/** The stand-in's shell text for node `node` (host.fw at /etc/pve/nodes/<node>/host.fw). */
export function pveFirewallStandinScript(node: string): string {
  return `#!/bin/sh
# TEST STAND-IN for Proxmox's pve-firewall (neve-infra tests/host/harness/pveFirewallStandin.ts):
# applies cluster.fw and host.fw with nftables for the parts the stack renders. Not Proxmox's program.
set -u
S=${STATE}
CL=/etc/pve/firewall/cluster.fw
HF=/etc/pve/nodes/${node}/host.fw
mkdir -p "$S"
files_hash() { cat "$CL" "$HF" 2>/dev/null | sha256sum | cut -d' ' -f1; }
compile() {
  awk -v hostfile="$HF" '
    function warn(m) { printf "%s (line %d): %s\\n", FILENAME, FNR, m > "/dev/stderr" }
    function addr(v, dir,   n, fam) {
      if (v ~ /^\\+/) { n = v; sub(/^\\+(dc\\/)?/, "", n); n = tolower(n); if (!(n in isset)) { warn("no such ipset " n); return "ERR" } return "ip " dir " @" n }
      if (v !~ /^[0-9.:\\/a-fA-F]+$/ || v ~ /^[a-fA-F]+$/) { n = v; sub(/^dc\\//, "", n); n = tolower(n); if (!(n in alias)) { warn("no such alias " v); return "ERR" } v = alias[n] }
      fam = (v ~ /:/) ? "ip6" : "ip"
      return fam " " dir " " v
    }
    FNR == 1 { sec = ""; inhost = (FILENAME == hostfile) }
    { line = $0; sub(/^[ \\t]+/, "", line); sub(/[ \\t\\r]+$/, "", line) }
    line == "" || line ~ /^#/ { next }
    line ~ /^\\[/ {
      s = tolower(line); sub(/[ \\t]*#.*$/, "", s)
      if (s == "[options]") sec = "options"
      else if (s == "[aliases]") sec = "aliases"
      else if (s == "[rules]") sec = "rules"
      else if (s ~ /^\\[ipset /) { sec = "ipset"; cur = s; sub(/^\\[ipset[ \\t]+/, "", cur); sub(/\\]$/, "", cur); isset[cur] = 1; members[cur] = "" }
      else { sec = "skip"; warn("section not understood by the stand-in: " line) }
      next
    }
    sec == "options" { split(line, kv, /:[ \\t]*/); opt[tolower(kv[1])] = kv[2]; next }
    sec == "aliases" { split(line, a, /[ \\t]+/); alias[tolower(a[1])] = a[2]; next }
    sec == "ipset" {
      e = line; sub(/[ \\t]*#.*$/, "", e)
      if (e ~ /^!/) { warn("nomatch entry not supported by the stand-in: " e); next }
      if (e !~ /^[0-9.\\/]+$/) { n = tolower(e); if (!(n in alias)) { warn("no such alias " e); next } e = alias[n] }
      members[cur] = members[cur] (members[cur] == "" ? "" : ", ") e; next
    }
    sec == "rules" {
      r = line; sub(/[ \\t]*#.*$/, "", r)
      if (r ~ /^\\|/) next
      nf = split(r, w, /[ \\t]+/)
      if (toupper(w[1]) != "IN") { warn("only IN rules: " r); next }
      act = w[2]; macro = ""
      if (act ~ /^[A-Za-z0-9_-]+\\((ACCEPT|DROP|REJECT)\\)$/) { macro = tolower(act); sub(/\\(.*$/, "", macro); sub(/^.*\\(/, "", act); sub(/\\)$/, "", act) }
      if (act != "ACCEPT" && act != "DROP" && act != "REJECT") { warn("bad action " act); next }
      m = ""; proto = ""; dport = ""; bad = 0
      for (k = 3; k < nf; k += 2) {
        o = w[k]; v = w[k + 1]; sub(/^--?/, "-", o)
        if (o == "-i") m = m " iifname \\"" v "\\""
        else if (o == "-source") { x = addr(v, "saddr"); if (x == "ERR") bad = 1; m = m " " x }
        else if (o == "-dest") { x = addr(v, "daddr"); if (x == "ERR") bad = 1; m = m " " x }
        else if (o == "-p" || o == "-proto") proto = v
        else if (o == "-dport") { dport = v; gsub(/:/, "-", dport) }
        else if (o == "-log") { }
        else { warn("option not understood by the stand-in: " o); bad = 1 }
      }
      if (k == nf) { warn("option without value: " r); bad = 1 }
      if (macro == "ssh") { proto = "tcp"; dport = "22" }
      else if (macro == "ping") { proto = "icmp"; dport = "" }
      else if (macro != "") { warn("macro not known to the stand-in: " macro); bad = 1 }
      if (bad) next
      if (proto == "icmp") m = m " icmp type echo-request"
      else if (proto != "") { m = m " meta l4proto " proto; if (dport != "") m = m " " proto " dport { " dport " }" }
      verdict = (act == "ACCEPT") ? "accept" : (act == "DROP") ? "drop" : "reject"
      if (inhost) hostr[++nh] = m " " verdict; else clr[++nc] = m " " verdict
      next
    }
    END {
      print "table inet pve_fw_standin"
      print "delete table inet pve_fw_standin"
      if (opt["enable"] != "1") exit 0
      pol = opt["policy_in"]; if (pol == "") pol = "DROP"
      print "table inet pve_fw_standin {"
      for (s in isset) if (members[s] != "") print "  set " s " { type ipv4_addr; flags interval; elements = { " members[s] " } }"; else print "  set " s " { type ipv4_addr; flags interval; }"
      print "  chain input {"
      print "    type filter hook input priority 0; policy " (pol == "ACCEPT" ? "accept" : "drop") ";"
      print "    iif lo accept"
      print "    ct state established,related accept"
      for (i = 1; i <= nh; i++) print "   " hostr[i]
      for (i = 1; i <= nc; i++) print "   " clr[i]
      if (pol == "REJECT") print "    reject"
      print "  }"
      print "}"
    }
  ' "$CL" $( [ -f "$HF" ] && echo "$HF" )
}
case "\${1:-}" in
  compile) compile >/dev/null; exit 0 ;;
  restart|start)
    h=$(files_hash)
    compile > "$S/ruleset.nft" 2>"$S/warnings" || exit 1
    nft -f "$S/ruleset.nft" || exit 1
    printf '%s\\n' "$h" > "$S/applied"
    echo "restart $h" >> "$S/log" ;;
  status)
    p=""; [ "$(cat "$S/applied" 2>/dev/null)" = "$(files_hash)" ] || p=" (pending changes)"
    e=disabled; grep -qiE '^[[:space:]]*enable:[[:space:]]*1' "$CL" 2>/dev/null && e=enabled
    echo "Status: $e/running$p" ;;
  *) echo "usage: pve-firewall (test stand-in) compile|restart|status" >&2; exit 2 ;;
esac
`;
}

/** Install the stand-in as /usr/local/sbin/pve-firewall inside `host` (a tmpfs there: this machine is untouched). */
export async function installPveFirewallStandin(host: TestHost, node: string): Promise<void> {
  await host.writeFile("/usr/local/sbin/pve-firewall", pveFirewallStandinScript(node), "0755");
}

/** The `restart` calls the stand-in recorded (one line each, with the hash of the files applied). */
export async function pveFirewallRestarts(host: TestHost): Promise<string[]> {
  return ((await host.readFile(`${STATE}/log`)) ?? "").split("\n").filter(Boolean);
}
