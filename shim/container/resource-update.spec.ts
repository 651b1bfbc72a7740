import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Code, ShimError } from '../errors.ts';
import { updateError } from './resource-update.ts';

const runc = (message: string) => new Error(`runc --root /run/containerd/wasmts/default update --resources - a: ${message}`);

test('a memory limit below usage (runc 1.1 on cgroup v1, the kernel\'s EBUSY) is FailedPrecondition with both figures and what to do', () => {
  const error = updateError('a', runc('unable to set memory limit to 20000000 (current usage: 40599552, peak usage: 80764928)'));
  assert.instance(error, ShimError);
  assert.is((error as ShimError).code, Code.failedPrecondition);
  assert.match(error.message, 'cannot go down to 20000000 bytes (19.1 MiB)');
  assert.match(error.message, 'uses 40599552 bytes (38.7 MiB)');
  assert.match(error.message, 'its limit stays as it was');
  assert.match(error.message, 'Set a limit above its usage');
});

test('a container runc no longer has is NotFound, which containerd\'s CRI takes for a task that exited', () => {
  for (const message of ['container does not exist', 'container not running']) {
    const error = updateError('a', runc(message));
    assert.is((error as ShimError).code, Code.notFound, message);
  }
});

test('anything else keeps runc\'s words, and names the task', () => {
  const error = updateError('a', runc('invalid cpuset'));
  assert.not.instance(error, ShimError);
  assert.match(error.message, /update the resources of task a: .*invalid cpuset/);
});

test.run();
