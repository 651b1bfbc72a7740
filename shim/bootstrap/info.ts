// `-info`: containerd 2.x runs it when its CRI plugin starts, to learn each runtime handler's
// features, and 2.2+ again at task create; it logs an error (not cached, so again at every create)
// when it fails. Prints a containerd.types.RuntimeInfo {name=1, version=2 RuntimeVersion{version=1,
// revision=2}, options=3, features=4}; the runtime options it was given on stdin come back as they
// are, as containerd-shim-runc-v2 does.
//
// Every container, wasm or native, is run by runc with its mounts and namespaces as the spec has
// them, so the features are runc's own (`runc features`), as runc's shim reports them. CRI reads
// recursive read-only mounts (mount option "rro") and user namespaces from them: without them a pod
// asking for a recursive read-only volume is refused on wasmts and accepted on runc.
import { execFileSync } from 'node:child_process';
import { RUNC } from '../container/runc.ts';
import { bytesField, stringField } from './proto-wire.ts';
import { pipedStdin } from './stdin.ts';

export const RUNTIME_NAME = 'io.containerd.wasmts.v1';
// containerd's typeurl name for the OCI features struct, whose Any value is its JSON.
export const FEATURES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/features/Features';

export function encodeRuntimeInfo(version: string, options: Uint8Array, features?: Uint8Array): Uint8Array {
  const featuresAny = features ? bytesField(4, [...stringField(1, FEATURES_TYPE_URL), ...bytesField(2, features)]) : [];
  return Uint8Array.from([...stringField(1, RUNTIME_NAME), ...bytesField(2, stringField(1, version)), ...bytesField(3, options), ...featuresAny]);
}

// runc before 1.1 has no `features`: the info then says nothing of features, as runc's shim does,
// and containerd treats the handler as having none of them.
export function runcFeatures(runc = RUNC): Uint8Array | undefined {
  try {
    const json = execFileSync(runc, ['features'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    JSON.parse(json.toString('utf8'));
    return json;
  } catch (error) {
    process.stderr.write(`containerd-shim-wasmts-v1 -info: \`${runc} features\` failed (${(error as Error).message.split('\n')[0]}): containerd sees no recursive read-only mounts or user namespaces for wasmts; runc 1.1+ reports them\n`);
    return undefined;
  }
}

export function printRuntimeInfo(version: string): void {
  process.stdout.write(encodeRuntimeInfo(version, pipedStdin(), runcFeatures()));
}
