import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerdVersionCheck } from './doctor.ts';

test('containerd versions: 1.6+ passes, older and missing fail with what to do', () => {
  assert.ok(containerdVersionCheck('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n').ok);
  assert.ok(containerdVersionCheck('containerd containerd.io v2.0.4 abc\n').ok);
  const old = containerdVersionCheck('containerd github.com/containerd/containerd v1.5.9 x\n');
  assert.is(old.ok, false);
  assert.match(old.detail, 'needs 1.6 or later');
  assert.match(containerdVersionCheck(undefined).detail, 'install containerd');
});

test.run();
