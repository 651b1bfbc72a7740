// Reads a container's cgroup (v1 or v2, cgroupfs layout) into the cgroups Metrics messages that
// containerd's Stats expects. The builders are pure over a file reader, so they test without cgroups.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { AnySchema, type Any } from '@bufbuild/protobuf/wkt';
import * as v1 from '../protocol/gen/cgroups_v1_metrics_pb.ts';
import * as v2 from '../protocol/gen/cgroups_v2_metrics_pb.ts';

export type ReadFile = (path: string) => string | undefined;

export const CGROUP_ROOT = '/sys/fs/cgroup';

// Where a container's cgroup is, below a hierarchy's root: one path for all controllers, or (for a
// relative cgroupsPath, which runc places below its own cgroup of each controller) one per controller.
// The unified hierarchy (v2) is controller ''.
export type CgroupPath = string | ((controller: string) => string);
const at = (path: CgroupPath, controller: string) => (typeof path === 'string' ? path : path(controller));

// What runc does with a relative cgroupsPath: below the cgroup of the process that runs it (the
// shim's own, since runc is its child), controller by controller.
export function cgroupPathOf(cgroupsPath: string, self: string): CgroupPath {
  if (cgroupsPath === '' || cgroupsPath.startsWith('/')) return cgroupsPath;
  const lines = self.split('\n').filter(Boolean).map((line) => {
    const [, controllers = '', path = '/'] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    return { controllers: controllers.split(','), path };
  });
  return (controller) => {
    const line = lines.find((l) => (controller === '' ? l.controllers.length === 1 && l.controllers[0] === '' : l.controllers.includes(controller) || l.controllers.includes(`name=${controller}`)));
    return join(line?.path ?? '/', cgroupsPath);
  };
}

export const readCgroupFile: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

export function isCgroupV2(read: ReadFile = readCgroupFile, root = CGROUP_ROOT): boolean {
  return read(join(root, 'cgroup.controllers')) !== undefined;
}

export function parseKeyed(text: string | undefined): Map<string, bigint> {
  const values = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value && /^\d+$/.test(value)) values.set(key, BigInt(value));
  }
  return values;
}

function single(text: string | undefined): bigint {
  const value = text?.trim();
  return value && /^\d+$/.test(value) ? BigInt(value) : 0n;
}

// Kernel stat keys to proto field names where the two differ (v1 memory.stat).
const V1_ALIASES: Record<string, string> = {
  pgpgin: 'pg_pg_in',
  pgpgout: 'pg_pg_out',
  pgfault: 'pg_fault',
  pgmajfault: 'pg_maj_fault',
  hierarchical_memsw_limit: 'hierarchical_swap_limit',
};

function fillFromStat(schema: DescMessage, stat: Map<string, bigint>, aliases: Record<string, string> = {}): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [key, value] of stat) {
    const name = key.startsWith('total_') && aliases[key.slice(6)] ? `total_${aliases[key.slice(6)]}` : (aliases[key] ?? key);
    const field = schema.fields.find((f) => f.name === name && f.fieldKind === 'scalar');
    if (field) out[field.localName] = value;
  }
  return out;
}

export function v1Metrics(path: CgroupPath, read: ReadFile, root = CGROUP_ROOT): v1.Metrics {
  const memory = (file: string) => read(join(root, 'memory', at(path, 'memory'), file));
  const entry = (prefix: string) =>
    create(v1.MemoryEntrySchema, {
      usage: single(memory(`${prefix}usage_in_bytes`)),
      limit: single(memory(`${prefix}limit_in_bytes`)),
      max: single(memory(`${prefix}max_usage_in_bytes`)),
      failcnt: single(memory(`${prefix}failcnt`)),
    });
  const cpuacct = (file: string) => read(join(root, 'cpuacct', at(path, 'cpuacct'), file)) ?? read(join(root, 'cpu,cpuacct', at(path, 'cpuacct'), file));
  const throttle = parseKeyed(read(join(root, 'cpu', at(path, 'cpu'), 'cpu.stat')));
  const oom = parseKeyed(memory('memory.oom_control'));
  return create(v1.MetricsSchema, {
    pids: { current: single(read(join(root, 'pids', at(path, 'pids'), 'pids.current'))), limit: single(read(join(root, 'pids', at(path, 'pids'), 'pids.max'))) },
    cpu: {
      usage: {
        total: single(cpuacct('cpuacct.usage')),
        user: single(cpuacct('cpuacct.usage_user')),
        kernel: single(cpuacct('cpuacct.usage_sys')),
        perCpu: (cpuacct('cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(BigInt),
      },
      throttling: { periods: throttle.get('nr_periods') ?? 0n, throttledPeriods: throttle.get('nr_throttled') ?? 0n, throttledTime: throttle.get('throttled_time') ?? 0n },
    },
    memory: {
      ...fillFromStat(v1.MemoryStatSchema, parseKeyed(memory('memory.stat')), V1_ALIASES),
      usage: entry('memory.'),
      swap: entry('memory.memsw.'),
      kernel: entry('memory.kmem.'),
      kernelTcp: entry('memory.kmem.tcp.'),
    },
    memoryOomControl: { oomKillDisable: oom.get('oom_kill_disable') ?? 0n, underOom: oom.get('under_oom') ?? 0n, oomKill: oom.get('oom_kill') ?? 0n },
  });
}

export function v2Metrics(path: CgroupPath, read: ReadFile, root = CGROUP_ROOT): v2.Metrics {
  const file = (name: string) => read(join(root, at(path, ''), name));
  const cpu = parseKeyed(file('cpu.stat'));
  const max = file('memory.max')?.trim();
  const events = parseKeyed(file('memory.events'));
  const pidsMax = file('pids.max')?.trim();
  return create(v2.MetricsSchema, {
    pids: { current: single(file('pids.current')), limit: pidsMax === 'max' ? 0n : single(pidsMax) },
    cpu: {
      usageUsec: cpu.get('usage_usec') ?? 0n,
      userUsec: cpu.get('user_usec') ?? 0n,
      systemUsec: cpu.get('system_usec') ?? 0n,
      nrPeriods: cpu.get('nr_periods') ?? 0n,
      nrThrottled: cpu.get('nr_throttled') ?? 0n,
      throttledUsec: cpu.get('throttled_usec') ?? 0n,
    },
    memory: {
      ...fillFromStat(v2.MemoryStatSchema, parseKeyed(file('memory.stat'))),
      usage: single(file('memory.current')),
      usageLimit: max === 'max' || max === undefined ? 0xffffffffffffffffn : single(max),
      maxUsage: single(file('memory.peak')),
      swapUsage: single(file('memory.swap.current')),
    },
    memoryEvents: { low: events.get('low') ?? 0n, high: events.get('high') ?? 0n, max: events.get('max') ?? 0n, oom: events.get('oom') ?? 0n, oomKill: events.get('oom_kill') ?? 0n },
  });
}

export function metricsAny(path: CgroupPath, read: ReadFile = readCgroupFile, root = CGROUP_ROOT): Any {
  if (isCgroupV2(read, root)) return create(AnySchema, { typeUrl: v2.MetricsSchema.typeName, value: toBinary(v2.MetricsSchema, v2Metrics(path, read, root)) });
  return create(AnySchema, { typeUrl: v1.MetricsSchema.typeName, value: toBinary(v1.MetricsSchema, v1Metrics(path, read, root)) });
}

// How many times the kernel's OOM killer fired in this cgroup.
export function oomKills(path: CgroupPath, read: ReadFile = readCgroupFile, root = CGROUP_ROOT): bigint {
  if (isCgroupV2(read, root)) return parseKeyed(read(join(root, at(path, ''), 'memory.events'))).get('oom_kill') ?? 0n;
  return parseKeyed(read(join(root, 'memory', at(path, 'memory'), 'memory.oom_control'))).get('oom_kill') ?? 0n;
}

export function cgroupProcs(path: CgroupPath, read: ReadFile = readCgroupFile, root = CGROUP_ROOT): number[] {
  const file = isCgroupV2(read, root) ? join(root, at(path, ''), 'cgroup.procs') : join(root, 'pids', at(path, 'pids'), 'cgroup.procs');
  return (read(file) ?? '').split('\n').filter(Boolean).map(Number);
}

// The container's own cgroup directories: one on v2, one per mounted controller on v1.
export function cgroupDirs(path: CgroupPath, root = CGROUP_ROOT): string[] {
  if (isCgroupV2(readCgroupFile, root)) return [join(root, at(path, ''))];
  // A mount holding several controllers (cpu,cpuacct) is found by any of them.
  return readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name, at(path, entry.name.split(',')[0]!)));
}
