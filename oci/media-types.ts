// The media types of OCI images and of WebAssembly OCI artifacts, and which layers hold a guest.
export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  // CNCF TAG Runtime's wasm artifact: this config, one `application/wasm` layer, no entrypoint.
  wasmConfig: 'application/vnd.wasm.config.v0+json',
  wasm: 'application/wasm',
  bytecodealliance: 'application/vnd.bytecodealliance.wasm.component.layer.v0+wasm',
  wasmContent: 'application/vnd.wasm.content.layer.v1+wasm',
} as const;

// Layers whose bytes are the guest itself.
export const WASM_LAYER_TYPES: readonly string[] = [MEDIA.wasm, MEDIA.bytecodealliance, MEDIA.wasmContent];

// Filesystem layers: containerd unpacks these into the rootfs (plain or compressed tar).
export function isTarLayer(mediaType: string): boolean {
  return /^application\/vnd\.(oci\.image\.layer\.v1\.tar|docker\.image\.rootfs\.diff\.tar)(\.gzip|\+gzip|\+zstd)?$/.test(mediaType);
}

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

// The platforms a wasm manifest of an index may be listed under.
export const WASM_OSES = ['wasip1', 'wasip2', 'wasi'];
