// The OOM killer's count for a running container, kept while it runs. On cgroup v2 with the systemd
// driver, systemd removes a scope's cgroup as soon as its last process is gone, often before the
// shim handles the exit: memory.events must be read when it changes (the kernel signals a change to
// inotify), as containerd's runc shim does, not only after the exit.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT, isCgroupV2, oomKills, readCgroupFile, type CgroupPath } from './cgroup.ts';

export interface OomWatch {
  // The highest count the watch has seen, without reading again.
  seen(): bigint;
  // The same, after a last read now.
  count(): bigint;
  close(): void;
}

export function watchOomKills(path: CgroupPath, root = CGROUP_ROOT): OomWatch {
  let seen = 0n;
  const look = () => {
    const now = oomKills(path, readCgroupFile, root);
    if (now > seen) seen = now;
  };
  look();
  let watcher: FSWatcher | undefined;
  if (isCgroupV2(readCgroupFile, root)) {
    try {
      watcher = watch(join(root, typeof path === 'string' ? path : path(''), 'memory.events'), look);
      // The cgroup going away ends the watch; what was seen stays.
      watcher.on('error', () => watcher?.close());
    } catch {
      // No cgroup (yet, or any more): the read after the exit is all there is.
    }
  }
  return {
    seen: () => seen,
    count() {
      look();
      return seen;
    },
    close() {
      watcher?.close();
    },
  };
}
