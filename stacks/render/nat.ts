import { renderTemplate } from "./handlebars";
import { assertAbsPath, assertIfname, assertIpv4Network, assertNonEmpty, assertUnique, RenderModelError, show } from "./validate";

/** Masquerade one private IPv4 network out of one interface. */
export interface NatMasqueradeRule {
  /** Private network, e.g. "10.10.10.0/24". */
  readonly source: string;
  /** Interface towards the outside, e.g. "vmbr0". */
  readonly outInterface: string;
}

/** Everything /etc/nftables.d/neve-nat.nft is rendered from. */
export interface NatModel {
  /** nftables table (family ip) owned by this file alone. Defaults to "neve_nat". */
  readonly table?: string;
  /** Masquerade rules. */
  readonly rules: readonly NatMasqueradeRule[];
}

/** Name of the table the NAT file owns unless the model says otherwise. */
export const DEFAULT_NAT_TABLE = "neve_nat";

/** Validate `model` and render the NAT nftables file. */
export function renderNatNft(model: NatModel): string {
  const table = model.table ?? DEFAULT_NAT_TABLE;
  if (typeof table !== "string" || !/^[a-z][a-z0-9_]{0,31}$/.test(table)) {
    throw new RenderModelError("nat.table", `must be a table name of a-z, 0-9 and "_" starting with a letter, got ${show(table)}`);
  }
  assertNonEmpty("nat.rules", model.rules, 'e.g. [{ source: "10.10.10.0/24", outInterface: "vmbr0" }]');
  const rules = model.rules.map((r, i) => {
    const [net, prefix] = assertIpv4Network(`nat.rules[${i}].source`, r.source);
    if (net.range() !== "private" && net.range() !== "carrierGradeNat") {
      throw new RenderModelError(`nat.rules[${i}].source`, `${r.source} is not a private network; only private ranges are masqueraded`);
    }
    return { source: `${net.toString()}/${prefix}`, outInterface: assertIfname(`nat.rules[${i}].outInterface`, r.outInterface) };
  });
  assertUnique("nat.rules", rules, (r) => `${r.source} -> ${r.outInterface}`, "rule");
  return renderTemplate("nat.nft", { table, rules });
}

/** Path of the NAT file on the host for a table ("neve_nat" -> /etc/nftables.d/neve-nat.nft). */
export function natFilePath(table: string = DEFAULT_NAT_TABLE): string {
  return `/etc/nftables.d/${table.replace(/_/g, "-")}.nft`;
}

/** Unit name of the boot-time loader for a table ("neve_nat" -> neve-nat.service). */
export function natLoaderUnitName(table: string = DEFAULT_NAT_TABLE): string {
  return `${table.replace(/_/g, "-")}.service`;
}

/** The boot-time loader of the NAT file. */
export interface NatLoaderUnitModel {
  /** Table the NAT file owns. Defaults to "neve_nat". */
  readonly table?: string;
  /** nft binary. Defaults to "/usr/sbin/nft". */
  readonly nft?: string;
}

/** Render the oneshot unit that loads the NAT file at boot and removes its table on stop. */
export function renderNatLoaderUnit(model: NatLoaderUnitModel = {}): string {
  const table = model.table ?? DEFAULT_NAT_TABLE;
  if (typeof table !== "string" || !/^[a-z][a-z0-9_]{0,31}$/.test(table)) {
    throw new RenderModelError("natLoader.table", `must be a table name of a-z, 0-9 and "_" starting with a letter, got ${show(table)}`);
  }
  return renderTemplate("nat-loader.service", {
    table,
    nftFile: natFilePath(table),
    nft: assertAbsPath("natLoader.nft", model.nft ?? "/usr/sbin/nft"),
  });
}
