/**
 * Helpers shared by the LxcRawConfig host tests (tests/host/lxcraw-*.test.ts): declare an LxcRawConfig under mocks,
 * and the usual arguments (CT 201, the FUSE/AppArmor lines lune needs, the key as a Pulumi secret).
 */
import { LxcRawConfig, type LxcRawConfigArgs } from "../../../providers/lxcraw";
import { FUSE_UNCONFINED_RAW_LINES } from "../../../stacks/render/lxcRaw";
import type { TestHost } from "../../host/harness/testHost";
import { type Declared, declareResource, secretConn } from "./hostconfigCase";

export const LXC_RAW_TYPE = "pulumi-nodejs:dynamic/neve:LxcRawConfig";

/** Run `new LxcRawConfig(name, args)` under mocks and return its registration. */
export async function declareLxcRaw(name: string, args: LxcRawConfigArgs): Promise<Declared> {
  return declareResource(LXC_RAW_TYPE, name, () => {
    new LxcRawConfig(name, args);
  });
}

/** LxcRawConfig args for CT 201 on the test host: the FUSE/AppArmor raw lines, the private key as a secret. */
export function lxcRawArgs(h: TestHost, over: Partial<LxcRawConfigArgs> = {}): LxcRawConfigArgs {
  return {
    connection: secretConn(h),
    vmid: 201,
    rawLines: [...FUSE_UNCONFINED_RAW_LINES],
    ...over,
  };
}
