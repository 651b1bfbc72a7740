// A running container's new limits: `runc update`, as containerd's runc shim does it, and runc's
// refusals turned into sentences that say what to do.
import { failedPrecondition, notFound } from '../errors.ts';
import type { ResourceUpdate } from '../task/resources.ts';
import { isGone, runcUpdate } from './runc.ts';

// On cgroup v1 the kernel refuses a memory.limit_in_bytes below what the cgroup uses and cannot
// reclaim (EBUSY; measured with runc 1.1.5: anonymous memory, no swap), and runc 1.1 says so in
// these words; the old limit stays. On v2 the kernel takes any memory.max: it reclaims, and
// OOM-kills the container if that is not enough.
const MEMORY_BUSY = /unable to set memory limit to (\d+) \(current usage: (\d+)(?:, peak usage: (\d+))?\)/;

const mib = (bytes: string) => `${(Number(bytes) / (1 << 20)).toFixed(1)} MiB`;

export function updateError(id: string, error: Error): Error {
  const busy = MEMORY_BUSY.exec(error.message);
  if (busy) {
    const [, limit = '', usage = ''] = busy;
    return failedPrecondition(`the memory limit of task ${id} cannot go down to ${limit} bytes (${mib(limit)}): the container uses ${usage} bytes (${mib(usage)}) and the kernel could not reclaim enough (EBUSY); its limit stays as it was. Set a limit above its usage, or free memory in the container first`);
  }
  if (isGone(error)) return notFound(`task ${id} has already exited: there is no container left to update`);
  return new Error(`runc could not update the resources of task ${id}: ${error.message}`, { cause: error });
}

export async function updateResources(root: string, bundle: string, id: string, update: ResourceUpdate): Promise<void> {
  await runcUpdate(root, bundle, id, update.json).catch((error: Error) => {
    throw updateError(id, error);
  });
}
