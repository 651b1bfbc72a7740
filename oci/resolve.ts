// Resolves a path inside a container's root filesystem as the container would see it: symlinks,
// absolute or relative, never lead outside the root.
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

const MAX_SYMLINKS = 40;

export class ResolveError extends Error {}

// Returns the host path of `path` inside `root`, or undefined if some component does not exist.
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  let pending = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = join(root, ...resolved, part);
    let stats;
    try {
      stats = await lstat(hostPath);
    } catch {
      return undefined;
    }
    if (!stats.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINKS) throw new ResolveError(`too many levels of symbolic links resolving ${path}`);
    const target = await readlink(hostPath);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/').filter(Boolean), ...pending];
  }
  return join(root, ...resolved);
}
