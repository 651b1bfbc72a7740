import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupOf, socketPath } from './address.ts';

test('the socket depends on address, namespace and group, and fits a unix socket path', () => {
  const a = socketPath('/run/containerd/containerd.sock', 'k8s.io', 'pod1');
  assert.match(a, /^\/run\/containerd\/s\/[0-9a-f]{32}$/);
  assert.ok(a.length < 108);
  assert.is.not(a, socketPath('/run/containerd/containerd.sock', 'default', 'pod1'));
  assert.is.not(a, socketPath('/run/containerd/containerd.sock', 'k8s.io', 'pod2'));
  assert.is(a, socketPath('/run/containerd/containerd.sock', 'k8s.io', 'pod1'));
});

test('containers of a pod share the sandbox group; others are their own', () => {
  assert.is(groupOf('c1', { 'io.kubernetes.cri.sandbox-id': 'sb' }), 'sb');
  assert.is(groupOf('c1', {}), 'c1');
  assert.is(groupOf('c1', undefined), 'c1');
});

test.run();
