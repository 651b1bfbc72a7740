import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, nobodyListens } from './socket-probe.ts';

const errno = (code: string) => Object.assign(new Error(code), { code });

test('a listener answers; a missing path, a plain file and a socket nobody listens on do not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const live = join(dir, 'live');
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(live, resolve));
  assert.is(await answers(live), true);
  writeFileSync(join(dir, 'file'), '');
  assert.is(await answers(join(dir, 'file')), false);
  assert.is(await answers(join(dir, 'missing')), false);
  // A listener SIGKILLed leaves its socket file, with nobody behind it.
  const dead = join(dir, 'dead');
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(dead)})`]);
  while (!existsSync(dead)) await new Promise((resolve) => setTimeout(resolve, 10));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.ok(existsSync(dead));
  assert.is(await answers(dead), false);
  server.close();
  rmSync(dir, { recursive: true });
});

test('a full backlog is a daemon that listens', () => {
  assert.is(nobodyListens(errno('EAGAIN')), false);
  assert.is(nobodyListens(errno('ECONNREFUSED')), true);
});

test.run();
