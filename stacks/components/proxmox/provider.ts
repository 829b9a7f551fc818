import * as pulumi from "@pulumi/pulumi";
import type { NeveModel } from "../../config";
import * as proxmoxve from "./sdk";

/**
 * The explicit Proxmox provider, built from the stack config and the API token secret, never from
 * ambient PROXMOX_VE_* variables alone. TLS verification stays on unless `proxmox.insecure` says otherwise.
 */
export function createProxmoxProvider(name: string, model: NeveModel, apiToken: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): proxmoxve.Provider {
  return new proxmoxve.Provider(
    name,
    {
      endpoint: model.proxmox.endpoint,
      apiToken: pulumi.secret(apiToken),
      insecure: model.proxmox.insecure,
    },
    opts,
  );
}
