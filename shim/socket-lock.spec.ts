import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withSocketLock } from './socket-lock.ts';

test('holders of one socket\'s lock run one after the other; another socket\'s lock is not held up', async () => {
  const order: string[] = [];
  let inside = 0;
  const hold = (socket: string, label: string) => withSocketLock(socket, async () => {
    inside++;
    order.push(`${label}+${inside}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    inside--;
    return label;
  });
  const results = await Promise.all([hold('/run/x/a', 'a1'), hold('/run/x/a', 'a2'), hold('/run/x/a', 'a3')]);
  assert.equal(results, ['a1', 'a2', 'a3']);
  assert.ok(order.every((entry) => entry.endsWith('+1')), order.join(' '));
  let otherRan = false;
  await withSocketLock('/run/x/b', async () => {
    await withSocketLock('/run/x/c', async () => (otherRan = true));
  });
  assert.ok(otherRan);
});

test('a lock is released when the work throws', async () => {
  await withSocketLock('/run/x/d', async () => {
    throw new Error('failed');
  }).catch(() => {});
  assert.is(await withSocketLock('/run/x/d', async () => 'again'), 'again');
});

test.run();
