import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from './flags.ts';

test('start as containerd 1.6 invokes it', () => {
  const flags = parseFlags(['-namespace', 'k8s.io', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'abc', '-debug', 'start']);
  assert.equal(flags, { namespace: 'k8s.io', address: '/run/containerd/containerd.sock', publishBinary: '/usr/bin/containerd', id: 'abc', bundle: '', socket: '', debug: true, action: 'start' });
});

test('= syntax, double dashes, debug=false and delete with a bundle', () => {
  const flags = parseFlags(['--namespace=default', '-id=x', '-bundle', '/b', '-debug=false', 'delete']);
  assert.is(flags.namespace, 'default');
  assert.is(flags.id, 'x');
  assert.is(flags.bundle, '/b');
  assert.is(flags.debug, false);
  assert.is(flags.action, 'delete');
});

test('unknown flags and missing values are errors that name the flag', () => {
  assert.throws(() => parseFlags(['-bogus', 'x', 'start']), /unknown flag -bogus/);
  assert.throws(() => parseFlags(['-id']), /flag -id needs a value/);
});

test.run();
