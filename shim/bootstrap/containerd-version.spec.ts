import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create, toBinary } from '@bufbuild/protobuf';
import { VersionResponseSchema } from '../protocol/gen/containerd_api_pb.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcFrame, knownContainerdVersion, processIdentity, versionFromReply } from './containerd-version.ts';

test('the version is read from a gRPC-framed VersionResponse; a short or compressed frame is not', () => {
  const frame = grpcFrame(toBinary(VersionResponseSchema, create(VersionResponseSchema, { version: '2.1.9+unknown', revision: 'abc' })));
  assert.is(versionFromReply(frame), '2.1.9+unknown');
  for (let cut = 0; cut < frame.length; cut++) assert.is(versionFromReply(frame.subarray(0, cut)), undefined);
  assert.is(versionFromReply(Uint8Array.of(1, ...frame.subarray(1))), undefined);
  assert.equal([...grpcFrame(new Uint8Array())], [0, 0, 0, 0, 0]);
});

test('a process is its pid and its start tick, whatever its name holds', () => {
  const stat = '42 (contain) erd) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 987654 1000 200';
  assert.is(processIdentity(42, stat), '42:987654');
  assert.is(processIdentity(42, ''), undefined);
});

test('containerd is asked once while it lives: a later start reads the answer; another containerd is asked again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'version-'));
  try {
    const file = join(dir, 'socket.containerd');
    let asked = 0;
    const ask = async () => (asked++, '1.6.20');
    assert.is(await knownContainerdVersion(file, ask, process.pid), '1.6.20');
    assert.is(await knownContainerdVersion(file, ask, process.pid), '1.6.20');
    assert.is(asked, 1);
    const [identity] = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${identity!.split(':')[0]}:1\n2.1.9\n`);
    assert.is(await knownContainerdVersion(file, async () => '1.7.24', process.pid), '1.7.24');
    assert.is(await knownContainerdVersion(file, async () => undefined, process.pid), '1.7.24');
    // No answer is not kept: the next start asks.
    rmSync(file);
    assert.is(await knownContainerdVersion(file, async () => undefined, process.pid), undefined);
    assert.is(await knownContainerdVersion(file, ask, process.pid), '1.6.20');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
