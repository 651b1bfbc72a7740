// imageGuest against a stand-in for containerd's gRPC API (a grpc-js server on a unix socket holding
// a few blobs): the wasm and tar layer paths, the cache, digest checks, and containerd out of reach.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../../test/before.ts';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { layerTar } from '../../oci/image.ts';
import { MEDIA } from '../../oci/media-types.ts';
import * as api from '../protocol/gen/containerd_api_pb.ts';
import { imageGuest } from './image-guest.ts';
import { installTracer } from '../tracing/api.ts';
import { RecordingTracer, type FinishedSpan } from '../tracing/recording-tracer.ts';
import { formatTraceparent } from '../tracing/traceparent.ts';

const dir = mkdtempSync('/tmp/wasmts-image-guest-');
const socket = join(dir, 'containerd.sock');
const blobs = new Map<string, Uint8Array>();
const images = new Map<string, { mediaType: string; digest: string }>();
const containers = new Map<string, string>();
const reads: string[] = [];
const leases = new Set<string>();
// The trace context each Containers/Get came with (containerd 2.x's gRPC server reads it).
const traceparents: (string | undefined)[] = [];
let corrupt = '';

const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
function put(bytes: Uint8Array): { digest: string; size: number } {
  blobs.set(digestOf(bytes), bytes);
  return { digest: digestOf(bytes), size: bytes.length };
}
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function addImage(name: string, containerId: string, layers: { mediaType: string; bytes: Uint8Array }[], config: object, configType: string = MEDIA.wasmConfig): void {
  const manifest = json({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: configType, ...put(json(config)) }, layers: layers.map((l) => ({ mediaType: l.mediaType, ...put(l.bytes) })) });
  images.set(name, { mediaType: MEDIA.ociManifest, digest: put(manifest).digest });
  containers.set(containerId, name);
}

const codec = <T extends DescMessage>(schema: T) => ({ serialize: (m: unknown) => Buffer.from(toBinary(schema, m as never)), deserialize: (b: Buffer) => fromBinary(schema, b) });
const unary = <I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O) => ({ path, requestStream: false, responseStream: false, requestSerialize: codec(input).serialize, requestDeserialize: codec(input).deserialize, responseSerialize: codec(output).serialize, responseDeserialize: codec(output).deserialize });
const notFound = (what: string) => ({ code: grpc.status.NOT_FOUND, details: `${what} not found` });

const server = new grpc.Server();
server.addService({
  get: unary('/containerd.services.containers.v1.Containers/Get', api.GetContainerRequestSchema, api.GetContainerResponseSchema),
  image: unary('/containerd.services.images.v1.Images/Get', api.GetImageRequestSchema, api.GetImageResponseSchema),
  lease: unary('/containerd.services.leases.v1.Leases/Create', api.CreateLeaseRequestSchema, api.CreateLeaseResponseSchema),
  add: unary('/containerd.services.leases.v1.Leases/AddResource', api.AddResourceRequestSchema, EmptySchema),
  remove: unary('/containerd.services.leases.v1.Leases/Delete', api.DeleteLeaseRequestSchema, EmptySchema),
  read: { ...unary('/containerd.services.content.v1.Content/Read', api.ReadContentRequestSchema, api.ReadContentResponseSchema), responseStream: true },
} as unknown as grpc.ServiceDefinition, {
  get: (call: grpc.ServerUnaryCall<api.GetContainerRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
    assert.is(call.metadata.get('containerd-namespace')[0], 'k8s.io');
    traceparents.push(call.metadata.get('traceparent')[0] as string | undefined);
    const image = containers.get(call.request.id);
    if (image === undefined) done(notFound(`container ${call.request.id}`));
    else done(null, create(api.GetContainerResponseSchema, { container: { id: call.request.id, image } }));
  },
  image: (call: grpc.ServerUnaryCall<api.GetImageRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
    const target = images.get(call.request.name);
    if (!target) done(notFound(`image ${call.request.name}`));
    else done(null, create(api.GetImageResponseSchema, { image: { name: call.request.name, target } }));
  },
  lease: (call: grpc.ServerUnaryCall<api.CreateLeaseRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
    assert.ok(Date.parse(call.request.labels['containerd.io/gc.expire']!) > Date.now());
    leases.add(call.request.id);
    done(null, create(api.CreateLeaseResponseSchema, { lease: { id: call.request.id } }));
  },
  add: (_call: unknown, done: grpc.sendUnaryData<unknown>) => done(null, create(EmptySchema)),
  remove: (call: grpc.ServerUnaryCall<api.DeleteLeaseRequest, unknown>, done: grpc.sendUnaryData<unknown>) => {
    leases.delete(call.request.id);
    done(null, create(EmptySchema));
  },
  read: (call: grpc.ServerWritableStream<api.ReadContentRequest, unknown>) => {
    const blob = blobs.get(call.request.digest);
    if (!blob) return call.destroy(Object.assign(new Error('blob not found'), notFound('blob')));
    reads.push(call.request.digest);
    const bytes = call.request.digest === corrupt ? Uint8Array.from(blob).fill(0, 0, 4) : blob;
    // containerd streams blobs in chunks: 7 bytes here, so every read spans many.
    for (let at = 0; at < bytes.length; at += 7) call.write(create(api.ReadContentResponseSchema, { offset: BigInt(at), data: bytes.subarray(at, at + 7) }));
    call.end();
  },
});

before(test, () => new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve()))));
test.after(() => {
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

const module = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 3, 1, 0x78, 0x79);
const options = (containerId: string, cacheDir = join(dir, 'cache')) => ({ socket, namespace: 'k8s.io', containerId, cacheDir, tarLayers: true });

test('a wasm layer is read once, checked and cached by digest; the lease is gone afterwards', async () => {
  addImage('reg/artifact:v1', 'c1', [{ mediaType: MEDIA.wasm, bytes: module }], { os: 'wasip1', architecture: 'wasm' });
  containers.set('c2', 'reg/artifact:v1');
  const first = await imageGuest(options('c1'));
  assert.equal([...readFileSync(first!.hostPath)], [...module]);
  assert.is(first!.cached, false);
  const second = await imageGuest(options('c2'));
  assert.is(second!.cached, true);
  assert.is(reads.filter((d) => d === digestOf(module)).length, 1);
  assert.is(leases.size, 0);
});

test('two containers of one image at once read the layer once', async () => {
  const other = Uint8Array.of(...module, 0x7a);
  addImage('reg/twice:v1', 't1', [{ mediaType: MEDIA.bytecodealliance, bytes: other }], { os: 'wasip2', architecture: 'wasm' }, MEDIA.ociConfig);
  containers.set('t2', 'reg/twice:v1');
  const [a, b] = await Promise.all([imageGuest(options('t1')), imageGuest(options('t2'))]);
  assert.is(a!.hostPath, b!.hostPath);
  assert.is(reads.filter((d) => d === digestOf(other)).length, 1);
});

test('a wasm image\'s one tar layer (gzip too) gives its one .wasm; none or two is an error naming the image', async () => {
  const tar = await layerTar([{ path: '/app/main.wasm', content: module }, { path: '/etc/motd', content: new Uint8Array(3) }]);
  addImage('reg/tar:v1', 'tar1', [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: gzipSync(tar) }], { os: 'wasip1', architecture: 'wasm' }, MEDIA.ociConfig);
  assert.equal([...readFileSync((await imageGuest(options('tar1')))!.hostPath)], [...module]);
  assert.is(await imageGuest({ ...options('tar1', join(dir, 'cache-2')), tarLayers: false }), undefined);
  const two = await layerTar([{ path: '/a.wasm', content: module }, { path: '/b.wasm', content: module }]);
  addImage('reg/two:v1', 'tar2', [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: two }], { os: 'wasip1', architecture: 'wasm' }, MEDIA.ociConfig);
  const error = await imageGuest(options('tar2')).catch((e: Error) => e);
  assert.match(String(error), 'of image reg/two:v1 holds 2 .wasm files');
});

test('a native image gives nothing; a corrupt layer is refused and leaves no cache entry or staging file', async () => {
  addImage('reg/native:v1', 'n1', [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: await layerTar([]) }], { os: 'linux', architecture: 'amd64' }, MEDIA.ociConfig);
  assert.is(await imageGuest(options('n1')), undefined);
  const bad = Uint8Array.of(...module, 0x01, 0x02);
  addImage('reg/corrupt:v1', 'x1', [{ mediaType: MEDIA.wasm, bytes: bad }], { os: 'wasip1', architecture: 'wasm' });
  corrupt = digestOf(bad);
  const error = await imageGuest(options('x1', join(dir, 'cache-3'))).catch((e: Error) => e);
  assert.match(String(error), 'the content is corrupt, nothing was run');
  assert.equal(readdirSync(join(dir, 'cache-3/sha256')), []);
  assert.is(leases.size, 0);
});

test('containerd out of reach, or an unknown container, is an error naming the socket and what to check', async () => {
  const away = await imageGuest({ ...options('c1'), socket: join(dir, 'nobody.sock') }).catch((e: Error) => e);
  assert.match(String(away), `from containerd's content store at ${join(dir, 'nobody.sock')}`);
  assert.match(String(away), 'check that containerd is running');
  assert.is((away as Error).cause !== undefined, true);
  const unknown = await imageGuest(options('no-such-container')).catch((e: Error) => e);
  assert.match(String(unknown), 'container no-such-container not found');
  assert.not.ok(existsSync(join(dir, 'cache', 'sha256', 'x')));
});

test('traced, the reads are client spans under one image guest span, and containerd is sent their context', async () => {
  const spans: FinishedSpan[] = [];
  installTracer(new RecordingTracer((span) => spans.push(span)));
  const traced = Uint8Array.of(...module, 0x7b);
  addImage('reg/traced:v1', 'tr1', [{ mediaType: MEDIA.wasm, bytes: traced }], { os: 'wasip1', architecture: 'wasm' });
  traceparents.length = 0;
  await imageGuest(options('tr1'));
  const guest = spans.find((s) => s.name === 'image guest')!;
  assert.equal([guest.attributes['oci.image'], guest.attributes['oci.digest'], guest.attributes['wasmts.layer.cached']], ['reg/traced:v1', digestOf(traced), false]);
  const children = spans.filter((s) => s.parentSpanId && Buffer.from(s.parentSpanId).equals(Buffer.from(guest.context.spanId)));
  assert.equal(children.map((s) => `${s.name.replace(/^containerd\.services\./, '')}${s.attributes['oci.blob'] ? ` ${String(s.attributes['oci.blob'])}` : ''}`), [
    'containers.v1.Containers/Get',
    'images.v1.Images/Get',
    'content.v1.Content/Read manifest',
    'content.v1.Content/Read config',
    'leases.v1.Leases/Create',
    'leases.v1.Leases/AddResource',
    'content.v1.Content/Read layer',
    'leases.v1.Leases/Delete',
  ]);
  const layer = children.find((s) => s.attributes['oci.blob'] === 'layer')!;
  assert.equal([layer.kind, layer.attributes['oci.digest'], layer.attributes['oci.bytes'], layer.error], ['client', digestOf(traced), traced.length, undefined]);
  assert.equal(traceparents, [formatTraceparent(children[0]!.context)]);
});

test.run();
