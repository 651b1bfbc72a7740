// Where runc keeps the state of our containers: apart from containerd's runc shim, one root per
// namespace, on the tmpfs containerd uses for its runtime state.
import { posix } from 'node:path';

export const RUNC_ROOT_DIR = '/run/containerd/wasmts';

export function runcRoot(namespace: string): string {
  return posix.join(RUNC_ROOT_DIR, namespace);
}
