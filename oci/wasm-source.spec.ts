import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MEDIA } from './media-types.ts';
import { cacheName, checkDigest, guestLayer, pickManifest, type ManifestJson } from './wasm-source.ts';

const d = (mediaType: string, n = 1) => ({ mediaType, digest: `sha256:${String(n).repeat(64)}`, size: 10 });
const artifact = (layers: ManifestJson['layers']): ManifestJson => ({ config: d(MEDIA.wasmConfig, 9), layers });

test('a CNCF artifact and a component layer give their one wasm layer', () => {
  assert.equal(guestLayer(artifact([d(MEDIA.wasm)]), { os: 'wasip1', architecture: 'wasm' }, 'x'), { kind: 'wasm', layer: d(MEDIA.wasm) });
  assert.equal(guestLayer({ config: d(MEDIA.ociConfig), layers: [d(MEDIA.bytecodealliance)] }, { os: 'wasip2', architecture: 'wasm' }, 'x')?.kind, 'wasm');
});

test('a wasm image with one tar layer gives the tar; native images and many-layer images give nothing', () => {
  const tar = d('application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(guestLayer({ config: d(MEDIA.ociConfig), layers: [tar] }, { os: 'wasip1', architecture: 'wasm' }, 'x'), { kind: 'tar', layer: tar });
  assert.is(guestLayer({ config: d(MEDIA.ociConfig), layers: [tar] }, { os: 'linux', architecture: 'amd64' }, 'x'), undefined);
  assert.is(guestLayer({ config: d(MEDIA.ociConfig), layers: [tar, d('application/vnd.oci.image.layer.v1.tar', 2)] }, { os: 'wasi', architecture: 'wasm' }, 'x'), undefined);
});

test('two wasm layers, an unknown layer type and an artifact without a layer are errors naming the image', () => {
  assert.throws(() => guestLayer(artifact([d(MEDIA.wasm, 1), d(MEDIA.wasm, 2)]), {}, 'reg/app:v1'), /image reg\/app:v1 has 2 wasm layers/);
  assert.throws(() => guestLayer(artifact([d('application/x-foo')]), {}, 'reg/app:v1'), /media type application\/x-foo, which wasmts does not know/);
  assert.throws(() => guestLayer(artifact([]), {}, 'reg/app:v1'), /without a wasm layer/);
});

test('an index gives its wasm manifest, or says what it lists', () => {
  const index: ManifestJson = { manifests: [{ ...d(MEDIA.ociManifest, 1), platform: { os: 'linux', architecture: 'amd64' } }, { ...d(MEDIA.ociManifest, 2), platform: { os: 'wasip1', architecture: 'wasm' } }] };
  assert.is(pickManifest(index, 'x').digest, d(MEDIA.ociManifest, 2).digest);
  assert.throws(() => pickManifest({ manifests: [index.manifests![0]!] }, 'reg/app:v1'), /lists linux\/amd64/);
});

test('a digest that does not match stops the run', () => {
  assert.throws(() => checkDigest('sha256:00', d(MEDIA.wasm), 'reg/app:v1'), /corrupt, nothing was run/);
  checkDigest(d(MEDIA.wasm).digest, d(MEDIA.wasm), 'x');
});

test('a layer digest that is not a sha256 digest is refused before it names a file', () => {
  assert.is(cacheName(d(MEDIA.wasm), 'x'), '1'.repeat(64));
  assert.throws(() => cacheName({ ...d(MEDIA.wasm), digest: 'sha256:../../../../etc/shadow' }, 'reg/app:v1'), /image reg\/app:v1 names a layer by .*not a sha256 digest/);
});

test.run();
