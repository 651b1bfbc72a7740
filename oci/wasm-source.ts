// Where in an image the guest is, when the rootfs does not hold the entrypoint: a wasm layer (a CNCF
// wasm artifact, a component layer) or, for a wasm image whose one tar layer containerd did not
// unpack, the single .wasm inside that tar. Pure: the caller reads the blobs.
import { MEDIA, WASM_LAYER_TYPES, WASM_OSES, isIndex, isTarLayer } from './media-types.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string };
}

export interface ManifestJson {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export interface ConfigJson {
  os?: string;
  architecture?: string;
}

export class ImageSourceError extends Error {
  override name = 'ImageSourceError';
}

export type GuestLayer = { kind: 'wasm' | 'tar'; layer: Descriptor };

export function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new ImageSourceError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

const isWasmPlatform = (p: { os?: string; architecture?: string } | undefined) => p?.architecture === 'wasm' || WASM_OSES.includes(p?.os ?? '');

// An index (multi-platform image) names its wasm manifest by platform.
export function pickManifest(index: ManifestJson, image: string): Descriptor {
  const wasm = (index.manifests ?? []).filter((m) => !isIndex(m.mediaType) && isWasmPlatform(m.platform));
  if (wasm.length === 0) {
    const listed = (index.manifests ?? []).map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ') || 'nothing';
    throw new ImageSourceError(`image ${image} is an index without a wasm manifest (it lists ${listed}): push the wasm image as a single manifest or add a wasip1/wasm entry`);
  }
  return wasm[0]!;
}

export function guestLayer(manifest: ManifestJson, config: ConfigJson, image: string): GuestLayer | undefined {
  const layers = manifest.layers ?? [];
  const wasm = layers.filter((l) => WASM_LAYER_TYPES.includes(l.mediaType));
  if (wasm.length > 1) {
    throw new ImageSourceError(`image ${image} has ${wasm.length} wasm layers (${wasm.map((l) => l.digest.slice(0, 19)).join(', ')}): wasmts runs one module per container; build the image with a single wasm layer`);
  }
  if (wasm.length === 1) return { kind: 'wasm', layer: wasm[0]! };
  const artifact = manifest.config?.mediaType === MEDIA.wasmConfig;
  if (!artifact && !isWasmPlatform(config)) return undefined;
  const unknown = layers.filter((l) => !isTarLayer(l.mediaType));
  if (unknown.length > 0) {
    throw new ImageSourceError(`image ${image} has a layer of media type ${unknown[0]!.mediaType}, which wasmts does not know: use ${MEDIA.wasm} for a module or component, or a tar layer`);
  }
  if (artifact) throw new ImageSourceError(`image ${image} is a wasm artifact without a wasm layer: push it again with one ${MEDIA.wasm} layer`);
  return layers.length === 1 ? { kind: 'tar', layer: layers[0]! } : undefined;
}

// A digest names a file of the node's cache: it must be one, never a path an image makes up.
export function cacheName(descriptor: Descriptor, image: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(descriptor.digest);
  if (!match) throw new ImageSourceError(`image ${image} names a layer by ${JSON.stringify(descriptor.digest)}, which is not a sha256 digest: rebuild and push the image`);
  return match[1]!;
}

export function checkDigest(actual: string, descriptor: Descriptor, image: string): void {
  if (actual !== descriptor.digest) {
    throw new ImageSourceError(`layer ${descriptor.digest} of image ${image} reads back as ${actual}: the content is corrupt, nothing was run; remove the image and pull it again`);
  }
}
