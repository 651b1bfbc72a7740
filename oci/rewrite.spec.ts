import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { LAYER_MODULE, COMPONENT_DIR, rewriteForWasm, runnerFilesFromMaps, sonameOf } from './rewrite.ts';
import type { OciSpec } from './spec.ts';

const maps = `
55d0c0000000-55d0c1000000 r-xp 00000000 fd:01 123  /usr/local/bin/containerd-shim-wasmts-v1
7f0000000000-7f0000100000 r-xp 00000000 fd:01 456  /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000100000-7f0000200000 r--p 00000000 fd:01 457  /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30
7f0000200000-7f0000300000 r--p 00100000 fd:01 457  /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30
7f0000300000-7f0000400000 rw-p 00000000 00:00 0
7f0000400000-7f0000500000 r-xp 00000000 fd:01 458  /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]
`;

test('libraries are mounted under the name the loader looks for', () => {
  assert.is(sonameOf('/lib/libstdc++.so.6.0.30'), 'libstdc++.so.6');
  assert.is(sonameOf('/lib/libc.so.6'), 'libc.so.6');
  assert.is(sonameOf('/lib/libfoo.so'), 'libfoo.so');
});

test('runner files come from the maps: the loader apart, each library once, nothing else', () => {
  const files = runnerFilesFromMaps(maps, '/bin/shim');
  assert.is(files.loader, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  assert.equal(files.libraries, ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30']);
  assert.throws(() => runnerFilesFromMaps('', '/bin/shim'), /dynamic loader/);
});

const spec: OciSpec = {
  ociVersion: '1.0.2',
  process: { args: ['/app/hello.wasm', 'a b', ''], env: ['PATH=/bin', 'GREETING=hi=there'], cwd: '/work', user: { uid: 0, gid: 0 } },
  root: { path: 'rootfs' },
  mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
  linux: { cgroupsPath: '/default/x' },
};

test('a memory limit reaches the runner as V8 heap bounds on its command line', () => {
  const limited: OciSpec = { ...spec, linux: { ...spec.linux, resources: { memory: { limit: 256 * 1024 * 1024 } } } };
  const { spec: out } = rewriteForWasm(limited, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'component-http', modulePath: '/app/http.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty' });
  assert.equal(out.process!.args!.slice(4), ['/.wasmts/wasmts', '--node-options=--max-semi-space-size=8 --max-old-space-size=89', 'run', '/.wasmts/guest.json', '3']);
  assert.equal(out.linux!.resources, limited.linux!.resources);
});

test('the process becomes the runner with malloc\'s tunables alone for env; the guest keeps args and env exactly', () => {
  const { spec: out, guest } = rewriteForWasm(spec, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'preview1', modulePath: '/app/hello.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty' });
  assert.equal(out.process!.args, ['/.wasmts/ld-linux-x86-64.so.2', '--inhibit-cache', '--library-path', '/.wasmts/lib', '/.wasmts/wasmts', 'run', '/.wasmts/guest.json', '3']);
  assert.equal(out.process!.env, ['GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0']);
  assert.equal(guest, { engine: 'preview1', module: '/app/hello.wasm', args: ['/app/hello.wasm', 'a b', ''], env: ['PATH=/bin', 'GREETING=hi=there'], cwd: '/work' });
  assert.is(out.process!.cwd, '/work');
  assert.equal(out.process!.user, { uid: 0, gid: 0 });
  assert.equal({ ...out.linux, readonlyPaths: undefined }, { ...spec.linux, readonlyPaths: undefined });
});

test('the runner is mounted read-only after the spec mounts, and the input is not changed', () => {
  const before = JSON.stringify(spec);
  const { spec: out } = rewriteForWasm(spec, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'preview1', modulePath: '/app/hello.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty' });
  assert.is(JSON.stringify(spec), before);
  assert.equal(out.mounts!.map((m) => [m.destination, m.source]), [
    ['/proc', 'proc'],
    ['/.wasmts', 'tmpfs'],
    ['/.wasmts/wasmts', '/bin/shim'],
    ['/.wasmts/guest.json', '/b/guest.json'],
    ['/.wasmts/ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
    ['/.wasmts/lib/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'],
    ['/.wasmts/lib/libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30'],
    ['/etc/ld.so.preload', '/b/empty'],
  ]);
  for (const mount of out.mounts!.filter((m) => m.type !== 'tmpfs')) assert.ok(mount.options!.includes('ro'), mount.destination);
  assert.ok((out.linux!.readonlyPaths as string[]).includes('/.wasmts'), 'the tmpfs under the runner\'s files is made read-only');
});

test('the runner gets no capabilities, no new privileges, and /proc read-only', () => {
  const { spec: out } = rewriteForWasm(spec, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'preview1', modulePath: '/app/hello.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty' });
  assert.equal(out.process!.capabilities, { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] });
  assert.is(out.process!.noNewPrivileges, true);
  assert.equal(out.mounts![0]!.options, ['ro']);
});

test('a guest from the image\'s layers is mounted read-only where the runner reads it; argv stays the pod\'s', () => {
  const { spec: out, guest } = rewriteForWasm(spec, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'preview1', modulePath: '/app/hello.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty', layerFile: '/var/lib/wasmts/layers/sha256/ab.wasm' });
  assert.is(guest.module, LAYER_MODULE);
  assert.equal(guest.args, spec.process!.args);
  assert.ok(out.mounts!.some((m) => m.source === '/var/lib/wasmts/layers/sha256/ab.wasm' && m.destination === LAYER_MODULE && m.options!.includes('ro')));
});

test('a component\'s cache entry is mounted read-only where the runner loads it; the guest keeps the spec\'s cwd', () => {
  const { spec: out, guest } = rewriteForWasm(spec, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'component-command', modulePath: '/app/hello.wasm', guestFile: '/b/guest.json', emptyFile: '/b/empty', componentDir: '/var/lib/wasmts/components/ab-jco1' });
  assert.equal({ engine: guest.engine, module: guest.module, cwd: guest.cwd }, { engine: 'component-command', module: COMPONENT_DIR, cwd: '/work' });
  assert.ok(out.mounts!.some((m) => m.source === '/var/lib/wasmts/components/ab-jco1' && m.destination === COMPONENT_DIR && m.options!.includes('ro')));
  const noCwd = rewriteForWasm({ ...spec, process: { ...spec.process!, cwd: '' } }, runnerFilesFromMaps(maps, '/bin/shim'), { engine: 'preview1', modulePath: '/app/hello.wasm', guestFile: '/b/g', emptyFile: '/b/e' });
  assert.is(noCwd.guest.cwd, '/');
});

test.run();
