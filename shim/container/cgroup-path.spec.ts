import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupfsPath, expandSlice } from './cgroup-path.ts';

test('cgroupfs paths are kept', () => {
  assert.is(cgroupfsPath('/default/x'), '/default/x');
});

test('slices expand into their parents, as systemd lays them out', () => {
  assert.is(expandSlice('kubepods-besteffort-pod1.slice'), '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice');
  assert.is(expandSlice('-.slice'), '/');
  assert.is(cgroupfsPath('kubepods-besteffort-pod1.slice:cri-containerd:abc'), '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope');
  assert.is(cgroupfsPath('system.slice:docker:abc'), '/system.slice/docker-abc.scope');
});

test.run();
