import type { AdoptionScope } from "./adoption";
import type { NeveModel } from "./model";

/** The adoption gate's view of a model: its Proxmox sections and the adoption record (minus `reconciled`). */
export function adoptionScopeOf(model: NeveModel): AdoptionScope {
  return {
    nodeName: model.proxmox.nodeName,
    guests: model.guests,
    storage: model.storage,
    bridges: model.network.bridges,
    firewall: model.firewall,
    backups: model.backups,
    live: model.adoption.live,
    unmanaged: model.adoption.unmanaged,
    acknowledge: model.adoption.acknowledge,
  };
}
