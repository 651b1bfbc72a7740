// The containerd versions the e2e tests run against, each with its own ctr and containerd-shim-runc-v2
// (scripts/containerd-matrix.sh puts them in the cache). WASMTS_CONTAINERD picks one for a test file;
// test/run.ts runs every e2e file once per version.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = process.env.WASMTS_TEST_CACHE || '/var/cache/wasmts-test';

export interface ContainerdVersion {
  name: string;
  major: number;
  minor: number;
  // Holds containerd, ctr and containerd-shim-runc-v2.
  binDir: string;
}

export const CONTAINERD_VERSIONS: ContainerdVersion[] = [
  { name: '1.6', major: 1, minor: 6, binDir: '/usr/bin' },
  { name: '1.7', major: 1, minor: 7, binDir: join(CACHE, 'containerd-1.7/usr/bin') },
  { name: '2.1', major: 2, minor: 1, binDir: join(CACHE, 'containerd-2.1/usr/bin') },
  { name: '2.3', major: 2, minor: 3, binDir: join(CACHE, 'containerd-2.3/bin') },
];

export function containerdVersion(name = process.env.WASMTS_CONTAINERD || '1.6'): ContainerdVersion {
  const version = CONTAINERD_VERSIONS.find((v) => v.name === name);
  if (!version) throw new Error(`WASMTS_CONTAINERD=${name} is not one of ${CONTAINERD_VERSIONS.map((v) => v.name).join(', ')}`);
  if (!existsSync(join(version.binDir, 'containerd'))) throw new Error(`containerd ${name} is not in ${version.binDir}: run bash scripts/containerd-matrix.sh (make setup)`);
  return version;
}

// PATH for containerd of this version and for what it runs: its own runc shim comes first.
export function pathFor(version: ContainerdVersion, first: string[] = []): string {
  return [...first, version.binDir, process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].join(':');
}
