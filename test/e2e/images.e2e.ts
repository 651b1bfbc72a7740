// Wasm images however they reach a node, through containerd's real CRI plugin and a real registry:
// side-loaded with ctr, pulled as a single manifest or as an index, CNCF wasm OCI artifacts and
// component-layer images that the shim reads from containerd's content store. Each containerd
// version that cannot do one of these is named here with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildArtifactArchive, buildImageArchive, wasmImage } from '../../oci/image.ts';
import { MEDIA } from '../../oci/media-types.ts';
import { ImageService, type CriClient } from '../cri/client.ts';
import { FIXTURE_OUT } from '../fixtures/build.ts';
import { startCriNode, stopCriNode, type CriNode } from './cri-node.ts';
import { CONTAINER_EXITED, awaitLogLines, removePod, runPod, startContainer, waitState, type Pod } from './kubelet.ts';
import { NOTHING, settledLeftovers } from './leftovers.ts';
import { REGISTRY } from './registry.ts';

const work = mkdtempSync('/tmp/wasmts-images-');
let node: CriNode;
let cri: CriClient;
let serial = 0;

before(test, async () => {
  node = await startCriNode(work);
  cri = node.cri;
});

test.after(() => stopCriNode(node, work));

const version = () => node.containerd.version;
// containerd 1.6.20 predates non-tar layers (1.6.25, 1.7.7): its pull unpacks every layer.
const readsArtifacts = () => !(version().major === 1 && version().minor === 6);

// hello.wasm with a custom section of its own: a digest no earlier run has put in the node's cache.
function uniqueHello(): Uint8Array {
  const hello = readFileSync(join(FIXTURE_OUT, 'hello.wasm'));
  const name = new TextEncoder().encode('wasmts-test');
  const payload = new TextEncoder().encode(`${process.pid}-${Date.now()}-${serial++}`);
  const body = [name.length, ...name, ...payload];
  return Uint8Array.from([...hello, 0, body.length, ...body]);
}

async function archive(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, `${name.replace(/[^\w]/g, '_')}.tar`);
  writeFileSync(path, bytes);
  return path;
}

async function withPod(body: (pod: Pod) => Promise<void>): Promise<void> {
  const pod = await runPod(cri, join(work, 'logs'));
  try {
    await body(pod);
  } finally {
    await removePod(cri, pod);
  }
}

const hello = (name: string, image: string, command: string[]) => ({ metadata: { name, attempt: 0 }, image: { image }, command, args: ['from', name], logPath: `${name}_0.log` });

async function runsHello(pod: Pod, name: string, image: string, command = ['hello.wasm']): Promise<void> {
  const id = await startContainer(cri, pod, hello(name, image, command));
  const exited = await waitState(cri, id, CONTAINER_EXITED);
  const lines = await awaitLogLines(pod, `${name}_0.log`, (all) => all.some((l) => l.text === `arg[2]=${name}`));
  assert.is(exited.exitCode, 0, JSON.stringify(lines));
  assert.ok(lines.some((l) => l.text === `arg[0]=${command[0]}`), JSON.stringify(lines));
  assert.ok(lines.some((l) => l.text === `arg[2]=${name}`), JSON.stringify(lines));
}

const pull = (image: string) => cri.call(ImageService.method.pullImage, { image: { image } });
const shimLog = () => readFileSync(node.containerd.logPath, 'utf8');

test('a CNCF wasm artifact pulled from a registry runs with the pod\'s command as argv; a second pod reads nothing again', async () => {
  const wasm = uniqueHello();
  const reference = await node.registry.push(await archive('artifact', await buildArtifactArchive({ name: 'wasmts/artifact:v1', wasm, os: 'wasip1' })), 'wasmts/artifact:v1');
  if (!readsArtifacts()) {
    const refused = await pull(reference).catch((e: Error) => e);
    assert.match(String(refused), 'mismatched image rootfs and manifest layers', 'containerd 1.6.20 unpacks every layer, and an application/wasm layer is not a tar');
    return;
  }
  await pull(reference);
  await withPod(async (pod) => {
    await runsHello(pod, 'first', reference);
    await runsHello(pod, 'second', reference);
  });
  const taken = [...shimLog().matchAll(/msg="guest taken from the image".*image=(\S+) layer=(\S+) cached=(\w+)/g)].filter((m) => m[1] === reference);
  assert.equal(taken.map((m) => m[3]), ['false', 'true']);
});

test('an image whose layer is a component-layer media type runs the same way', async () => {
  const reference = await node.registry.push(await archive('component-layer', await buildArtifactArchive({ name: 'wasmts/component-layer:v1', wasm: uniqueHello(), os: 'wasip1', layerMediaType: MEDIA.bytecodealliance })), 'wasmts/component-layer:v1');
  if (!readsArtifacts()) {
    assert.match(String(await pull(reference).catch((e: Error) => e)), 'mismatched image rootfs and manifest layers');
    return;
  }
  await pull(reference);
  await withPod((pod) => runsHello(pod, 'layer', reference, ['/app.wasm']));
});

// The quickstart's path: the shim's own `image build`, then CRI pulls it from a real registry.
test('`image build --push` and `--artifact --push` reach the registry and run as pods; `--output` imports with ctr', async () => {
  const shim = join(import.meta.dirname, '../../dist/containerd-shim-wasmts-v1');
  const file = join(work, 'hello.wasm');
  writeFileSync(file, uniqueHello());
  const build = async (args: string[]) => {
    const result = await node.containerd.exec(shim, ['image', 'build', file, ...args]);
    assert.is(result.code, 0, result.stderr);
    return result.stdout;
  };
  const image = `${REGISTRY}/wasmts/built:${process.pid}`;
  assert.match(await build(['--tag', image, '--push', '--plain-http']), `pushed ${image}`);
  await pull(image);
  await withPod((pod) => runsHello(pod, 'built', image, ['/hello.wasm']));
  const artifact = `${REGISTRY}/wasmts/built-artifact:${process.pid}`;
  await build(['--tag', artifact, '--artifact', '--push', '--plain-http']);
  if (readsArtifacts()) {
    await pull(artifact);
    await withPod((pod) => runsHello(pod, 'built-artifact', artifact, ['hello.wasm']));
  }
  const tarball = join(work, 'built.tar');
  const local = `docker.io/wasmts/built-local:${process.pid}`;
  assert.match(await build(['--tag', local, '--output', tarball]), `wrote ${tarball}`);
  const imported = await node.containerd.ctr(['-n', 'k8s.io', 'images', 'import', '--platform', 'wasip1/wasm', tarball]);
  assert.is(imported.code, 0, imported.stderr);
  await withPod((pod) => runsHello(pod, 'built-local', local, ['/hello.wasm']));
  const refused = await node.containerd.exec(shim, ['image', 'build', file, '--tag', 'no-registry/x:v1', '--push']);
  assert.match(refused.stderr, 'no-registry/x:v1 names no registry');
});

test('side-loaded with ctr: `images import --platform wasip1/wasm` runs on every version', async () => {
  const name = `docker.io/wasmts/sideloaded:${process.pid}`;
  const path = await archive('sideloaded', await buildImageArchive(wasmImage(name, uniqueHello(), '/hello.wasm')));
  const imported = await node.containerd.ctr(['-n', 'k8s.io', 'images', 'import', '--platform', 'wasip1/wasm', path]);
  assert.is(imported.code, 0, imported.stderr);
  await withPod((pod) => runsHello(pod, 'sideloaded', name, ['/hello.wasm']));
});

test('a plain `ctr images import`: unpacked up to 2.1, stored but not unpacked from 2.2', async () => {
  const name = `docker.io/wasmts/plain-import:${process.pid}`;
  const path = await archive('plain', await buildImageArchive(wasmImage(name, uniqueHello(), '/hello.wasm')));
  const imported = await node.containerd.ctr(['-n', 'k8s.io', 'images', 'import', path]);
  assert.is(imported.code, 0, imported.stderr);
  await withPod(async (pod) => {
    const started = await startContainer(cri, pod, hello('plain', name, ['/hello.wasm'])).catch((e: Error) => e);
    if (version().major === 1 || version().minor < 2) {
      assert.type(started, 'string', String(started));
      assert.is((await waitState(cri, started as string, CONTAINER_EXITED)).exitCode, 0);
    } else {
      // From 2.2 the unpacker checks the image config's platform against the one it is asked for:
      // ctr given no --platform asks for the host's, and CRI's own fallback unpacks only the host's.
      assert.match(String(started), 'parent snapshot');
    }
  });
});

test('an index that lists only a wasm platform: CRI\'s pull matches the host\'s platform only, on every version', async () => {
  const reference = await node.registry.push(await archive('index', await buildImageArchive({ ...wasmImage('wasmts/index:v1', uniqueHello(), '/hello.wasm'), asIndex: true })), 'wasmts/index:v1');
  const refused = await pull(reference).catch((e: Error) => e);
  assert.instance(refused, Error);
  assert.match((refused as Error).message, /no match for platform/);
});

test('bad artifacts fail at start with a sentence naming the image: two wasm layers, an unknown layer type, a corrupt layer', async () => {
  if (!readsArtifacts()) return;
  const two = await node.registry.push(await archive('two', await buildArtifactArchive({ name: 'wasmts/two:v1', wasm: uniqueHello(), os: 'wasip1', extraLayers: [uniqueHello()] })), 'wasmts/two:v1');
  const unknown = await node.registry.push(await archive('unknown', await buildArtifactArchive({ name: 'wasmts/unknown:v1', wasm: uniqueHello(), os: 'wasip1', layerMediaType: 'application/vnd.example.unknown' })), 'wasmts/unknown:v1');
  const corruptWasm = uniqueHello();
  const corrupt = await node.registry.push(await archive('corrupt', await buildArtifactArchive({ name: 'wasmts/corrupt:v1', wasm: corruptWasm, os: 'wasip1' })), 'wasmts/corrupt:v1');
  for (const reference of [two, unknown, corrupt]) await pull(reference);
  // containerd does not check a blob when it reads it back: the shim must.
  const { createHash } = await import('node:crypto');
  const blob = join(node.containerd.dir, 'root/io.containerd.content.v1.content/blobs/sha256', createHash('sha256').update(corruptWasm).digest('hex'));
  writeFileSync(blob, Uint8Array.from(corruptWasm).fill(0x61, 20, 30));
  await withPod(async (pod) => {
    const failure = async (reference: string) => String(await startContainer(cri, pod, hello(`bad-${serial++}`, reference, ['app.wasm'])).catch((e: Error) => e));
    assert.match(await failure(two), `image ${two} has 2 wasm layers`);
    assert.match(await failure(unknown), 'media type application/vnd.example.unknown, which wasmts does not know');
    assert.match(await failure(corrupt), 'the content is corrupt, nothing was run');
  });
  const leases = await node.containerd.ctr(['-n', 'k8s.io', 'leases', 'ls']);
  assert.not.match(leases.stdout, 'wasmts-', 'no lease of ours is left');
});

test('after every pod is removed nothing is left', async () => {
  const left = await settledLeftovers(node.containerd, []);
  assert.equal({ ...left, cgroups: [] }, NOTHING);
});

test.run();
