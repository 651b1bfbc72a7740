// What containerd tells `start`. containerd 2.3+ sends containerd.runtime.bootstrap.v1.BootstrapParams
// on stdin and reads a BootstrapResult back; older versions send the runtime options (a
// google.protobuf.Any, or nothing) and read an address. The reply each version takes:
//   1.6, 1.7      a plain `unix://` address (1.7 refuses version 3)
//   2.0 - 2.2     JSON {"version":3,...}: later containers of a pod reuse the connection
//   2.3+          a protobuf BootstrapResult with version 3
import { readFields, stringField, stringOf, varintField, type WireValue } from './proto-wire.ts';

// The fields `start` uses; the runtime options travel in extensions (8), unread for now.
export interface BootstrapParams {
  namespace: string;
  ttrpcAddress: string;
  grpcAddress: string;
  socketDir: string;
}

// An Any has only fields 1 and 2 (type_url, value), so it can decode as BootstrapParams too; real
// params always carry containerd_version (4) or containerd_binary (7), and name this instance.
export function parseBootstrapParams(stdin: Uint8Array, id: string): BootstrapParams | undefined {
  let fields: WireValue[];
  try {
    fields = readFields(stdin);
  } catch {
    return undefined;
  }
  if (!fields.some((f) => f.number === 4 || f.number === 7) || stringOf(fields, 1) !== id) return undefined;
  return { namespace: stringOf(fields, 2), ttrpcAddress: stringOf(fields, 5), grpcAddress: stringOf(fields, 6), socketDir: stringOf(fields, 9) };
}

export type StartReply = 'plain' | 'json-v3' | 'protobuf-v3';

// containerd_version as containerd spells it: "2.3.7+unknown", "v1.7.24", "1.7.24~ds1".
export function majorOf(version: string): number | undefined {
  const match = /^v?(\d+)\./.exec(version.trim());
  return match ? Number(match[1]) : undefined;
}

export function replyKind(params: BootstrapParams | undefined, containerdVersion: string | undefined): StartReply {
  if (params) return 'protobuf-v3';
  const major = containerdVersion === undefined ? undefined : majorOf(containerdVersion);
  return major !== undefined && major >= 2 ? 'json-v3' : 'plain';
}

export const TTRPC_PROTOCOL = 'ttrpc';
const TASK_API_VERSION = 3;

// What `start` prints. Nothing else may reach stdout or stderr: containerd reads them combined.
export function encodeStartReply(kind: StartReply, address: string): Uint8Array {
  if (kind === 'protobuf-v3') return Uint8Array.from([...varintField(1, TASK_API_VERSION), ...stringField(2, address), ...stringField(3, TTRPC_PROTOCOL)]);
  const text = kind === 'json-v3' ? JSON.stringify({ version: TASK_API_VERSION, address, protocol: TTRPC_PROTOCOL }) : address;
  return new TextEncoder().encode(text);
}
