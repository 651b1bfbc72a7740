// The cgroup driver runc uses for a task, from the runtime options containerd passes with it: the
// handler's `options` table in containerd's config, as runc's own shim reads its SystemdCgroup.
// Never from the shape of the cgroup path: a cgroupfs node may name a parent `*.slice` (critest
// does), and `--systemd-cgroup` on a host without systemd fails every container.
// - A non-runc runtime type gets `runtimeoptions.v1.Options`: the table as TOML in config_body, or a
//   file named by config_path.
// - `containerd.runc.v1.Options` (field 9, systemd_cgroup), should a handler be configured with it.
import { readFile } from 'node:fs/promises';
import { readFields, stringOf } from '../bootstrap/proto-wire.ts';

const RUNTIME_OPTIONS = 'runtimeoptions.v1.Options';
const RUNC_OPTIONS = 'containerd.runc.v1.Options';
const RUNC_SYSTEMD_CGROUP = 9;

export interface AnyOptions {
  typeUrl: string;
  value: Uint8Array;
}

// `SystemdCgroup = true` at the top of the handler's options table (TOML), comments allowed.
export function systemdCgroupInToml(text: string): boolean {
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) return false;
    const match = /^\s*SystemdCgroup\s*=\s*(true|false)\s*(#.*)?$/.exec(line);
    if (match) return match[1] === 'true';
  }
  return false;
}

export async function systemdCgroupOption(options: AnyOptions | undefined): Promise<boolean> {
  if (!options || options.value.length === 0) return false;
  const type = options.typeUrl.replace(/^.*\//, '');
  const fields = readFields(options.value);
  if (type === RUNC_OPTIONS) return fields.some((f) => f.number === RUNC_SYSTEMD_CGROUP && 'varint' in f && f.varint !== 0n);
  if (type !== RUNTIME_OPTIONS) return false;
  const path = stringOf(fields, 2);
  const body = path ? await readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read the runtime options file ${path} (ConfigPath in the wasmts handler's options): ${error.message}`);
  }) : stringOf(fields, 3);
  return systemdCgroupInToml(body);
}
