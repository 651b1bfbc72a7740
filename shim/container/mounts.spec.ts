import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountArgs } from './mounts.ts';

test('overlay mounts pass type and options to mount(8)', () => {
  const args = mountArgs({ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/w', 'upperdir=/u', 'lowerdir=/l1:/l2'] }, '/b/rootfs');
  assert.equal(args, ['-t', 'overlay', '-o', 'index=off,workdir=/w,upperdir=/u,lowerdir=/l1:/l2', 'overlay', '/b/rootfs']);
});

test('bind mounts go by option, without a type', () => {
  assert.equal(mountArgs({ type: 'bind', source: '/snap/1/fs', options: ['rbind', 'rw'] }, '/b/rootfs'), ['-o', 'rbind,rw', '/snap/1/fs', '/b/rootfs']);
});

test.run();
