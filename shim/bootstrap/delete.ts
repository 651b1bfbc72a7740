// `delete`: containerd's cleanup after a shim is gone (or, in 1.6, after every delete). Kills what the
// bundle's container left, removes runc's state, unmounts the rootfs, removes a dead daemon's socket,
// and always prints a DeleteResponse: each step is tried whatever the others did.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runcRoot } from '../runc-root.ts';
import { encodeDeleteResponse } from './delete-response.ts';
import { unmountRootfs } from '../container/mounts.ts';
import { recordedPid, removeRuncFiles } from '../container/runc-files.ts';
import type { ShimFlags } from '../flags.ts';
import { answers } from '../socket-probe.ts';

const SIGKILL = 9;

// The daemon's socket outlives a daemon that was killed; one that still answers serves other tasks.
async function removeDeadSocket(bundle: string): Promise<void> {
  const address = await readFile(join(bundle, 'address'), 'utf8').catch(() => '');
  const path = address.trim().replace(/^unix:\/\//, '');
  if (path && existsSync(path) && !(await answers(path))) await rm(path, { force: true });
}

export async function deleteCommand(flags: ShimFlags): Promise<void> {
  const bundle = flags.bundle || process.cwd();
  const root = runcRoot(flags.namespace);
  const problems: string[] = [];
  const attempt = (step: string, work: () => Promise<unknown>) => work().catch((error: Error) => void problems.push(`${step}: ${error.message}`));
  const pid = (await recordedPid(bundle)) ?? 0;
  // runc keeps a state directory per container; without one there is nothing of runc's to remove.
  if (flags.id && existsSync(join(root, flags.id))) {
    const { runcDelete, runcKillAll } = await import('../container/runc.ts');
    await runcKillAll(root, bundle, flags.id, SIGKILL).catch(() => {});
    await attempt('runc delete', () => runcDelete(root, bundle, flags.id));
  }
  await attempt('removing runc files', () => removeRuncFiles(bundle));
  await attempt('unmounting the rootfs', () => unmountRootfs(join(bundle, 'rootfs')));
  await attempt('removing the socket', () => removeDeadSocket(bundle));
  if (problems.length > 0) process.stderr.write(`containerd-shim-wasmts-v1 delete: ${problems.join('; ')}\n`);
  process.stdout.write(encodeDeleteResponse(pid, 128 + SIGKILL, new Date()));
}
