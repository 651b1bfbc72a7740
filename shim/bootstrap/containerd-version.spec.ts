import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, toBinary } from '@bufbuild/protobuf';
import { VersionResponseSchema } from '../protocol/gen/containerd_api_pb.ts';
import { grpcFrame, versionFromReply } from './containerd-version.ts';

test('the version is read from a gRPC-framed VersionResponse; a short or compressed frame is not', () => {
  const frame = grpcFrame(toBinary(VersionResponseSchema, create(VersionResponseSchema, { version: '2.1.9+unknown', revision: 'abc' })));
  assert.is(versionFromReply(frame), '2.1.9+unknown');
  for (let cut = 0; cut < frame.length; cut++) assert.is(versionFromReply(frame.subarray(0, cut)), undefined);
  assert.is(versionFromReply(Uint8Array.of(1, ...frame.subarray(1))), undefined);
  assert.equal([...grpcFrame(new Uint8Array())], [0, 0, 0, 0, 0]);
});

test.run();
