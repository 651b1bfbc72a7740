import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdSink, InputStream, MemorySource, monotonicNow, OutputStream, Pollable, poll } from './io.ts';
import { clockInterfaces } from './clocks.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test('an input stream reads its source in pieces no larger than asked, then reports closed', () => {
  const stream = new InputStream(new MemorySource([new TextEncoder().encode('hello world')]));
  assert.is(text(stream.read(5n)), 'hello');
  assert.is(stream.skip(1n), 1n);
  assert.is(text(stream.blockingRead(100n)), 'world');
  assert.ok(stream.subscribe().ready());
  assert.throws(() => stream.read(1n), (e: { tag: string }) => e.tag === 'closed');
  assert.throws(() => stream.read(1n), (e: { tag: string }) => e.tag === 'closed');
});

test('a memory source that has not ended yet reads empty, and its pollable is not ready', () => {
  let ended = false;
  const chunks: Uint8Array[] = [];
  const stream = new InputStream(new MemorySource(chunks, () => ended));
  assert.is(stream.read(10n).length, 0);
  assert.not.ok(stream.subscribe().ready());
  chunks.push(Uint8Array.of(1, 2));
  assert.equal([...stream.read(10n)], [1, 2]);
  ended = true;
  assert.throws(() => stream.read(1n), (e: { tag: string }) => e.tag === 'closed');
});

test('an output stream writes through to its fd; a failed write is last-operation-failed, then closed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'io-'));
  try {
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    const stream = new OutputStream(new FdSink(fd));
    assert.ok(stream.checkWrite() > 0n);
    stream.write(new TextEncoder().encode('abc'));
    stream.blockingWriteAndFlush(new TextEncoder().encode('def'));
    stream.writeZeroes(2n);
    const source = new InputStream(new MemorySource([new TextEncoder().encode('spliced')]));
    assert.is(stream.splice(source, 3n), 3n);
    closeSync(fd);
    assert.equal(readFileSync(file), Buffer.from('abcdef\0\0spl'));
    const broken = new OutputStream(new FdSink(fd));
    assert.throws(() => broken.write(Uint8Array.of(1)), (e: { tag: string; val: { toDebugString(): string } }) => e.tag === 'last-operation-failed' && /EBADF/.test(e.val.toDebugString()));
    assert.throws(() => broken.write(Uint8Array.of(1)), (e: { tag: string }) => e.tag === 'closed');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('poll returns the ready pollables, waits for the earliest clock, and refuses to wait forever', () => {
  const clocks = clockInterfaces['wasi:clocks/monotonic-clock'];
  const started = monotonicNow();
  const soon = clocks.subscribeDuration(20_000_000n);
  const later = clocks.subscribeDuration(60_000_000_000n);
  assert.equal([...poll([later, soon])], [1]);
  assert.ok(monotonicNow() - started >= 20_000_000n);
  assert.equal([...poll([new Pollable(), later])], [0]);
  assert.throws(() => poll([new Pollable({ ready: () => false })]), /would wait forever/);
  assert.throws(() => poll([]), /empty list/);
});

test('the wall clock is close to Date.now, with nanoseconds in range', () => {
  const { seconds, nanoseconds } = clockInterfaces['wasi:clocks/wall-clock'].now();
  assert.ok(Math.abs(Number(seconds) * 1000 + nanoseconds / 1e6 - Date.now()) < 1000);
  assert.ok(nanoseconds >= 0 && nanoseconds < 1e9);
});

test.run();
