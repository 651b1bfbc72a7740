import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { BootstrapParamsSchema, BootstrapResultSchema } from '../protocol/gen/bootstrap_pb.ts';
import { StateRequestSchema } from '../protocol/gen/task_pb.ts';
import { encodeStartReply, majorOf, parseBootstrapParams, replyKind } from './params.ts';

// Any runtime options message will do: the shim passes them through unread.
const options = toBinary(StateRequestSchema, create(StateRequestSchema, { id: 'opts' }));
const optionsAny = anyPack(StateRequestSchema, create(StateRequestSchema, { id: 'opts' }));

function containerdParams(withOptions: boolean): Uint8Array {
  return toBinary(BootstrapParamsSchema, create(BootstrapParamsSchema, {
    instanceId: 'pod-1',
    namespace: 'k8s.io',
    logLevel: -4,
    containerdVersion: '2.3.7+unknown',
    containerdTtrpcAddress: '/run/containerd/containerd.sock.ttrpc',
    containerdGrpcAddress: '/run/containerd/containerd.sock',
    containerdBinary: '/usr/bin/containerd',
    extensions: withOptions ? [{ value: optionsAny }] : [],
    socketDir: '/run/containerd/s',
  }));
}

test('BootstrapParams as containerd 2.3 encodes them are read, with runtime options or without', () => {
  const params = parseBootstrapParams(containerdParams(true), 'pod-1');
  assert.ok(params);
  assert.is(params!.namespace, 'k8s.io');
  assert.is(params!.ttrpcAddress, '/run/containerd/containerd.sock.ttrpc');
  assert.is(params!.grpcAddress, '/run/containerd/containerd.sock');
  assert.is(params!.socketDir, '/run/containerd/s');
  assert.equal(parseBootstrapParams(containerdParams(false), 'pod-1'), params);
});

test('the runtime options Any of containerd 1.x-2.2, empty stdin and junk are not BootstrapParams', () => {
  assert.is(parseBootstrapParams(toBinary(BootstrapParamsSchema, create(BootstrapParamsSchema, { instanceId: 'x' })), 'x'), undefined);
  assert.is(parseBootstrapParams(options, 'opts'), undefined);
  assert.is(parseBootstrapParams(new Uint8Array(), 'pod-1'), undefined);
  assert.is(parseBootstrapParams(Uint8Array.of(0x0a, 0xff), 'pod-1'), undefined);
  assert.is(parseBootstrapParams(containerdParams(true), 'another-id'), undefined);
  for (let cut = 1; cut < 20; cut++) parseBootstrapParams(containerdParams(true).subarray(0, cut), 'pod-1');
});

test('each containerd gets the reply it takes', () => {
  const params = parseBootstrapParams(containerdParams(false), 'pod-1');
  assert.is(replyKind(params, undefined), 'protobuf-v3');
  assert.is(replyKind(undefined, '1.6.20~ds1'), 'plain');
  assert.is(replyKind(undefined, 'v1.7.24'), 'plain');
  assert.is(replyKind(undefined, '2.1.9+unknown'), 'json-v3');
  assert.is(replyKind(undefined, undefined), 'plain');
  assert.is(majorOf('garbage'), undefined);
  const address = 'unix:///run/containerd/s/abc';
  const result = fromBinary(BootstrapResultSchema, encodeStartReply('protobuf-v3', address));
  assert.equal([result.version, result.address, result.protocol], [3, address, 'ttrpc']);
  assert.equal(JSON.parse(new TextDecoder().decode(encodeStartReply('json-v3', address))), { version: 3, address, protocol: 'ttrpc' });
  assert.is(new TextDecoder().decode(encodeStartReply('plain', address)), address);
});

test.run();
