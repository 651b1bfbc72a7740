import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runcEnvironment, shellQuote, statusOf } from './runc.ts';

test('runc gets the shim\'s environment without NOTIFY_SOCKET, which would make it relay sd_notify', () => {
  const env = runcEnvironment({ PATH: '/usr/bin', NOTIFY_SOCKET: '/run/systemd/notify', WASMTS_RUNC: 'runc' });
  assert.equal(env, { PATH: '/usr/bin', WASMTS_RUNC: 'runc' });
});

test('a word for script\'s shell command stays one word, quotes and all', () => {
  assert.is(shellQuote("/run/a b/it's"), `'/run/a b/it'\\''s'`);
  assert.is(shellQuote(''), "''");
});

test('a runner\'s word is its exit status; silence or garbage is a SIGKILL', () => {
  assert.is(statusOf('0\n'), 0);
  assert.is(statusOf('143\n'), 143);
  assert.is(statusOf(''), 137);
  assert.is(statusOf('12'), 12);
  assert.is(statusOf('x\n'), 137);
  assert.is(statusOf('300\n'), 137);
});

test.run();
