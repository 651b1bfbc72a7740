// The resources of an Update: an Any holding OCI LinuxResources as JSON, as containerd's client
// marshals them (typeurl of specs.LinuxResources; CRI's UpdateContainerResources sends the same).
// runc's shim hands the bytes to Go's json.Unmarshal; here a value Go would refuse, or runc would
// misread, is InvalidArgument naming the field before runc runs.
import type { Any } from '@bufbuild/protobuf/wkt';
import { invalidArgument } from '../errors.ts';

export const LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

// The part of runtime-spec's LinuxResources that wasmts reads itself (messages); runc reads the rest.
export interface LinuxResources {
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit?: number };
}

export interface ResourceUpdate {
  // The JSON exactly as containerd sent it: a JavaScript number would round an int64 above 2^53.
  json: string;
  resources: LinuxResources;
}

type Kind = 'int64' | 'uint64' | 'string' | 'boolean';

// The fields of runtime-spec 1.x whose Go type a JSON value must fit.
const FIELDS: Record<string, Record<string, Kind>> = {
  memory: { limit: 'int64', reservation: 'int64', swap: 'int64', kernel: 'int64', kernelTCP: 'int64', swappiness: 'uint64', disableOOMKiller: 'boolean', useHierarchy: 'boolean', checkBeforeUpdate: 'boolean' },
  cpu: { shares: 'uint64', quota: 'int64', burst: 'uint64', period: 'uint64', realtimeRuntime: 'int64', realtimePeriod: 'uint64', cpus: 'string', mems: 'string', idle: 'int64' },
  pids: { limit: 'int64' },
  blockIO: { weight: 'uint64', leafWeight: 'uint64' },
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fits(value: unknown, kind: Kind): boolean {
  if (kind === 'string') return typeof value === 'string';
  if (kind === 'boolean') return typeof value === 'boolean';
  return typeof value === 'number' && Number.isInteger(value) && (kind === 'int64' || value >= 0);
}

const KIND_WORDS: Record<Kind, string> = {
  int64: 'a whole number',
  uint64: 'a whole number of 0 or more',
  string: 'a string',
  boolean: 'true or false',
};

export function decodeResources(any: Any | undefined, id: string): ResourceUpdate {
  const what = `the resources of the Update of task ${id}`;
  if (!any || any.value.length === 0) throw invalidArgument(`Update of task ${id} has no resources: send an Any holding OCI LinuxResources as JSON (${LINUX_RESOURCES_TYPE_URL})`);
  if (any.typeUrl !== LINUX_RESOURCES_TYPE_URL) {
    throw invalidArgument(`${what} are a ${any.typeUrl || 'message without a type URL'}: wasmts runs Linux containers and takes ${LINUX_RESOURCES_TYPE_URL}`);
  }
  const json = new TextDecoder().decode(any.value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw invalidArgument(`${what} are not JSON (${(error as Error).message}): send OCI LinuxResources as JSON`);
  }
  if (!isObject(parsed)) throw invalidArgument(`${what} are not a JSON object: send OCI LinuxResources, e.g. {"memory":{"limit":268435456}}`);
  for (const [section, fields] of Object.entries(FIELDS)) {
    const part = parsed[section];
    if (part === undefined || part === null) continue;
    if (!isObject(part)) throw invalidArgument(`${what}: "${section}" is ${JSON.stringify(part)}, not an object`);
    for (const [field, kind] of Object.entries(fields)) {
      const value = part[field];
      if (value === undefined || value === null || fits(value, kind)) continue;
      throw invalidArgument(`${what}: ${section}.${field} is ${JSON.stringify(value)}, not ${KIND_WORDS[kind]}`);
    }
  }
  return { json, resources: parsed as LinuxResources };
}
