import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nameHash } from './name-hash.ts';

test('a name is 32 hex digits, the same for the same text, and differs for every one of 100,000 texts', () => {
  assert.match(nameHash(''), /^[0-9a-f]{32}$/);
  assert.is(nameHash('/run/containerd/containerd.sock/k8s.io/wasmts-node'), nameHash('/run/containerd/containerd.sock/k8s.io/wasmts-node'));
  const seen = new Set<string>();
  for (let i = 0; i < 100_000; i++) seen.add(nameHash(`/run/containerd/containerd.sock/k8s.io/pod-${i}`));
  assert.is(seen.size, 100_000);
  assert.is.not(nameHash('ab'), nameHash('ba'));
  assert.is.not(nameHash('é'), nameHash('e'));
});

test.run();
