// `delete`: containerd's cleanup after a shim is gone (or, in 1.6, after every delete). Kills what the
// bundle's container left, removes runc's state, unmounts the rootfs, prints a DeleteResponse.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runcRoot } from './runc-root.ts';
import { encodeDeleteResponse } from './delete-response.ts';
import { unmountRootfs } from './container/mounts.ts';
import { recordedPid, removeRuncFiles } from './container/runc-files.ts';
import type { ShimFlags } from './flags.ts';

const SIGKILL = 9;

export async function deleteCommand(flags: ShimFlags): Promise<void> {
  const bundle = flags.bundle || process.cwd();
  const root = runcRoot(flags.namespace);
  const pid = (await recordedPid(bundle)) ?? 0;
  // runc keeps a state directory per container; without one there is nothing of runc's to remove.
  if (flags.id && existsSync(join(root, flags.id))) {
    const { runcDelete, runcKillAll } = await import('./container/runc.ts');
    await runcKillAll(root, bundle, flags.id, SIGKILL).catch(() => {});
    await runcDelete(root, bundle, flags.id);
  }
  await removeRuncFiles(bundle);
  await unmountRootfs(join(bundle, 'rootfs'));
  process.stdout.write(encodeDeleteResponse(pid, 128 + SIGKILL, new Date()));
}
