// `delete`: containerd's cleanup after a shim is gone (or, in 1.6/2.0, after every delete). Kills what
// the bundle's container left, removes runc's state, unmounts the rootfs, removes a dead daemon's
// socket, and always prints a DeleteResponse: each step is tried whatever the others did.
// On containerd 2.x a pod's later containers share the sandbox's connection, and containerd runs no
// `delete` for them when the daemon dies: the sandbox's `delete` cleans up its whole group.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSpec } from '../../oci/spec.ts';
import { groupOf, removeSocket, SANDBOX_ID_ANNOTATION } from '../address.ts';
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
  if (!path || !existsSync(path)) return;
  // Under the socket's lock: a `start` may be replacing it with a new daemon's right now.
  const { withSocketLock } = await import('../socket-lock.ts');
  await withSocketLock(path, async () => {
    if (!(await answers(path))) await removeSocket(path);
  });
}

type Attempt = (step: string, work: () => Promise<unknown>) => Promise<void>;

// `logBundle` takes runc's log when the container's own bundle is gone.
async function removeContainer(root: string, id: string, bundle: string, attempt: Attempt, logBundle = bundle): Promise<void> {
  // runc keeps a state directory per container; without one there is nothing of runc's to remove.
  if (existsSync(join(root, id))) {
    const { runcDelete, runcKillAll } = await import('../container/runc.ts');
    await runcKillAll(root, logBundle, id, SIGKILL).catch(() => {});
    await attempt(`runc delete ${id}`, () => runcDelete(root, logBundle, id));
  }
  if (!existsSync(bundle)) return;
  await attempt('removing runc files', () => removeRuncFiles(bundle));
  await attempt(`unmounting the rootfs of ${id}`, () => unmountRootfs(join(bundle, 'rootfs')));
}

// Containers runc still holds that belong to `group`. runc keeps the spec's annotations as labels in
// its own state: a member's bundle may be gone already (containerd removes it when its task breaks).
async function groupMembers(root: string, group: string): Promise<{ id: string; bundle: string }[]> {
  const members: { id: string; bundle: string }[] = [];
  for (const id of await readdir(root)) {
    if (id === group) continue;
    const state = await readFile(join(root, id, 'state.json'), 'utf8').then((text) => JSON.parse(text) as { config?: { labels?: string[] } }, () => undefined);
    const labels = state?.config?.labels ?? [];
    if (!labels.includes(`${SANDBOX_ID_ANNOTATION}=${group}`)) continue;
    members.push({ id, bundle: labels.find((l) => l.startsWith('bundle='))?.slice('bundle='.length) ?? '' });
  }
  return members;
}

export async function deleteCommand(flags: ShimFlags): Promise<void> {
  const bundle = flags.bundle || process.cwd();
  const root = runcRoot(flags.namespace);
  const problems: string[] = [];
  const attempt: Attempt = (step, work) => work().then(() => {}, (error: Error) => void problems.push(`${step}: ${error.message}`));
  const pid = (await recordedPid(bundle)) ?? 0;
  const spec = await readSpec(join(bundle, 'config.json')).catch(() => undefined);
  const leadsGroup = flags.id !== '' && groupOf(flags.id, spec?.annotations) === flags.id;
  if (leadsGroup && existsSync(root)) {
    // At once: containerd gives `delete` a few seconds, and each runc call may take a while.
    const members = await groupMembers(root, flags.id).catch(() => []);
    await Promise.all(members.map((member) => removeContainer(root, member.id, member.bundle, attempt, existsSync(member.bundle) ? member.bundle : bundle)));
  }
  if (flags.id) await removeContainer(root, flags.id, bundle, attempt);
  else await attempt('unmounting the rootfs', () => unmountRootfs(join(bundle, 'rootfs')));
  await attempt('removing the socket', () => removeDeadSocket(bundle));
  if (problems.length > 0) process.stderr.write(`containerd-shim-wasmts-v1 delete: ${problems.join('; ')}\n`);
  process.stdout.write(encodeDeleteResponse(pid, 128 + SIGKILL, new Date()));
}
