// Where a shim daemon listens and keeps runc state. One daemon serves one group (a pod's sandbox id,
// else the container id); its socket name is derived from containerd's address, namespace and group
// as containerd's own shims do, under the directory containerd uses for shim sockets.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

export const SOCKET_DIR = '/run/containerd/s';
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

// containerd 2.3 names the directory in its BootstrapParams.
export function socketPath(containerdAddress: string, namespace: string, group: string, dir = SOCKET_DIR): string {
  const hash = createHash('sha256').update(posix.join(containerdAddress, namespace, group)).digest('hex');
  return posix.join(dir, hash);
}

export function groupOf(id: string, annotations: Record<string, string> | undefined): string {
  return annotations?.[SANDBOX_ID_ANNOTATION] || id;
}
