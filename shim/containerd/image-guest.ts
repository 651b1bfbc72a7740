// A guest read from the container's image in containerd's content store, for images whose module is
// not a file in the rootfs (wasm OCI artifacts, component layers, a wasm tar layer containerd did not
// unpack). Container -> image -> manifest (an index's wasm entry) -> config -> the one guest layer,
// read under a lease, its digest checked, and kept in a node-wide cache by digest, so a second pod
// of the same image reads nothing.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { isIndex } from '../../oci/media-types.ts';
import { cacheName, checkDigest, guestLayer, ImageSourceError, parseJson, pickManifest, type ConfigJson, type Descriptor, type ManifestJson } from '../../oci/wasm-source.ts';
import { ContainerdApi, ContainerdApiError } from './api-client.ts';
import { inSpan } from '../tracing/api.ts';
import { fileError } from '../write-file.ts';

const JSON_LIMIT = 4 << 20;
const LEASE_TTL_MS = 10 * 60_000;

export interface ImageGuest {
  image: string;
  layer: Descriptor;
  // The module or component, on the host, in the cache.
  hostPath: string;
  // Found in the cache: nothing was read from containerd.
  cached: boolean;
}

export interface ImageGuestOptions {
  socket: string;
  namespace: string;
  containerId: string;
  cacheDir: string;
  // Whether a wasm image's single tar layer may be read (only when containerd did not unpack it).
  tarLayers: boolean;
}

// One read per layer at a time in this daemon; the cache serves the rest.
const reading = new Map<string, Promise<void>>();

// One span, `image guest`, holds the content store's reads: container -> image -> manifest -> layer.
export function imageGuest(options: ImageGuestOptions): Promise<ImageGuest | undefined> {
  return inSpan('image guest', { attributes: { 'container.id': options.containerId } }, async (span) => {
    const guest = await readImageGuest(options);
    span.setAttributes({ 'oci.image': guest?.image, 'oci.digest': guest?.layer.digest, 'oci.media_type': guest?.layer.mediaType, 'wasmts.layer.cached': guest?.cached });
    return guest;
  });
}

async function readImageGuest(options: ImageGuestOptions): Promise<ImageGuest | undefined> {
  const client = new ContainerdApi(options.socket, options.namespace);
  let image = '';
  try {
    image = await client.containerImage(options.containerId);
    if (!image) return undefined;
    const manifestAt = async (digest: string) => parseJson<ManifestJson>(await client.readAll(digest, JSON_LIMIT, 'manifest'), `the manifest of image ${image}`);
    const target = await client.imageTarget(image);
    let manifest = await manifestAt(target.digest);
    if (isIndex(target.mediaType) || manifest.manifests) manifest = await manifestAt(pickManifest(manifest, image).digest);
    const config = manifest.config ? parseJson<ConfigJson>(await client.readAll(manifest.config.digest, JSON_LIMIT, 'config'), `the config of image ${image}`) : {};
    const found = guestLayer(manifest, config, image);
    if (!found || (found.kind === 'tar' && !options.tarLayers)) return undefined;
    const hostPath = join(options.cacheDir, 'sha256', `${cacheName(found.layer, image)}.wasm`);
    const cached = (await stat(hostPath).catch(() => undefined)) !== undefined;
    if (!cached) {
      let pending = reading.get(hostPath);
      if (!pending) {
        pending = readLayer(client, found.kind, found.layer, image, hostPath, options.containerId).finally(() => reading.delete(hostPath));
        reading.set(hostPath, pending);
      }
      await pending;
    }
    return { image, layer: found.layer, hostPath, cached };
  } catch (error) {
    if (error instanceof ImageSourceError) throw error;
    if (error instanceof ContainerdApiError) {
      throw new ImageSourceError(`cannot read ${image ? `image ${image}` : `the image of container ${options.containerId}`} from containerd's content store at ${options.socket}: ${error.message}; check that containerd is running and passes this socket as -address`, { cause: error });
    }
    throw error;
  } finally {
    client.close();
  }
}

function hashing(digest: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      done(null, chunk);
    },
  });
}

async function readLayer(client: ContainerdApi, kind: 'wasm' | 'tar', layer: Descriptor, image: string, hostPath: string, containerId: string): Promise<void> {
  await mkdir(join(hostPath, '..'), { recursive: true });
  const staging = `${hostPath}.${randomBytes(6).toString('hex')}.tmp`;
  const release = await client.lease(`wasmts-${containerId}-${randomBytes(4).toString('hex')}`, [layer.digest], LEASE_TTL_MS);
  const hash = createHash('sha256');
  try {
    const source = Readable.from(client.read(layer.digest, 'layer'));
    const writing = kind === 'wasm' ? pipeline(source, hashing(hash), createWriteStream(staging, { mode: 0o644 })) : extractSingleWasm([source, hashing(hash)], layer, image, staging);
    await writing.catch((error: NodeJS.ErrnoException) => {
      // A write that failed (a full disk) is the cache's problem, not the image's.
      throw error.syscall === 'write' || error.syscall === 'open' ? fileError(staging, error) : error;
    });
    checkDigest(`sha256:${hash.digest('hex')}`, layer, image);
    await rename(staging, hostPath);
  } finally {
    await rm(staging, { force: true });
    await release().catch(() => {});
  }
}

// A tar layer (gzip or not) that must hold exactly one .wasm file: that file is the guest.
async function extractSingleWasm(source: [Readable, Transform], layer: Descriptor, image: string, staging: string): Promise<void> {
  const tar = extract();
  const found: string[] = [];
  tar.on('entry', (header, stream, next) => {
    if (header.type === 'file' && header.name.endsWith('.wasm')) {
      found.push(header.name);
      if (found.length === 1) {
        void pipeline(stream, createWriteStream(staging, { mode: 0o644 })).then(() => next(), next);
        return;
      }
    }
    stream.on('end', () => next());
    stream.resume();
  });
  if (layer.mediaType.includes('gzip')) await pipeline(...source, createGunzip(), tar);
  else await pipeline(...source, tar);
  if (found.length !== 1) {
    throw new ImageSourceError(`the tar layer ${layer.digest.slice(0, 19)} of image ${image} holds ${found.length === 0 ? 'no .wasm file' : `${found.length} .wasm files (${found.slice(0, 3).join(', ')})`}: a wasm image layer must hold exactly one, or name it in the entrypoint`);
  }
}
