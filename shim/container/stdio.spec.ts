import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openStdio, outputTarget } from './stdio.ts';

const dir = mkdtempSync(join(tmpdir(), 'stdio-'));
test.after(() => rmSync(dir, { recursive: true }));

test('URIs: none, file://, FIFO path; unknown schemes and binary:// are named errors', () => {
  assert.equal(outputTarget(''), { kind: 'none' });
  assert.equal(outputTarget('file:///var/log/a%20b.log'), { kind: 'file', path: '/var/log/a b.log' });
  assert.equal(outputTarget('/run/containerd/fifo/1/x-stdout'), { kind: 'fifo', path: '/run/containerd/fifo/1/x-stdout' });
  assert.throws(() => outputTarget('binary:///usr/bin/logger'), /binary:\/\/ loggers are not supported/);
  assert.throws(() => outputTarget('tcp://x'), /scheme wasmts does not know/);
});

test('file:// output appends; the same URI for stdout and stderr keeps both', () => {
  const file = join(dir, 'log');
  const stdio = openStdio({ stdin: '', stdout: `file://${file}`, stderr: `file://${file}` });
  assert.is(stdio.hasStdin, false);
  writeSync(stdio.stdout!, 'out\n');
  writeSync(stdio.stderr!, 'err\n');
  stdio.close();
  assert.is(readFileSync(file, 'utf8'), 'out\nerr\n');
});

function collect(stream: PassThrough): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk));
    stream.on('end', () => resolve(text));
  });
}

test('a file:// URI naming a FIFO with no reader opens at once (it would block the daemon), and output reaches a reader that comes', () => {
  const fifo = join(dir, 'log-fifo');
  execFileSync('mkfifo', [fifo]);
  const stdio = openStdio({ stdin: '', stdout: `file://${fifo}`, stderr: '' });
  writeSync(stdio.stdout!, 'line\n');
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  writeSync(stdio.stdout!, 'more\n');
  const buffer = Buffer.alloc(64);
  const n = readSync(reader, buffer);
  assert.is(buffer.subarray(0, n).toString(), 'line\nmore\n');
  closeSync(reader);
  stdio.close();
});

test('stdin: a writer that comes later is copied through, and its close ends the target', async () => {
  const fifo = join(dir, 'stdin-late');
  execFileSync('mkfifo', [fifo]);
  const stdio = openStdio({ stdin: fifo, stdout: '', stderr: '' });
  const target = new PassThrough();
  stdio.connectStdin(target);
  const text = collect(target);
  await new Promise((r) => setTimeout(r, 50));
  const writer = openSync(fifo, constants.O_WRONLY);
  writeSync(writer, 'hello\n');
  closeSync(writer);
  assert.is(await text, 'hello\n');
  stdio.close();
});

const openFds = () => readdirSync('/proc/self/fd').length;

test('stdin: with no writer ever, close() releases the FIFO and nothing stays open', async () => {
  const fifo = join(dir, 'stdin-never');
  execFileSync('mkfifo', [fifo]);
  const before = openFds();
  const stdio = openStdio({ stdin: fifo, stdout: '', stderr: '' });
  const target = new PassThrough();
  stdio.connectStdin(target);
  assert.ok(openFds() > before, 'the FIFO is open');
  stdio.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.is(openFds(), before);
});

test('stdin: CloseIO ends the target while the writer stays open', async () => {
  const fifo = join(dir, 'stdin-closeio');
  execFileSync('mkfifo', [fifo]);
  const stdio = openStdio({ stdin: fifo, stdout: '', stderr: '' });
  const target = new PassThrough();
  stdio.connectStdin(target);
  const text = collect(target);
  const writer = openSync(fifo, constants.O_WRONLY);
  writeSync(writer, 'a');
  await new Promise((r) => setTimeout(r, 50));
  stdio.closeStdin();
  assert.is(await text, 'a');
  closeSync(writer);
  stdio.close();
});

test('stdin: CloseIO while bytes are still queued in the FIFO delivers every byte, then ends the target', async () => {
  const fifo = join(dir, 'stdin-drain');
  const source = join(dir, 'stdin-drain-source');
  execFileSync('mkfifo', [fifo]);
  const bytes = randomBytes(1 << 20);
  writeFileSync(source, bytes);
  const stdio = openStdio({ stdin: fifo, stdout: '', stderr: '' });
  const target = new PassThrough();
  stdio.connectStdin(target);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve) => target.on('end', resolve));
  // ctr's order: its input ends, it closes the FIFO, it sends CloseIO; the shim has read little yet.
  const writer = spawn('sh', ['-c', `cat ${source} > ${fifo}`]);
  target.once('data', () => stdio.closeStdin());
  target.on('data', (chunk: Buffer) => chunks.push(chunk));
  await ended;
  await new Promise((resolve) => writer.on('exit', resolve));
  assert.is(Buffer.compare(Buffer.concat(chunks), bytes), 0, `${Buffer.concat(chunks).length} of ${bytes.length} bytes`);
  stdio.close();
});

test.run();
