// What a run may leave behind, counted inside the private containerd's mount namespace.
import { existsSync } from 'node:fs';
import { pidsMatching } from '../../scripts/processes.ts';
import { join } from 'node:path';
import type { PrivateContainerd } from '../../scripts/private-containerd.ts';

export interface Leftovers {
  shims: number;
  runc: number;
  mounts: string[];
  sockets: string[];
  fifos: string[];
  cgroups: string[];
}

const processesMatching = (pattern: RegExp) => pidsMatching((cmdline) => pattern.test(cmdline));

function cgroupsOf(ids: string[]): string[] {
  const roots = ['/sys/fs/cgroup/memory/default', '/sys/fs/cgroup/pids/default', '/sys/fs/cgroup/default'];
  return roots.flatMap((root) => ids.map((id) => join(root, id))).filter((path) => existsSync(path));
}

export async function leftovers(containerd: PrivateContainerd, ids: string[]): Promise<Leftovers> {
  const inside = async (script: string) => (await containerd.exec('sh', ['-c', script])).stdout.split('\n').filter(Boolean);
  return {
    shims: shimPids(containerd).length,
    runc: processesMatching(/runc .*\/run\/containerd\/wasmts/).length,
    mounts: (await inside('cat /proc/self/mountinfo')).filter((line) => line.includes(containerd.dir) && line.includes('io.containerd.runtime.v2.task')),
    sockets: await inside('ls /run/containerd/s 2>/dev/null'),
    fifos: await inside('find /run/containerd/fifo -type p 2>/dev/null'),
    cgroups: cgroupsOf(ids),
  };
}

export function shimPids(containerd: PrivateContainerd): number[] {
  return processesMatching(new RegExp(`containerd-shim-wasmts-v1 .*${containerd.socket}`));
}

export const NOTHING: Leftovers = { shims: 0, runc: 0, mounts: [], sockets: [], fifos: [], cgroups: [] };
