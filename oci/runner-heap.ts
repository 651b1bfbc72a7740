// V8's heap for a runner whose container has a memory limit. Node sizes the heap for the memory it
// sees, but never below V8's own floor (an old generation of 256 MB here), so under a smaller limit
// V8 feels no pressure until the kernel's OOM killer has struck: measured with 16 connections on
// the wasi:http hello components, every one of them was OOM-killed within seconds under a 128 MiB
// limit, its runner's anonymous memory reaching 180-270 MB when unlimited. With these bounds all of
// them served on under 64, 128 and 256 MiB, their anonymous memory at 40-75 MB. Without a limit
// the runner keeps Node's defaults: a smaller young generation cost up to 38% of the requests per
// second.
const MIB = 1024 * 1024;

export function runnerNodeOptions(memoryLimit: number | undefined): string[] {
  if (memoryLimit === undefined || !Number.isFinite(memoryLimit) || memoryLimit <= 0) return [];
  const mib = memoryLimit / MIB;
  const semiSpace = Math.min(16, Math.max(1, Math.floor(mib / 32)));
  const oldSpace = Math.max(16, Math.floor(mib * 0.35));
  return [`--max-semi-space-size=${semiSpace}`, `--max-old-space-size=${oldSpace}`];
}

// The container's own limit, as containerd's CRI or `ctr run --memory-limit` wrote it.
export function memoryLimitOf(linux: Record<string, unknown> | undefined): number | undefined {
  const limit = (linux?.resources as { memory?: { limit?: unknown } } | undefined)?.memory?.limit;
  return typeof limit === 'number' ? limit : undefined;
}

// The executable reads Node's options from its first argument alone (execArgvExtension "cli" in the
// build), never from NODE_OPTIONS.
export const nodeOptionsArgument = (options: string[]) => (options.length ? [`--node-options=${options.join(' ')}`] : []);
