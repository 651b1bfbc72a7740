import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesystemInterfaces, openPreopen, type Descriptor } from './filesystem.ts';

const dir = mkdtempSync(join(tmpdir(), 'fs-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const encode = (s: string) => new TextEncoder().encode(s);
const errs = (code: string) => (e: unknown) => e === code;

test('preopens are fresh descriptors each call, named as configured', () => {
  const fs = filesystemInterfaces([[dir, '/'], [dir, '.']])['wasi:filesystem/preopens'];
  const [first, second] = [fs.getDirectories(), fs.getDirectories()];
  assert.equal(first.map(([, name]) => name), ['/', '.']);
  assert.is.not(first[0]![0], second[0]![0]);
  for (const [descriptor] of [...first, ...second]) descriptor[Symbol.dispose]();
});

test('files are created, written, read, stated and listed; errors are WASI error codes', () => {
  const root = openPreopen(dir);
  root.createDirectoryAt('sub');
  const file = root.openAt({ symlinkFollow: true }, 'sub/a.txt', { create: true, exclusive: true }, { read: true, write: true });
  assert.is(file.write(encode('hello'), 0n), 5n);
  const out = file.appendViaStream();
  out.write(encode(' world'));
  assert.equal(file.read(100n, 0n), [Buffer.from('hello world'), true]);
  assert.is(new TextDecoder().decode(file.readViaStream(6n).read(5n)), 'world');
  assert.is(file.stat().size, 11n);
  assert.is(file.getType(), 'regular-file');
  assert.ok(file.isSameObject(root.openAt({}, 'sub/a.txt', {}, { read: true }) as Descriptor));
  file.setSize(5n);
  assert.is(readFileSync(join(dir, 'sub/a.txt'), 'utf8'), 'hello');
  const entries = root.openAt({}, 'sub', { directory: true }, { read: true }).readDirectory();
  assert.equal(entries.readDirectoryEntry(), { type: 'regular-file', name: 'a.txt' });
  assert.is(entries.readDirectoryEntry(), undefined);
  assert.throws(() => root.openAt({}, 'sub/a.txt', { create: true, exclusive: true }, { write: true }), errs('exist'));
  assert.throws(() => root.openAt({}, 'missing', {}, { read: true }), errs('no-entry'));
  assert.throws(() => root.removeDirectoryAt('sub'), errs('not-empty'));
  assert.throws(() => root.read(1n, 0n), errs('is-directory'));
  assert.throws(() => root.openAt({}, 'sub/a.txt', {}, { read: true }).write(encode('x'), 0n), errs('bad-descriptor'));
  root.renameAt('sub/a.txt', root, 'sub/b.txt');
  root.unlinkFileAt('sub/b.txt');
  root.removeDirectoryAt('sub');
  assert.throws(() => root.statAt({}, 'sub'), errs('no-entry'));
});

test('paths never climb out of their descriptor; symlinks are followed only when asked', () => {
  const root = openPreopen(dir);
  assert.throws(() => root.openAt({}, '../etc/passwd', {}, { read: true }), errs('not-permitted'));
  assert.throws(() => root.openAt({}, '/etc/passwd', {}, { read: true }), errs('not-permitted'));
  assert.throws(() => root.symlinkAt('/etc/passwd', 'abs'), errs('not-permitted'));
  mkdirSync(join(dir, 'd'));
  writeFileSync(join(dir, 'd/target'), 'x');
  symlinkSync('target', join(dir, 'd/link'));
  assert.is(root.statAt({}, 'd/link').type, 'symbolic-link');
  assert.is(root.statAt({ symlinkFollow: true }, 'd/link').type, 'regular-file');
  assert.throws(() => root.openAt({}, 'd/link', {}, { read: true }), errs('loop'));
  assert.is(root.readlinkAt('d/link'), 'target');
  assert.is(root.openAt({ symlinkFollow: true }, 'd/link', {}, { read: true }).read(1n, 0n)[0][0], 0x78);
});

test('times set with nanoseconds-aware stats, and metadata hashes tell files apart', () => {
  const root = openPreopen(dir);
  writeFileSync(join(dir, 't'), '');
  root.setTimesAt({}, 't', { tag: 'timestamp', val: { seconds: 1_000_000n, nanoseconds: 0 } }, { tag: 'no-change' });
  assert.is(root.statAt({}, 't').dataAccessTimestamp.seconds, 1_000_000n);
  assert.is.not(root.metadataHashAt({}, 't').lower, root.metadataHash().lower);
  assert.equal(filesystemInterfaces([])['wasi:filesystem/types'].filesystemErrorCode({ code: 'ENOENT', message: '', toDebugString: () => '' } as never), 'no-entry');
});

test.run();
