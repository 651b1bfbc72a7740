// Turns a wasm container's spec into one whose process is our runner. The runner binary, the dynamic
// loader and the shared libraries it maps are bind-mounted read-only under RUNNER_DIR, so the runner
// starts in a rootfs that holds no libc; the original args and env travel to it in GUEST_FILE.
import { posix } from 'node:path';
import { GUEST_FILE, STATUS_FD, type Engine, type GuestConfig } from '../runtime/guest.ts';
import type { OciMount, OciSpec } from './spec.ts';
import { memoryLimitOf, nodeOptionsArgument, runnerNodeOptions } from './runner-heap.ts';

export const RUNNER_DIR = '/.wasmts';

export interface RunnerFiles {
  binary: string;
  loader: string;
  libraries: string[];
}

// The name the loader looks a library up by: libstdc++.so.6.0.30 is found as libstdc++.so.6.
export function sonameOf(path: string): string {
  return posix.basename(path).replace(/(\.so\.\d+)(\.\d+)*$/, '$1');
}

// Host files mapped by this process: the runner is this same binary, so they are what it needs.
export function runnerFilesFromMaps(maps: string, binary: string): RunnerFiles {
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/)[5];
    if (path?.startsWith('/') && /\.so(\.\d+)*$/.test(path)) files.add(path);
  }
  const all = [...files];
  const loader = all.find((path) => /\/ld-linux[^/]*\.so/.test(path));
  if (!loader) throw new Error('cannot find the dynamic loader in /proc/self/maps');
  return { binary, loader, libraries: all.filter((path) => path !== loader) };
}

function readOnlyBind(source: string, destination: string, options = ['rbind', 'ro', 'nosuid', 'nodev']): OciMount {
  return { destination, type: 'bind', source, options };
}

// A guest is distrusted: whatever it can write in its rootfs (or the image ships) must never become
// code or configuration of the runner, and nothing it can reach may control the runner.
// - The loader reads /etc/ld.so.preload of the rootfs: an empty file is mounted over it, and
//   --inhibit-cache keeps it from /etc/ld.so.cache.
// - The loader searches RUNNER_DIR/lib/glibc-hwcaps/* before RUNNER_DIR/lib: RUNNER_DIR is a tmpfs of
//   its own (hiding whatever the image has there), made read-only once the runner's files are bound
//   into it, so nothing can be added beside them.
// - /proc/self/mem (and every other writable file of /proc) would let the guest write the runner's
//   memory: /proc is mounted read-only.
// - No capabilities, no new privileges: a WASI guest needs none.
export const LD_PRELOAD_FILE = '/etc/ld.so.preload';
const NO_CAPABILITIES = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };

function readOnlyProc(mount: OciMount): OciMount {
  if (mount.destination !== '/proc' || mount.type !== 'proc') return mount;
  return { ...mount, options: [...(mount.options ?? []).filter((o) => o !== 'rw' && o !== 'ro'), 'ro'] };
}

// Where a guest read from the image's layers (not a file of the rootfs) appears in the container.
export const LAYER_MODULE = `${RUNNER_DIR}/module.wasm`;
// Where a component's transpiled form (its entry in the node-wide cache) appears in the container.
export const COMPONENT_DIR = `${RUNNER_DIR}/component`;

export interface WasmFiles {
  engine: Engine;
  // The guest's path in the rootfs.
  modulePath: string;
  // Host paths: where the caller writes `guest` (mounted at GUEST_FILE), and an empty file.
  guestFile: string;
  emptyFile: string;
  // A guest read from the image's layers, instead of `modulePath`.
  layerFile?: string;
  // A component's cache entry: what the runner loads instead of the component itself.
  componentDir?: string;
}

// The runner's only variables (the guest's go to it in GUEST_FILE). A runner is one per container, so
// what glibc's malloc keeps of what Node freed at start-up is kept per pod: without its dynamic
// thresholds and with one arena, a sleeping guest's runner measured 8.32 MB of anonymous memory
// against 8.53 (scripts in the README), and wasi:http throughput moved within the noise
// (bench-components.ts, two runs each way: 2807 and 3189 req/s against 2864 and 3183, one instance
// reused).
export const RUNNER_ENV = ['GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0'];

export function rewriteForWasm(spec: OciSpec, runner: RunnerFiles, files: WasmFiles): { spec: OciSpec; guest: GuestConfig } {
  const { modulePath, guestFile, layerFile, componentDir } = files;
  const process = spec.process!;
  const module = componentDir ? COMPONENT_DIR : layerFile ? LAYER_MODULE : modulePath;
  const guest: GuestConfig = { engine: files.engine, module, args: process.args ?? [], env: process.env ?? [], cwd: process.cwd || '/' };
  const loader = `${RUNNER_DIR}/${posix.basename(runner.loader)}`;
  const mounts: OciMount[] = [
    { destination: RUNNER_DIR, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=755', 'size=64k'] },
    readOnlyBind(runner.binary, `${RUNNER_DIR}/wasmts`),
    readOnlyBind(guestFile, GUEST_FILE),
    ...(componentDir ? [readOnlyBind(componentDir, COMPONENT_DIR)] : layerFile ? [readOnlyBind(layerFile, LAYER_MODULE)] : []),
    readOnlyBind(runner.loader, loader),
    ...runner.libraries.map((lib) => readOnlyBind(lib, `${RUNNER_DIR}/lib/${sonameOf(lib)}`)),
    readOnlyBind(files.emptyFile, LD_PRELOAD_FILE),
  ];
  const rewritten: OciSpec = {
    ...spec,
    process: {
      ...process,
      args: [loader, '--inhibit-cache', '--library-path', `${RUNNER_DIR}/lib`, `${RUNNER_DIR}/wasmts`, ...nodeOptionsArgument(runnerNodeOptions(memoryLimitOf(spec.linux))), 'run', GUEST_FILE, String(STATUS_FD)],
      env: RUNNER_ENV,
      capabilities: NO_CAPABILITIES,
      noNewPrivileges: true,
    },
    mounts: [...(spec.mounts ?? []).map(readOnlyProc), ...mounts],
    // runc makes these read-only after every mount is in place.
    linux: { ...spec.linux, readonlyPaths: [...((spec.linux?.readonlyPaths as string[] | undefined) ?? []), RUNNER_DIR] },
  };
  return { spec: rewritten, guest };
}
