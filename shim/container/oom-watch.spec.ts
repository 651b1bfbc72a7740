import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { watchOomKills } from './oom-watch.ts';

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

test('an OOM kill seen while the cgroup exists is still counted once systemd has removed the cgroup', async () => {
  const root = mkdtempSync('/tmp/wasmts-oom-');
  writeFileSync(join(root, 'cgroup.controllers'), 'memory\n');
  const dir = join(root, 'pod.slice/cri-containerd-x.scope');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
  const watch = watchOomKills('/pod.slice/cri-containerd-x.scope', root);
  assert.is(watch.count(), 0n);
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  // The watch reads on the change, before anyone asks.
  await until(() => watch.seen() === 1n);
  rmSync(dir, { recursive: true });
  assert.is(watch.count(), 1n);
  watch.close();
  rmSync(root, { recursive: true, force: true });
});

test('a container whose cgroup systemd removed before any read counts as OOM-killed when its parent counted one', () => {
  const root = mkdtempSync('/tmp/wasmts-oom-');
  writeFileSync(join(root, 'cgroup.controllers'), 'memory\n');
  const dir = join(root, 'pod.slice/cri-containerd-y.scope');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, 'pod.slice/memory.events'), 'oom 0\noom_kill 2\n');
  writeFileSync(join(dir, 'memory.events'), 'oom 0\noom_kill 0\n');
  const watch = watchOomKills('/pod.slice/cri-containerd-y.scope', root);
  watch.close();
  rmSync(dir, { recursive: true });
  assert.not.ok(watch.goneAfterParentOom(), 'the parent\'s count is what it was');
  writeFileSync(join(root, 'pod.slice/memory.events'), 'oom 1\noom_kill 3\n');
  assert.ok(watch.goneAfterParentOom());
  assert.is(watch.count(), 0n);
  rmSync(root, { recursive: true, force: true });
});

test('a cgroup that never existed counts nothing and watches nothing', () => {
  const root = mkdtempSync('/tmp/wasmts-oom-');
  writeFileSync(join(root, 'cgroup.controllers'), 'memory\n');
  const watch = watchOomKills('/gone', root);
  assert.is(watch.count(), 0n);
  watch.close();
  rmSync(root, { recursive: true, force: true });
});

test.run();
