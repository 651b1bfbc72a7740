import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('a traceparent as containerd sends it gives the trace id, the parent span id and the flags', () => {
  const context = parseTraceparent(VALID)!;
  assert.is(Buffer.from(context.traceId).toString('hex'), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.is(Buffer.from(context.spanId).toString('hex'), '00f067aa0ba902b7');
  assert.is(context.flags, 1);
  assert.is(formatTraceparent(context), VALID);
});

test('an unsampled parent keeps its flags', () => {
  assert.is(parseTraceparent(VALID.replace(/01$/, '00'))!.flags, 0);
});

test('a later version may carry more fields; version 00 may not', () => {
  assert.ok(parseTraceparent(`${VALID.replace(/^00/, '01')}-extra`));
  assert.is(parseTraceparent(`${VALID}-extra`), undefined);
});

test('malformed headers are no parent', () => {
  for (const bad of [
    '',
    'garbage',
    VALID.replace(/^00/, 'ff'),
    VALID.toUpperCase(),
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
    '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01',
  ]) assert.is(parseTraceparent(bad), undefined, bad);
});

test.run();
