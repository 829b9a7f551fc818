import { z } from "zod";
import { nodeNameSchema } from "./common";

const contentSchema = z.enum(["images", "rootdir", "iso", "vztmpl", "backup", "snippets", "import"], {
  error: "content types are images, rootdir, iso, vztmpl, backup, snippets, import",
});

const common = {
  /** Content types the storage holds. */
  contents: z.array(contentSchema).min(1, { error: "needs at least one content type" }),
  /** Storage disabled in Proxmox (kept configured). Defaults to false. */
  disabled: z.boolean().default(false),
  /**
   * Nodes the storage is limited to (`nodes` line of storage.cfg). Unstated: no `nodes` line (every
   * node), which Proxmox reads back as an empty list. Must list `proxmox.nodeName` (rules/storage.ts).
   */
  nodes: z.array(nodeNameSchema).optional(),
};

/** Directory storage. */
const dirStorageSchema = z.strictObject({
  ...common,
  /** `dir`. */
  type: z.literal("dir"),
  /** Absolute path, e.g. `/var/lib/vz`. */
  path: z.string().regex(/^\/\S*$/, { error: "must be an absolute path like /var/lib/vz" }),
});

/** ZFS pool storage. */
const zfsStorageSchema = z.strictObject({
  ...common,
  /** `zfspool`. */
  type: z.literal("zfspool"),
  /** Dataset, e.g. `rpool/vmdata`. */
  pool: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, { error: "must be a ZFS dataset like rpool/vmdata" }),
  /** Thin provisioning (`sparse 1`). Unstated: no `sparse` line (thick zvols, Proxmox's default). */
  sparse: z.boolean().optional(),
});

/** Proxmox Backup Server storage. Its password is the secret `pbsPassword`. */
const pbsStorageSchema = z.strictObject({
  ...common,
  /** `pbs`. */
  type: z.literal("pbs"),
  /** PBS address, or the name of the guest running it (its IPv4 is used). */
  server: z.string().min(1),
  /** PBS datastore name. */
  datastore: z.string().min(1),
  /** PBS user, e.g. `root@pam` or `backup@pbs`. */
  username: z.string().regex(/^[^@\s]+@[^@\s]+$/, { error: "must be user@realm, e.g. backup@pbs" }),
  /** SHA-256 fingerprint of the PBS certificate (self-signed). */
  fingerprint: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, { error: "must be a SHA-256 fingerprint, 32 hex pairs separated by ':'" })
    .optional(),
  /** PBS namespace (`namespace` line). Unstated: the root namespace. */
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/, { error: "must be a PBS namespace such as pve/neve" })
    .optional(),
});

/** One storage, discriminated by `type`. */
const storageEntrySchema = z.discriminatedUnion("type", [dirStorageSchema, zfsStorageSchema, pbsStorageSchema], {
  error: "must be dir, zfspool or pbs",
});

/** `neve-infra:storage`: storages keyed by Proxmox storage id. */
export const storageSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_.-]*$/i, { error: "storage ids start with a letter, then letters, digits, - _ ." }),
  storageEntrySchema,
);

/** Parsed storage entry. */
export type StorageConfig = z.infer<typeof storageEntrySchema>;
