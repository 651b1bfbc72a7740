// `-info`: containerd 2.2+ runs it at task create to learn the runtime's features, and logs an error
// (not cached, so again at every create) when it fails. Prints a containerd.types.RuntimeInfo
// {name=1, version=2 RuntimeVersion{version=1, revision=2}, options=3}; the runtime options it was
// given on stdin come back as they are, as containerd-shim-runc-v2 does.
import { bytesField, stringField } from './proto-wire.ts';
import { pipedStdin } from './stdin.ts';

export const RUNTIME_NAME = 'io.containerd.wasmts.v1';

export function encodeRuntimeInfo(version: string, options: Uint8Array): Uint8Array {
  return Uint8Array.from([...stringField(1, RUNTIME_NAME), ...bytesField(2, stringField(1, version)), ...bytesField(3, options)]);
}

export function printRuntimeInfo(version: string): void {
  process.stdout.write(encodeRuntimeInfo(version, pipedStdin()));
}
