// Builds OCI image layout archives (what `ctr images import` and skopeo read): an image from files
// (one uncompressed tar layer, a config, a single manifest: an index of wasm-only platforms fails
// CRI's platform match, so that shape is only made when asked), or a wasm OCI artifact.
import { createHash } from 'node:crypto';
import { pack, type Pack } from 'tar-stream';
import { MEDIA } from './media-types.ts';

export interface ImageFile {
  path: string;
  content?: Uint8Array;
  mode?: number;
  symlinkTo?: string;
  // A hard link to an earlier entry of the layer (its absolute path), as busybox's image links its applets.
  hardLinkTo?: string;
  // An empty directory (its mode from `mode`, default 0755), such as /tmp at 01777.
  directory?: boolean;
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
  const modes = new Map<string, number>();
  for (const file of files) {
    for (const dir of parents(file.path)) {
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      tar.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime: FIXED_TIME });
    }
    const name = file.path.replace(/^\/+/, '');
    if (file.directory) {
      dirs.add(name);
      tar.entry({ name: `${name}/`, type: 'directory', mode: file.mode ?? 0o755, mtime: FIXED_TIME });
    } else if (file.symlinkTo !== undefined) tar.entry({ name, type: 'symlink', linkname: file.symlinkTo, mode: 0o777, mtime: FIXED_TIME });
    else if (file.hardLinkTo !== undefined) {
      // A link's header carries its target's mode: unpackers chmod the path, and so the shared inode.
      const target = file.hardLinkTo.replace(/^\/+/, '');
      tar.entry({ name, type: 'link', linkname: target, mode: modes.get(target) ?? 0o755, mtime: FIXED_TIME });
    } else {
      modes.set(name, file.mode ?? 0o755);
      tar.entry({ name, mode: file.mode ?? 0o755, mtime: FIXED_TIME }, Buffer.from(file.content ?? new Uint8Array()));
    }
  }
  tar.finalize();
  return done;
}

export interface ImageSpec {
  name: string;
  os: string;
  architecture: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  // The config's User: a name or uid, with an optional `:group`.
  user?: string;
  files: ImageFile[];
  // The manifest inside an image index that names its platform (a "multi-platform" image).
  asIndex?: boolean;
}

export async function buildImageArchive(image: ImageSpec): Promise<Uint8Array> {
  const layer = await layerTar(image.files);
  const layerDigest = sha256(layer);
  const config = json({
    architecture: image.architecture,
    os: image.os,
    config: { Entrypoint: image.entrypoint, Cmd: image.cmd, Env: image.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], User: image.user },
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
  });
  const platform = image.asIndex ? { os: image.os, architecture: image.architecture } : undefined;
  return layoutArchive(image.name, { mediaType: MEDIA.ociConfig, bytes: config }, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: layer }], platform);
}

export interface ArtifactSpec {
  name: string;
  wasm: Uint8Array;
  // wasip1 for a core module, wasip2 for a component.
  os: 'wasip1' | 'wasip2';
  // The CNCF artifact's `application/wasm`, or another wasm layer type.
  layerMediaType?: string;
  // Extra wasm layers (an image with two is refused).
  extraLayers?: Uint8Array[];
}

// A wasm OCI artifact as `wkg oci push` makes one (CNCF TAG Runtime): config
// application/vnd.wasm.config.v0+json, the module as an application/wasm layer, no entrypoint.
export function buildArtifactArchive(artifact: ArtifactSpec): Promise<Uint8Array> {
  const layers = [artifact.wasm, ...(artifact.extraLayers ?? [])];
  const config = json({
    created: FIXED_TIME.toISOString(),
    architecture: 'wasm',
    os: artifact.os,
    layerDigests: layers.map(sha256),
    ...(artifact.os === 'wasip2' ? { component: { exports: [], imports: [] } } : {}),
  });
  const mediaType = artifact.layerMediaType ?? MEDIA.wasm;
  const isArtifact = mediaType === MEDIA.wasm;
  return layoutArchive(artifact.name, { mediaType: isArtifact ? MEDIA.wasmConfig : MEDIA.ociConfig, bytes: config }, layers.map((bytes) => ({ mediaType, bytes })));
}

interface Blob {
  mediaType: string;
  bytes: Uint8Array;
}

// An OCI image layout (what `ctr images import` and `skopeo copy oci-archive:` read) holding one
// manifest, or an index around it when `platform` is given.
async function layoutArchive(name: string, config: Blob, layers: Blob[], platform?: { os: string; architecture: string }): Promise<Uint8Array> {
  const descriptor = (blob: Blob) => ({ mediaType: blob.mediaType, digest: sha256(blob.bytes), size: blob.bytes.length });
  const manifest = json({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: descriptor(config), layers: layers.map(descriptor) });
  const nested = platform ? json({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ ...descriptor({ mediaType: MEDIA.ociManifest, bytes: manifest }), platform }] }) : undefined;
  const top: Blob = nested ? { mediaType: MEDIA.ociIndex, bytes: nested } : { mediaType: MEDIA.ociManifest, bytes: manifest };
  const tag = name.slice(name.lastIndexOf(':') + 1);
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [{ ...descriptor(top), annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag } }],
  });
  const tar = pack();
  const done = collect(tar);
  const blob = (bytes: Uint8Array) => tar.entry({ name: `blobs/sha256/${sha256(bytes).slice(7)}`, mode: 0o644, mtime: FIXED_TIME }, Buffer.from(bytes));
  tar.entry({ name: 'oci-layout', mode: 0o644, mtime: FIXED_TIME }, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  tar.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime: FIXED_TIME });
  tar.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: FIXED_TIME });
  const written = new Set<string>();
  for (const bytes of [...layers.map((l) => l.bytes), config.bytes, manifest, ...(nested ? [nested] : [])]) {
    if (written.has(sha256(bytes))) continue;
    written.add(sha256(bytes));
    blob(bytes);
  }
  tar.entry({ name: 'index.json', mode: 0o644, mtime: FIXED_TIME }, Buffer.from(index));
  tar.finalize();
  return done;
}

export function wasmImage(name: string, wasm: Uint8Array, modulePath = '/app/main.wasm', env?: string[]): ImageSpec {
  return { name, ...WASM_PLATFORM, entrypoint: [modulePath], env: env ?? [], files: [{ path: modulePath, content: wasm, mode: 0o644 }] };
}
