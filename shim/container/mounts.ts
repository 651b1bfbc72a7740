// Mounts the rootfs of a Create request into the bundle, and unmounts it. Node has no mount(2), so
// this goes through mount(8)/umount(8), which every node has.
import { readFile } from 'node:fs/promises';

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

async function run(command: string, args: string[]): Promise<void> {
  // Loaded on first use: `delete` usually finds nothing mounted and should not pay for it.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

export async function mountRootfs(mounts: RootfsMount[], target: string): Promise<void> {
  for (const mount of mounts) await run('mount', mountArgs(mount, target));
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
    await run('umount', [target]).catch(() => run('umount', ['-l', target]));
  }
}
