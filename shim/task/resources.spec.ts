import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { Code, ShimError } from '../errors.ts';
import { decodeResources, LINUX_RESOURCES_TYPE_URL } from './resources.ts';

const any = (json: string, typeUrl = LINUX_RESOURCES_TYPE_URL) => create(AnySchema, { typeUrl, value: new TextEncoder().encode(json) });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, ShimError);
    assert.is((error as ShimError).code, Code.invalidArgument);
    return (error as ShimError).message;
  }
  throw new Error('expected InvalidArgument');
}

test('what containerd\'s CRI sends decodes; the JSON goes on as sent, fields runc reads alone included', () => {
  const json = JSON.stringify({ devices: [{ allow: false, access: 'rwm' }], memory: { limit: 268435456, swap: 268435456 }, cpu: { shares: 512, quota: 50000, period: 100000 }, unified: { 'memory.high': '200M' } });
  const update = decodeResources(any(json), 'a');
  assert.is(update.json, json);
  assert.is(update.resources.memory?.limit, 268435456);
  assert.is(update.resources.cpu?.period, 100000);
});

test('-1 (no limit) is a memory limit and a CPU quota; null fields are left out as Go leaves them', () => {
  const update = decodeResources(any('{"memory":{"limit":-1,"swap":null},"cpu":{"quota":-1},"pids":null}'), 'a');
  assert.is(update.resources.memory?.limit, -1);
});

const cases: [string, string, RegExp][] = [
  ['a string for a number', '{"memory":{"limit":"256Mi"}}', /memory\.limit is "256Mi", not a whole number/],
  ['a fraction', '{"cpu":{"quota":1.5}}', /cpu\.quota is 1\.5, not a whole number/],
  ['a negative unsigned', '{"cpu":{"period":-100000}}', /cpu\.period is -100000, not a whole number of 0 or more/],
  ['a number for a string', '{"cpu":{"cpus":0}}', /cpu\.cpus is 0, not a string/],
  ['a section that is not an object', '{"memory":268435456}', /"memory" is 268435456, not an object/],
  ['an array', '[{"memory":{}}]', /not a JSON object/],
  ['not JSON', '{memory:', /are not JSON/],
];
for (const [what, json, message] of cases) {
  test(`InvalidArgument for ${what}, naming the task and the field`, () => {
    const text = refusal(() => decodeResources(any(json), 'task-1'));
    assert.match(text, message);
    assert.match(text, 'task task-1');
  });
}

test('no resources, empty ones, or Windows resources are InvalidArgument saying what to send', () => {
  assert.match(refusal(() => decodeResources(undefined, 'a')), LINUX_RESOURCES_TYPE_URL);
  assert.match(refusal(() => decodeResources(any(''), 'a')), 'has no resources');
  assert.match(refusal(() => decodeResources(any('{}', 'types.containerd.io/opencontainers/runtime-spec/1/WindowsResources'), 'a')), 'wasmts runs Linux containers');
});

test.run();
