import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyEntrypoint, kindOfHeader } from './classify.ts';
import { resolveInRoot } from './resolve.ts';

const root = mkdtempSync(join(tmpdir(), 'rootfs-'));
const outside = mkdtempSync(join(tmpdir(), 'outside-'));
mkdirSync(join(root, 'app'));
mkdirSync(join(root, 'bin'));
writeFileSync(join(root, 'app/hello.wasm'), Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
writeFileSync(join(root, 'app/comp.wasm'), Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0));
writeFileSync(join(root, 'bin/sh'), Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0));
writeFileSync(join(root, 'app/run.sh'), '#!/bin/sh\necho\n');
writeFileSync(join(root, 'app/notes.txt'), 'hello');
writeFileSync(join(root, 'app/empty'), '');
writeFileSync(join(outside, 'secret.wasm'), Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
symlinkSync('/app/hello.wasm', join(root, 'bin/hello'));
symlinkSync('../../../../../../..' + outside + '/secret.wasm', join(root, 'app/escape.wasm'));
symlinkSync(outside, join(root, 'app/outdir'));
symlinkSync('loop', join(root, 'app/loop'));
test.after(() => {
  rmSync(root, { recursive: true });
  rmSync(outside, { recursive: true });
});

const process = (args: string[], env: string[] = [], cwd = '/') => ({ args, env, cwd });

test('headers: core module, component, ELF, script, other', () => {
  assert.is(kindOfHeader(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), 'wasm-module');
  assert.is(kindOfHeader(Uint8Array.of(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0)), 'wasm-component');
  assert.is(kindOfHeader(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)), 'native');
  assert.is(kindOfHeader(new TextEncoder().encode('#!/bin/sh')), 'native');
  assert.is(kindOfHeader(new TextEncoder().encode('hello')), undefined);
  assert.is(kindOfHeader(Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0)), undefined);
});

test('absolute, relative-to-cwd and PATH entrypoints resolve inside the rootfs', async () => {
  assert.equal(await classifyEntrypoint(root, process(['/app/hello.wasm'])), { kind: 'wasm-module', path: '/app/hello.wasm', hostPath: join(root, 'app/hello.wasm') });
  assert.is((await classifyEntrypoint(root, process(['./hello.wasm'], [], '/app'))).kind, 'wasm-module');
  assert.is((await classifyEntrypoint(root, process(['sh'], ['PATH=/usr/bin:/bin']))).kind, 'native');
  assert.is((await classifyEntrypoint(root, process(['/app/run.sh']))).kind, 'native');
  assert.is((await classifyEntrypoint(root, process(['/app/comp.wasm']))).kind, 'wasm-component');
});

test('symlinks resolve against the rootfs, never the host', async () => {
  assert.is((await classifyEntrypoint(root, process(['hello'], ['PATH=/bin']))).hostPath, join(root, 'app/hello.wasm'));
  assert.is(await resolveInRoot(root, '/app/escape.wasm'), undefined);
  assert.is(await resolveInRoot(root, '/app/outdir/secret.wasm'), undefined);
  assert.is(await resolveInRoot(root, '/../../app/hello.wasm'), join(root, 'app/hello.wasm'));
  const loop = await resolveInRoot(root, '/app/loop').catch((e: Error) => e);
  assert.match(String(loop), 'too many levels of symbolic links');
});

test('an entrypoint under a mount comes from a volume: left to runc as native', async () => {
  const mounts = [{ destination: '/tools', type: 'bind', source: '/host/tools' }, { destination: '/', type: 'bind' }];
  assert.equal(await classifyEntrypoint(root, process(['/tools/run']), mounts), { kind: 'native', path: '/tools/run', hostPath: undefined });
  assert.is((await classifyEntrypoint(root, process(['run'], ['PATH=/bin:/tools']), mounts)).kind, 'native');
  assert.is((await classifyEntrypoint(root, process(['/app/hello.wasm']), [{ destination: '/app' }])).kind, 'native', 'a volume over /app hides the image\'s module');
  const outside = await classifyEntrypoint(root, process(['/toolsx/run']), mounts).catch((e: Error) => e);
  assert.match(String(outside), 'was not found');
});

test('errors name the path and what was found', async () => {
  const message = async (args: string[], env: string[] = []) => (await classifyEntrypoint(root, process(args, env)).catch((e: Error) => e)) as Error;
  assert.match((await message(['/app/missing.wasm'])).message, 'entrypoint "/app/missing.wasm" was not found in the container\'s root filesystem at /app/missing.wasm');
  assert.match((await message(['nothere'], ['PATH=/bin:/usr/bin'])).message, 'any PATH directory (/bin:/usr/bin)');
  assert.match((await message(['/app/notes.txt'])).message, '/app/notes.txt is a file starting with bytes 68 65 6c 6c 6f');
  assert.match((await message(['/app/empty'])).message, '/app/empty is an empty file');
  assert.match((await message(['/app'])).message, 'entrypoint /app is a directory, not a file');
  assert.match((await message([])).message, 'no process.args');
});

test('a directory, a FIFO or a device at the entrypoint is named as what it is', async () => {
  mkdirSync(join(root, 'app/dir.wasm'));
  execFileSync('mkfifo', [join(root, 'app/fifo.wasm')]);
  const error = async (path: string) => String(await classifyEntrypoint(root, { args: [path], cwd: '/' }).catch((e: Error) => e));
  assert.match(await error('/app/dir.wasm'), 'entrypoint /app/dir.wasm is a directory, not a file');
  assert.match(await error('/app/fifo.wasm'), 'entrypoint /app/fifo.wasm is a FIFO, not a file');
});

test.run();
