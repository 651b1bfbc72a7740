import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryLimitOf, nodeOptionsArgument, runnerNodeOptions } from './runner-heap.ts';

const MIB = 1024 * 1024;

test('no memory limit keeps Node\'s defaults', () => {
  assert.equal(runnerNodeOptions(undefined), []);
  assert.equal(runnerNodeOptions(0), []);
  assert.equal(runnerNodeOptions(-1), []);
  assert.equal(nodeOptionsArgument([]), []);
});

test('a limit bounds the young generation to 1/32 of it (1 to 16 MB) and the old one to 35% (16 MB at least)', () => {
  assert.equal(runnerNodeOptions(128 * MIB), ['--max-semi-space-size=4', '--max-old-space-size=44']);
  assert.equal(runnerNodeOptions(32 * MIB), ['--max-semi-space-size=1', '--max-old-space-size=16']);
  assert.equal(runnerNodeOptions(4096 * MIB), ['--max-semi-space-size=16', '--max-old-space-size=1433']);
  assert.equal(nodeOptionsArgument(runnerNodeOptions(128 * MIB)), ['--node-options=--max-semi-space-size=4 --max-old-space-size=44']);
});

test('the limit is the container\'s, read from linux.resources.memory.limit', () => {
  assert.is(memoryLimitOf({ resources: { memory: { limit: 134217728 } } }), 134217728);
  assert.is(memoryLimitOf({ resources: { memory: {} } }), undefined);
  assert.is(memoryLimitOf({ resources: { cpu: { shares: 2 } } }), undefined);
  assert.is(memoryLimitOf(undefined), undefined);
});

test.run();
