// Mounts the rootfs of a Create request into the bundle, and unmounts it. Node has no mount(2), so
// this goes through mount(8)/umount(8), which every node has.
import { readFile } from 'node:fs/promises';
import { execHelper } from './exec.ts';

export interface RootfsMount {
  type: string;
  source: string;
  options: string[];
}

export function mountArgs(mount: RootfsMount, target: string): string[] {
  const options = mount.options.join(',');
  // mount(8) knows bind mounts by option, not by type.
  const type = mount.type === 'bind' || mount.type === '' ? [] : ['-t', mount.type];
  return [...type, ...(options ? ['-o', options] : []), mount.source, target];
}

// All or nothing: if one mount fails, the ones before it are undone.
export async function mountRootfs(mounts: RootfsMount[], target: string): Promise<void> {
  try {
    for (const mount of mounts) await execHelper('mount', mountArgs(mount, target));
  } catch (error) {
    await unmountRootfs(target).catch(() => {});
    throw error;
  }
}

function unescapeMountinfo(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export async function isMountPoint(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => unescapeMountinfo(line.split(' ')[4] ?? '') === target);
}

// Idempotent; a busy mount is detached lazily rather than left behind.
export async function unmountRootfs(target: string): Promise<void> {
  while (await isMountPoint(target)) {
    await execHelper('umount', [target]).catch(() => execHelper('umount', ['-l', target]));
  }
}
