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
    // runc's --log names this containerd's state directory: other containerds' runc are not ours.
    runc: pidsMatching((cmdline) => cmdline.startsWith('runc ') && cmdline.includes(containerd.dir)).length,
    mounts: (await inside('cat /proc/self/mountinfo')).filter((line) => line.includes(containerd.dir) && line.includes('io.containerd.runtime.v2.task')),
    sockets: await inside('ls /run/containerd/s 2>/dev/null'),
    fifos: await inside('find /run/containerd/fifo -type p 2>/dev/null'),
    cgroups: cgroupsOf(ids),
  };
}

export function shimPids(containerd: PrivateContainerd, group?: string): number[] {
  return processesMatching(new RegExp(`containerd-shim-wasmts-v1 .*${containerd.socket}.*${group ? ` -id ${group} ` : ''}`));
}

// Shims exit and runc cleans up shortly after the last call returns: poll rather than guess a sleep.
export async function settledLeftovers(containerd: PrivateContainerd, ids: string[], deadlineMs = 15_000): Promise<Leftovers> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const left = await leftovers(containerd, ids);
    const clean = left.shims === 0 && left.runc === 0 && left.mounts.length === 0 && left.sockets.length === 0 && left.fifos.length === 0 && left.cgroups.length === 0;
    if (clean || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const NOTHING: Leftovers = { shims: 0, runc: 0, mounts: [], sockets: [], fifos: [], cgroups: [] };
