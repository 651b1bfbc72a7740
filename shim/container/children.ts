// A process's children, as the kernel lists them (/proc/PID/task/PID/children): a `runc run` and the
// container process it started, or a test's private containerd and its shims.
import { readFileSync } from 'node:fs';

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Gone already.
    return [];
  }
}
