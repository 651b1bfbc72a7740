import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { RuntimeInfoSchema } from '../protocol/gen/introspection_pb.ts';
import { StateRequestSchema } from '../protocol/gen/task_pb.ts';
import { encodeRuntimeInfo, RUNTIME_NAME } from './info.ts';

test('RuntimeInfo decodes with the generated codec; the options given come back as they are', () => {
  const options = toBinary(AnySchema, anyPack(StateRequestSchema, create(StateRequestSchema, { id: 'x' })));
  const info = fromBinary(RuntimeInfoSchema, encodeRuntimeInfo('0.2.0', options));
  assert.is(info.name, RUNTIME_NAME);
  assert.is(info.version!.version, '0.2.0');
  assert.equal([...toBinary(AnySchema, info.options!)], [...options]);
  assert.is(fromBinary(RuntimeInfoSchema, encodeRuntimeInfo('dev', new Uint8Array())).options, undefined);
});

test.run();
