// Where a shim daemon listens. One daemon serves a containerd namespace on the node (the default), or,
// with WASMTS_DAEMON=pod in containerd's environment, one pod (its sandbox id, else the container
// id). Its socket name is derived from containerd's address, namespace and that group, as
// containerd's own shims do, under the directory containerd uses for shim sockets.
import { rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { nameHash } from './name-hash.ts';

export const SOCKET_DIR = '/run/containerd/s';
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

// containerd 2.3 names the directory in its BootstrapParams.
export function socketPath(containerdAddress: string, namespace: string, group: string, dir = SOCKET_DIR): string {
  return posix.join(dir, nameHash(posix.join(containerdAddress, namespace, group)));
}

// Beside a daemon's socket, the version of the containerd that `start` last asked (containerd-version.ts):
// it goes wherever the socket goes.
export const containerdVersionFile = (socket: string) => `${socket}.containerd`;

export async function removeSocket(socket: string): Promise<void> {
  await rm(socket, { force: true });
  await rm(containerdVersionFile(socket), { force: true });
}

export const NODE_GROUP = 'wasmts-node';

export type DaemonScope = 'node' | 'pod';

export function daemonScope(value: string | undefined): DaemonScope {
  if (!value || value === 'node') return 'node';
  if (value === 'pod') return 'pod';
  throw new Error(`WASMTS_DAEMON=${value} is not a daemon scope: set it to node (one daemon for the node's wasm tasks, the default) or pod (one per pod), or unset it`);
}

export function daemonGroup(scope: DaemonScope, id: string, annotations: Record<string, string> | undefined): string {
  return scope === 'node' ? NODE_GROUP : groupOf(id, annotations);
}

// A pod's group: its sandbox id, else the container's own id.
export function groupOf(id: string, annotations: Record<string, string> | undefined): string {
  return annotations?.[SANDBOX_ID_ANNOTATION] || id;
}
