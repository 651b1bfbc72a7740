// The OOM killer's count for a running container, kept while it runs. On cgroup v2 with the systemd
// driver, systemd removes a scope's cgroup as soon as its last process is gone, often before the
// shim handles the exit: memory.events must be read when it changes (the kernel signals a change to
// inotify), as containerd's runc shim does, not only after the exit. On a loaded node systemd can
// still be first (seen in the VM). The parent's memory.events counts its children's OOM kills too:
// a container SIGKILLed whose own cgroup is gone, while its parent's count rose, was OOM-killed.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { CGROUP_ROOT, isCgroupV2, oomKills, readCgroupFile, type CgroupPath } from './cgroup.ts';

export interface OomWatch {
  // The highest count the watch has seen, without reading again.
  seen(): bigint;
  // The same, after a last read now.
  count(): bigint;
  // Whether the container's cgroup is gone and its parent counted an OOM kill since the watch began.
  goneAfterParentOom(): boolean;
  close(): void;
}

export function watchOomKills(path: CgroupPath, root = CGROUP_ROOT): OomWatch {
  const own = typeof path === 'string' ? path : path('');
  const parent = dirname(own);
  const parentKills = () => oomKills(parent, readCgroupFile, root);
  const parentAtStart = parentKills();
  let seen = 0n;
  const look = () => {
    const now = oomKills(path, readCgroupFile, root);
    if (now > seen) seen = now;
  };
  look();
  let watcher: FSWatcher | undefined;
  if (isCgroupV2(readCgroupFile, root)) {
    try {
      watcher = watch(join(root, own, 'memory.events'), look);
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
    goneAfterParentOom: () => isCgroupV2(readCgroupFile, root) && !existsSync(join(root, own)) && parentKills() > parentAtStart,
    close() {
      watcher?.close();
    },
  };
}
