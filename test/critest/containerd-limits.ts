// critest specs that fail on the wasmts handler for containerd's reasons, not the shim's, on the
// containerd versions named. Each entry must hold: one that passes on wasmts fails the file.
import type { ContainerdVersion } from '../../scripts/containerd-versions.ts';

// containerd 2.0 to 2.2.0 ask only `io.containerd.runc.v2` handlers for their features (2.2.9 asks
// every handler, and 1.x none): CRI gives wasmts no recursive read-only mounts there, and these
// specs skip for it.
const FEATURES_ONLY_FOR_RUNC_TYPE = [
  '[k8s.io] Container Mount Readonly runtime should support readonly mounts should support recursive readonly mounts',
  '[k8s.io] Container Mount Readonly runtime should support readonly mounts should reject a recursive readonly mount with PROPAGATION_HOST_TO_CONTAINER',
  '[k8s.io] Container Mount Readonly runtime should support readonly mounts should reject a recursive readonly mount with PROPAGATION_BIDIRECTIONAL',
  '[k8s.io] Container Mount Readonly runtime should support readonly mounts should reject a recursive readonly mount with ReadOnly: false',
];

// Whether CRI of this containerd asks a handler of another runtime type than runc's for its features
// (the test matrix has no 2.2, where that changed within the 2.2.x releases).
export const introspectsEveryHandler = (version: ContainerdVersion) => version.major > 2 || (version.major === 2 && version.minor >= 3);

export function containerdLimits(version: ContainerdVersion): readonly string[] {
  return version.major === 2 && !introspectsEveryHandler(version) ? FEATURES_ONLY_FOR_RUNC_TYPE : [];
}
