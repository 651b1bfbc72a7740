import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, LogRoutes } from './log.ts';

// Bundles with a `log` FIFO each, read as containerd reads them (its own read-write, non-blocking end).
function bundles(names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'log-routes-'));
  const readers = new Map<string, number>();
  for (const name of names) {
    execFileSync('mkfifo', [join(dir, `${name}.log`)]);
    readers.set(name, openSync(join(dir, `${name}.log`), constants.O_RDWR | constants.O_NONBLOCK));
  }
  const read = (name: string) => {
    const buffer = Buffer.alloc(65536);
    try {
      return buffer.subarray(0, readSync(readers.get(name)!, buffer)).toString();
    } catch {
      return '';
    }
  };
  const done = () => {
    for (const fd of readers.values()) closeSync(fd);
    rmSync(dir, { recursive: true });
  };
  return { path: (name: string) => join(dir, `${name}.log`), read, done };
}

test('a task\'s lines go to its own bundle\'s FIFO; the daemon\'s to the newest; the last one deleted still gets the closing lines', () => {
  const b = bundles(['first', 'a', 'b']);
  const routes = new LogRoutes(b.path('first'));
  const log = createLogger(routes.sink, false);
  log.info('serving');
  assert.match(b.read('first'), 'msg=serving');
  routes.open('a', b.path('a'));
  routes.open('b', b.path('b'));
  routes.open('no-fifo', join(b.path('a'), 'missing'));
  log.info('task created', { id: 'a' });
  log.info('task created', { id: 'no-fifo' });
  log.info('component transpiled');
  assert.match(b.read('a'), 'id=a');
  const toB = b.read('b');
  assert.match(toB, 'id=no-fifo', 'a task without a FIFO: the newest');
  assert.match(toB, 'component transpiled');
  log.info('serving on', { id: 'first' });
  assert.is(b.read('first'), '', 'the first bundle\'s FIFO is the first task\'s from its open on');
  routes.close('b');
  log.info('after b');
  assert.match(b.read('a'), 'after b');
  routes.close('a');
  log.info('shutting down');
  assert.match(b.read('a'), 'shutting down', 'the last FIFO stays for the closing lines');
  routes.open('c', b.path('b'));
  log.info('a new task', { id: 'c' });
  log.info('daemon line');
  assert.is(b.read('a'), '', 'kept only until a task came');
  assert.match(b.read('b'), 'daemon line');
  b.done();
});

test.run();
