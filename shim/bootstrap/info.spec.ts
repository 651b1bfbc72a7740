import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { RuntimeInfoSchema } from '../protocol/gen/introspection_pb.ts';
import { StateRequestSchema } from '../protocol/gen/task_pb.ts';
import { encodeRuntimeInfo, FEATURES_TYPE_URL, RUNTIME_NAME, runcFeatures } from './info.ts';

test('RuntimeInfo decodes with the generated codec; the options given come back as they are', () => {
  const options = toBinary(AnySchema, anyPack(StateRequestSchema, create(StateRequestSchema, { id: 'x' })));
  const info = fromBinary(RuntimeInfoSchema, encodeRuntimeInfo('0.2.0', options));
  assert.is(info.name, RUNTIME_NAME);
  assert.is(info.version!.version, '0.2.0');
  assert.equal([...toBinary(AnySchema, info.options!)], [...options]);
  assert.is(info.features, undefined);
  assert.is(fromBinary(RuntimeInfoSchema, encodeRuntimeInfo('dev', new Uint8Array())).options, undefined);
});

test("the features are runc's JSON in the Any type containerd registers for the OCI features struct", () => {
  const features = new TextEncoder().encode('{"mountOptions":["ro","rro"]}');
  const info = fromBinary(RuntimeInfoSchema, encodeRuntimeInfo('0.2.0', new Uint8Array(), features));
  assert.is(info.features!.typeUrl, FEATURES_TYPE_URL);
  assert.equal(JSON.parse(new TextDecoder().decode(info.features!.value)), { mountOptions: ['ro', 'rro'] });
});

const fakeRunc = (script: string, body: (path: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmts-info-'));
  const path = join(dir, 'runc');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  try {
    body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('runc features: its JSON as it printed it; a runc without the command gives none', () => {
  fakeRunc(`[ "$1" = features ] && echo '{"mountOptions":["rro"]}'`, (runc) => assert.equal(JSON.parse(Buffer.from(runcFeatures(runc)!).toString()), { mountOptions: ['rro'] }));
  fakeRunc(`echo 'No help topic for features' >&2; exit 1`, (runc) => assert.is(runcFeatures(runc), undefined));
  fakeRunc(`echo 'not json'`, (runc) => assert.is(runcFeatures(runc), undefined));
});

test.run();
