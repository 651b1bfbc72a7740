// With OTEL_EXPORTER_OTLP_ENDPOINT in containerd's environment, the shim's spans reach a real OTLP
// receiver (Jaeger) and are read back through its query API: the task calls with their container,
// the component transpile, the content-store reads, errors. containerd 2.x, whose own tracing the
// same variable turns on, sends its trace context in ttrpc metadata: there the shim's spans are in
// containerd's traces, children of containerd's spans.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { before } from '../before.ts';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { pidsMatching } from '../../scripts/processes.ts';
import { PrivateContainerd } from '../../scripts/private-containerd.ts';
import { WASM_TEST_IMAGE, buildTestImages } from '../fixtures/build.ts';
import { Jaeger, parentOf, tag, type JaegerSpan } from './jaeger.ts';
import { until } from './poll.ts';

const root = join(import.meta.dirname, '../..');
const SERVICE = 'containerd-shim-wasmts-v1';
const WASM = ['--runtime', 'io.containerd.wasmts.v1', '--platform', 'wasip1/wasm'];
const jaeger = new Jaeger();
let containerd: PrivateContainerd;
let counter = 0;
const newId = (name: string) => `${name}-${process.pid}-${counter++}`;

before(test, async () => {
  const images = await buildTestImages();
  await jaeger.start();
  containerd = new PrivateContainerd({
    shimDir: join(root, 'dist'),
    // A short batch delay: the spans are in Jaeger soon after each call, not only at Shutdown.
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttp, OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  await containerd.start();
  const result = await containerd.ctr(['images', 'import', '--all-platforms', images.wasm]);
  if (result.code !== 0) throw new Error(`import failed: ${result.stderr}`);
});

test.after(async () => {
  await containerd?.stop();
  await jaeger.stop();
});

// A port nothing listens on: bound, read, closed.
const closedPort = () => new Promise<number>((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    server.close(() => resolve(port));
  });
});
// One daemon serves the node's tasks: it is gone once the test's last task is.
const shimGone = () => pidsMatching((cmdline) => cmdline.includes('containerd-shim-wasmts-v1') && cmdline.includes(containerd.socket)).length === 0;

const joinsContainerd = () => containerd.version.major >= 2;
const ours = (spans: JaegerSpan[]) => spans.filter((s) => s.serviceName === SERVICE);
const named = (spans: JaegerSpan[], suffix: string) => ours(spans).filter((s) => s.operationName.endsWith(suffix));

// Until every span named is in Jaeger (the shim exports in batches, off the calls' path).
const spansOf = (id: string, names: string[]) => until(async () => {
  const spans = await jaeger.spans(SERVICE, { 'container.id': id });
  return names.every((name) => named(spans, name).length > 0) ? spans : undefined;
}, `spans ${names.join(', ')} of ${id} in jaeger`);

test('Create, Start, Kill and Delete are spans with the container id, namespace and method, from the shim\'s resource', async () => {
  const id = newId('traced');
  assert.is((await containerd.ctr(['run', '-d', ...WASM, WASM_TEST_IMAGE, id, '/app/sleep.wasm'])).code, 0);
  await containerd.waitRunning(id);
  assert.is((await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', id])).code, 0);
  await until(async () => /STOPPED/.test((await containerd.ctr(['task', 'ls'])).stdout.split('\n').find((l) => l.startsWith(id)) ?? ''), `${id} to stop`);
  assert.is((await containerd.ctr(['task', 'delete', id])).code, 0);
  assert.is((await containerd.ctr(['container', 'delete', id])).code, 0);
  const spans = await spansOf(id, ['/Create', '/Start', '/Kill', '/Delete']);
  for (const method of ['Create', 'Start', 'Kill', 'Delete']) {
    const span = named(spans, `/${method}`).find((s) => tag(s, 'container.id') === id)!;
    assert.match(span.operationName, new RegExp(`^containerd\\.task\\.v[23]\\.Task/${method}$`));
    assert.is(tag(span, 'rpc.method'), method);
    assert.is(tag(span, 'rpc.system'), 'ttrpc');
    assert.is(tag(span, 'containerd.namespace') ?? span.processTags['containerd.namespace'], 'default');
    assert.is(tag(span, 'span.kind'), 'server');
    assert.is(tag(span, 'error'), undefined, `${method} failed: ${String(tag(span, 'otel.status_description'))}`);
    assert.ok(Number(span.processTags['process.pid']) > 0);
    assert.ok(span.processTags['host.name']);
  }
});

test('the Create span is in containerd\'s trace, a child of containerd\'s span, on 2.x; on 1.x it starts a trace', async () => {
  const id = newId('joined');
  const run = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/hello.wasm']);
  assert.is(run.code, 0, run.stderr);
  const create = () => jaeger.spans(SERVICE, { 'container.id': id }).then((spans) => named(spans, '/Create')[0]);
  if (!joinsContainerd()) {
    const span = await until(create, `the Create span of ${id}`);
    assert.is(parentOf(span), undefined, 'containerd 1.x sends no trace context');
    return;
  }
  // containerd exports its spans on its own schedule: poll until the parent is there too.
  const [span, parent] = await until(async () => {
    const spans = await jaeger.spans(SERVICE, { 'container.id': id });
    const span = named(spans, '/Create')[0];
    const parent = span && spans.find((s) => s.spanID === parentOf(span));
    return span && parent ? [span, parent] as const : undefined;
  }, `the Create span of ${id} and its parent from containerd`);
  assert.is(parent.serviceName, 'containerd');
  assert.is(parent.traceID, span.traceID);
  assert.is(parent.operationName, span.operationName, 'containerd\'s otelttrpc client span names the same method');
});

test('a component\'s transpile is a span inside its Create', async () => {
  const id = newId('component');
  const run = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/hello.component.wasm']);
  assert.is(run.code, 0, run.stderr);
  const spans = await spansOf(id, ['/Create', 'component transpile']);
  const create = named(spans, '/Create')[0]!;
  const transpile = named(spans, 'component transpile').find((s) => s.traceID === create.traceID)!;
  assert.ok(transpile, 'the transpile is in the Create\'s trace');
  assert.is(parentOf(transpile), create.spanID);
  assert.is(tag(transpile, 'wasmts.component'), '/app/hello.component.wasm');
  assert.match(String(tag(transpile, 'wasmts.component.sha256')), /^[0-9a-f]{64}$/);
});

test('a failed Create is an ERROR span with the message; the content-store reads it made are its children', async () => {
  const id = newId('missing');
  const run = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/missing.wasm']);
  assert.is.not(run.code, 0);
  const spans = await spansOf(id, ['/Create', 'image guest']);
  const create = named(spans, '/Create')[0]!;
  assert.is(tag(create, 'error'), true);
  assert.is(tag(create, 'otel.status_code'), 'ERROR');
  assert.match(String(tag(create, 'otel.status_description')), '/app/missing.wasm');
  const guest = named(spans, 'image guest')[0]!;
  assert.is(parentOf(guest), create.spanID);
  // Container -> image -> manifest -> config, each a client span under the image guest span.
  const calls = ours(spans).filter((s) => parentOf(s) === guest.spanID);
  const names = calls.map((s) => `${s.operationName}${tag(s, 'oci.blob') ? ` ${String(tag(s, 'oci.blob'))}` : ''}`);
  assert.equal(names.sort(), [
    'containerd.services.containers.v1.Containers/Get',
    'containerd.services.content.v1.Content/Read config',
    'containerd.services.content.v1.Content/Read manifest',
    'containerd.services.images.v1.Images/Get',
  ]);
  for (const call of calls) assert.is(tag(call, 'span.kind'), 'client');
  if (joinsContainerd()) {
    // Our traceparent goes to containerd's gRPC server, whose span for the call is our span's child.
    const imagesGet = calls.find((s) => s.operationName.endsWith('Images/Get'))!;
    const served = await until(async () => (await jaeger.spans(SERVICE, { 'container.id': id })).find((s) => s.serviceName === 'containerd' && parentOf(s) === imagesGet.spanID), 'containerd\'s span for Images/Get');
    assert.is(served.traceID, create.traceID);
  }
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc exports to the collector\'s gRPC port', async () => {
  await containerd.stopContainerd();
  await containerd.startContainerd({ OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpc, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_BSP_SCHEDULE_DELAY: '100' });
  const id = newId('grpc');
  const run = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/hello.wasm']);
  assert.is(run.code, 0, run.stderr);
  const spans = await spansOf(id, ['/Create', '/Start', '/Delete']);
  assert.is(tag(named(spans, '/Create')[0]!, 'container.id'), id);
});

test('a collector that is down costs nothing but a warning, once per daemon', async () => {
  await containerd.stopContainerd();
  await containerd.startContainerd({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`, OTEL_BSP_SCHEDULE_DELAY: '100' });
  const id = newId('down');
  // Lines from here on: this containerd's earlier daemons logged into the same file.
  const from = readFileSync(containerd.logPath, 'utf8').length;
  const run = await containerd.ctr(['run', '--rm', ...WASM, WASM_TEST_IMAGE, id, '/app/hello.wasm', 'still']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, 'arg[1]=still');
  const lines = () => readFileSync(containerd.logPath, 'utf8').slice(from).split('\n').filter((l) => l.includes('exporting spans failed'));
  // A second task in the same daemon, running: its spans are exported, and fail, while containerd
  // still reads the daemon's log (an idle daemon's last lines, at its exit, have no reader left).
  const second = newId('down-again');
  assert.is((await containerd.ctr(['run', '-d', ...WASM, WASM_TEST_IMAGE, second, '/app/sleep.wasm'])).code, 0);
  await containerd.waitRunning(second);
  await until(() => lines().length >= 2, `${second}'s spans to fail to export too`).catch((error: Error) => {
    throw new Error(`${error.message}; the lines: ${lines().join('\n') || 'none'}`);
  });
  await containerd.ctr(['task', 'kill', '-s', 'SIGKILL', second]);
  await until(async () => new RegExp(`^${second}\\s+\\d+\\s+STOPPED`, 'm').test((await containerd.ctr(['task', 'ls'])).stdout), `${second} to stop`);
  await containerd.ctr(['task', 'delete', second]);
  await containerd.ctr(['container', 'rm', second]);
  await until(() => shimGone(), 'the daemon to exit');
  const warnings = lines().filter((l) => l.includes('level=warn'));
  assert.is(warnings.length, 1, lines().join('\n'));
  assert.match(warnings[0]!, 'later failures are logged at debug');
  assert.match(warnings[0]!, 'cannot reach the OTLP endpoint');
});

test.run();
