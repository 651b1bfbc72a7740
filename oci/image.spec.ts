import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { buildArtifactArchive, buildImageArchive, layerTar, wasmImage } from './image.ts';

async function entries(tar: Uint8Array): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => (out.set(header.name, Buffer.concat(chunks)), next()));
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  Readable.from([Buffer.from(tar)]).pipe(ex);
  await done;
  return out;
}

const wasm = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);

test('a single manifest with a wasip1/wasm config, the module as entrypoint, digests that match', async () => {
  const files = await entries(await buildImageArchive(wasmImage('docker.io/library/hello:v1', wasm, '/app/hello.wasm')));
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.is(index.manifests.length, 1);
  assert.is(index.manifests[0].annotations['io.containerd.image.name'], 'docker.io/library/hello:v1');
  assert.is(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'v1');
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.slice(7)}`)!;
  for (const [name, bytes] of files) {
    if (name.startsWith('blobs/sha256/') && bytes.length > 0) assert.is(createHash('sha256').update(bytes).digest('hex'), name.slice(13));
  }
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  assert.is(config.os, 'wasip1');
  assert.is(config.architecture, 'wasm');
  assert.equal(config.config.Entrypoint, ['/app/hello.wasm']);
  assert.equal(config.rootfs.diff_ids, [manifest.layers[0].digest]);
  const layer = await entries(blob(manifest.layers[0].digest));
  assert.equal([...layer.keys()], ['app/', 'app/hello.wasm']);
  assert.equal([...layer.get('app/hello.wasm')!], [...wasm]);
});

test('layers are reproducible and hold symlinks and hard links', async () => {
  const files = [{ path: '/bin/busybox', content: Uint8Array.of(1), mode: 0o4755 }, { path: '/bin/sh', symlinkTo: 'busybox' }, { path: '/bin/ls', hardLinkTo: '/bin/busybox' }];
  assert.equal(await layerTar(files), await layerTar(files));
  const links = new Map<string, [string, string | null | undefined, number | undefined]>();
  const ex = extract();
  ex.on('entry', (header, stream, next) => (links.set(header.name, [header.type!, header.linkname, header.mode]), stream.resume(), next()));
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  Readable.from([Buffer.from(await layerTar(files))]).pipe(ex);
  await done;
  assert.equal(links.get('bin/sh'), ['symlink', 'busybox', 0o777]);
  // The link carries its target's mode: an unpacker's chmod of the link must not change busybox's.
  assert.equal(links.get('bin/ls'), ['link', 'bin/busybox', 0o4755]);
});

test('a native image: the config names its user; empty directories keep their mode', async () => {
  const files = await entries(await buildImageArchive({ name: 'example.com/user:1', os: 'linux', architecture: 'amd64', user: 'www-data:1004', files: [{ path: '/tmp', directory: true, mode: 0o1777 }] }));
  const index = JSON.parse(files.get('index.json')!.toString());
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.slice(7)}`)!;
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  assert.is(JSON.parse(blob(manifest.config.digest).toString()).config.User, 'www-data:1004');
  const modes = new Map<string, number>();
  const ex = extract();
  ex.on('entry', (header, stream, next) => (modes.set(header.name, header.mode!), stream.resume(), next()));
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  Readable.from([Buffer.from(blob(manifest.layers[0].digest))]).pipe(ex);
  await done;
  assert.equal([...modes], [['tmp/', 0o1777]]);
});

test('a wasm artifact: the CNCF config, the module as its one application/wasm layer; an index names its platform', async () => {
  const files = await entries(await buildArtifactArchive({ name: 'reg/app:v1', wasm, os: 'wasip1' }));
  const blob = (digest: string) => files.get(`blobs/sha256/${digest.slice(7)}`)!;
  const manifest = JSON.parse(blob(JSON.parse(files.get('index.json')!.toString()).manifests[0].digest).toString());
  assert.is(manifest.config.mediaType, 'application/vnd.wasm.config.v0+json');
  assert.equal(manifest.layers.map((l: { mediaType: string }) => l.mediaType), ['application/wasm']);
  assert.equal([...blob(manifest.layers[0].digest)], [...wasm]);
  const config = JSON.parse(blob(manifest.config.digest).toString());
  assert.equal([config.os, config.architecture, config.layerDigests], ['wasip1', 'wasm', [manifest.layers[0].digest]]);
  const indexed = await entries(await buildImageArchive({ ...wasmImage('reg/app:v2', wasm), asIndex: true }));
  const top = JSON.parse(indexed.get(`blobs/sha256/${JSON.parse(indexed.get('index.json')!.toString()).manifests[0].digest.slice(7)}`)!.toString());
  assert.is(top.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(top.manifests[0].platform, { os: 'wasip1', architecture: 'wasm' });
});

test.run();
