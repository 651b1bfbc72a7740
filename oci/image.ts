// Builds an OCI image layout archive (what `ctr images import` reads) from files: one uncompressed tar
// layer, a config, a single manifest (never an index of wasm-only platforms: containerd 1.6's CRI
// cannot match those), and index.json naming the image.
import { createHash } from 'node:crypto';
import { pack, type Pack } from 'tar-stream';

export interface ImageFile {
  path: string;
  content?: Uint8Array;
  mode?: number;
  symlinkTo?: string;
}

export interface ImageSpec {
  name: string;
  os: string;
  architecture: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  files: ImageFile[];
}

export const WASM_PLATFORM = { os: 'wasip1', architecture: 'wasm' } as const;

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function collect(tar: Pack): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    tar.on('data', (chunk) => chunks.push(chunk as Buffer));
    tar.on('end', () => resolve(Buffer.concat(chunks)));
    tar.on('error', reject);
  });
}

const FIXED_TIME = new Date(0);

function parents(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

export async function layerTar(files: ImageFile[]): Promise<Uint8Array> {
  const tar = pack();
  const done = collect(tar);
  const dirs = new Set<string>();
  for (const file of files) {
    for (const dir of parents(file.path)) {
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      tar.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime: FIXED_TIME });
    }
    const name = file.path.replace(/^\/+/, '');
    if (file.symlinkTo !== undefined) tar.entry({ name, type: 'symlink', linkname: file.symlinkTo, mode: 0o777, mtime: FIXED_TIME });
    else tar.entry({ name, mode: file.mode ?? 0o755, mtime: FIXED_TIME }, Buffer.from(file.content ?? new Uint8Array()));
  }
  tar.finalize();
  return done;
}

export async function buildImageArchive(image: ImageSpec): Promise<Uint8Array> {
  const layer = await layerTar(image.files);
  const layerDigest = sha256(layer);
  const config = json({
    architecture: image.architecture,
    os: image.os,
    config: { Entrypoint: image.entrypoint, Cmd: image.cmd, Env: image.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
  });
  const manifest = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  });
  const tag = image.name.slice(image.name.lastIndexOf(':') + 1);
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: sha256(manifest),
      size: manifest.length,
      annotations: { 'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': tag },
    }],
  });
  const tar = pack();
  const done = collect(tar);
  const blob = (bytes: Uint8Array) => tar.entry({ name: `blobs/sha256/${sha256(bytes).slice(7)}`, mode: 0o644, mtime: FIXED_TIME }, Buffer.from(bytes));
  tar.entry({ name: 'oci-layout', mode: 0o644, mtime: FIXED_TIME }, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  tar.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime: FIXED_TIME });
  tar.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: FIXED_TIME });
  blob(layer);
  blob(config);
  blob(manifest);
  tar.entry({ name: 'index.json', mode: 0o644, mtime: FIXED_TIME }, Buffer.from(index));
  tar.finalize();
  return done;
}

export function wasmImage(name: string, wasm: Uint8Array, modulePath = '/app/main.wasm', env?: string[]): ImageSpec {
  return { name, ...WASM_PLATFORM, entrypoint: [modulePath], env: env ?? [], files: [{ path: modulePath, content: wasm, mode: 0o644 }] };
}
