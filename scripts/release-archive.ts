// The release artifact node installers fetch (runtime-class-manager's Shim, KWasm's node installer):
// a gzipped tar holding the binary named as containerd looks it up, and a sha256 file in the format
// `sha256sum -c` reads.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const BINARY_NAME = 'containerd-shim-wasmts-v1';
const ARCHES: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

export function releaseName(arch: string = process.arch): string {
  const name = ARCHES[arch];
  if (!name) throw new Error(`no release for ${arch}: wasmts ships linux-amd64 and linux-arm64`);
  return `${BINARY_NAME}-linux-${name}.tar.gz`;
}

export async function releaseArchive(binary: Uint8Array, mtime = new Date(0)): Promise<Uint8Array> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => tar.on('end', resolve).on('error', reject));
  tar.entry({ name: BINARY_NAME, mode: 0o755, mtime, uid: 0, gid: 0 }, Buffer.from(binary));
  tar.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

export function checksumLine(archive: Uint8Array, name: string): string {
  return `${createHash('sha256').update(archive).digest('hex')}  ${name}\n`;
}
