import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('file:// output appends; the same URI for stdout and stderr keeps both', async () => {
  const file = join(dir, 'log');
  const stdio = openStdio({ stdin: '', stdout: `file://${file}`, stderr: `file://${file}` });
  writeSync(stdio.stdout!, 'out\n');
  writeSync(stdio.stderr!, 'err\n');
  assert.is(await stdio.stdin, undefined);
  stdio.close();
  assert.is(readFileSync(file, 'utf8'), 'out\nerr\n');
});

test('a stdin FIFO with no writer does not hang: the open gives up and is released', async () => {
  const fifo = join(dir, 'stdin');
  execFileSync('mkfifo', [fifo]);
  const stdio = openStdio({ stdin: fifo, stdout: '', stderr: '' }, 50);
  const fd = await stdio.stdin;
  assert.type(fd, 'number');
  stdio.close();
});

test.run();
