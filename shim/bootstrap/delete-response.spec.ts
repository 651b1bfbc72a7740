import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary } from '@bufbuild/protobuf';
import { DeleteResponseSchema } from '../protocol/gen/task_pb.ts';
import { encodeDeleteResponse } from './delete-response.ts';

test('decodes with the generated codec to the same values', () => {
  const at = new Date('2026-11-22T10:00:00.123Z');
  for (const [pid, status] of [[0, 137], [4242, 0], [2 ** 31, 255]] as const) {
    const message = fromBinary(DeleteResponseSchema, encodeDeleteResponse(pid, status, at));
    assert.is(message.pid, pid);
    assert.is(message.exitStatus, status);
    assert.is(message.exitedAt!.seconds, BigInt(Math.floor(at.getTime() / 1000)));
    assert.is(message.exitedAt!.nanos, 123_000_000);
  }
});

test.run();
