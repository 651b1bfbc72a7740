// Decides how a container runs: its entrypoint, resolved inside the rootfs, is a wasm core module, a
// wasm component, or a native program (ELF or script) that runc runs as it is.
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { DEFAULT_PATH, envValue, type OciMount, type OciProcess } from './spec.ts';
import { ResolveError, resolveInRoot } from './resolve.ts';

export type Classification =
  | { kind: 'wasm-module'; path: string; hostPath: string }
  | { kind: 'wasm-component'; path: string; hostPath: string }
  | { kind: 'native'; path: string; hostPath: string | undefined };

export class ClassifyError extends Error {
  override name = 'ClassifyError';
  // The entrypoint is nowhere in the rootfs: the image may carry the guest as a layer instead.
  readonly notFound: boolean;
  constructor(message: string, options: { notFound?: boolean } = {}) {
    super(message);
    this.notFound = options.notFound ?? false;
  }
}

export function kindOfHeader(header: Uint8Array): 'wasm-module' | 'wasm-component' | 'native' | undefined {
  const startsWith = (...bytes: number[]) => bytes.every((b, i) => header[i] === b);
  if (startsWith(0x00, 0x61, 0x73, 0x6d)) {
    // The 4 bytes after the magic: version 1 for core modules; version 0x0d with layer 1 for components.
    if (startsWith(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)) return 'wasm-module';
    if (header[6] === 0x01 && header[7] === 0x00) return 'wasm-component';
    return undefined;
  }
  if (startsWith(0x7f, 0x45, 0x4c, 0x46) || startsWith(0x23, 0x21)) return 'native';
  return undefined;
}

function describe(header: Uint8Array): string {
  if (header.length === 0) return 'an empty file';
  const hex = [...header].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `a file starting with bytes ${hex} (neither a wasm module, an ELF binary nor a #! script)`;
}

function kindOfFile(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device node';
  return 'not a regular file';
}

function candidates(process: OciProcess, entry: string): string[] {
  if (entry.includes('/')) return [posix.resolve(process.cwd || '/', entry)];
  const searchPath = envValue(process.env, 'PATH') ?? DEFAULT_PATH;
  return searchPath.split(':').filter(Boolean).map((dir) => posix.join(dir, entry));
}

// Under a mount point the entrypoint comes from a volume, not the image: it cannot be read before
// runc mounts it, and runc runs (or refuses) it as it would for any container.
function fromVolume(path: string, mounts: OciMount[]): boolean {
  return mounts.some((mount) => mount.destination !== '/' && (path === mount.destination || path.startsWith(`${mount.destination.replace(/\/$/, '')}/`)));
}

export async function classifyEntrypoint(rootfs: string, process: OciProcess | undefined, mounts: OciMount[] = []): Promise<Classification> {
  const entry = process?.args?.[0];
  if (!process || !entry) throw new ClassifyError('the OCI spec has no process.args: set an entrypoint or command on the image or container');
  const tried = candidates(process, entry);
  for (const path of tried) {
    // A volume mounted over the path hides what the image has there.
    if (fromVolume(path, mounts)) return { kind: 'native', path, hostPath: undefined };
    const hostPath = await resolveInRoot(rootfs, path).catch((error: Error) => {
      throw error instanceof ResolveError ? new ClassifyError(`entrypoint ${path}: ${error.message}`) : error;
    });
    if (!hostPath) continue;
    const stats = await stat(hostPath).catch(() => undefined);
    if (!stats) continue;
    if (!stats.isFile()) {
      // A PATH search passes over what is not a file, as a shell does; a named path is the user's word.
      if (!entry.includes('/')) continue;
      throw new ClassifyError(`entrypoint ${path} is ${kindOfFile(stats)}, not a file: point the image's entrypoint or the container's command at a .wasm module or a program`);
    }
    const handle = await open(hostPath, 'r');
    const header = new Uint8Array(8);
    const { bytesRead } = await handle.read(header, 0, 8, 0).finally(() => handle.close());
    const kind = kindOfHeader(header.subarray(0, bytesRead));
    if (!kind) throw new ClassifyError(`entrypoint ${path} is ${describe(header.subarray(0, bytesRead))}: point the image's entrypoint at a .wasm module or a program`);
    return { kind, path, hostPath };
  }
  const where = entry.includes('/') ? tried[0] : `any PATH directory (${tried.map(posix.dirname).join(':')})`;
  throw new ClassifyError(`entrypoint ${JSON.stringify(entry)} was not found in the container's root filesystem at ${where}: check the image's entrypoint and the container's command`, { notFound: true });
}
