import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordingTracer, type FinishedSpan } from './recording-tracer.ts';
import { formatTraceparent } from './traceparent.ts';

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : '');
const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function recorder() {
  const spans: FinishedSpan[] = [];
  return { spans, tracer: new RecordingTracer((span) => spans.push(span)) };
}

test('a span with a remote parent joins its trace; spans inside it are its children', async () => {
  const { spans, tracer } = recorder();
  await tracer.inSpan('Create', { kind: 'server', remote: { traceparent: PARENT, tracestate: 'k=v' } }, async () => {
    await tracer.inSpan('component transpile', {}, async () => {});
  });
  const [inner, outer] = spans as [FinishedSpan, FinishedSpan];
  assert.is(hex(outer.context.traceId), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.is(hex(outer.parentSpanId), '00f067aa0ba902b7');
  assert.ok(outer.remoteParent);
  assert.is(outer.tracestate, 'k=v');
  assert.is(hex(inner.context.traceId), hex(outer.context.traceId));
  assert.is(hex(inner.parentSpanId), hex(outer.context.spanId));
  assert.not.ok(inner.remoteParent);
  assert.ok(outer.endNs >= inner.endNs && inner.startNs >= outer.startNs);
});

test('without a parent a span starts a trace, sampled', async () => {
  const { spans, tracer } = recorder();
  const span = tracer.startSpan('Kill', {});
  span.end();
  assert.is(spans[0]!.parentSpanId, undefined);
  assert.is(spans[0]!.context.flags, 1);
  assert.is(span.traceparent, formatTraceparent(spans[0]!.context));
});

test('a failed call is a span with the error message, and the error goes on to the caller', async () => {
  const { spans, tracer } = recorder();
  const failing = tracer.inSpan('Start', {}, async () => {
    throw new Error('runc start failed: no such container');
  });
  await failing.then(() => assert.unreachable('the error reaches the caller'), (error: Error) => assert.match(error.message, 'no such container'));
  assert.is(spans[0]!.error, 'runc start failed: no such container');
});

test('a trace the caller does not sample records nothing, and its children keep the flags', async () => {
  const { spans, tracer } = recorder();
  let childParent = '';
  await tracer.inSpan('Create', { remote: { traceparent: PARENT.replace(/01$/, '00') } }, async () => {
    childParent = tracer.startSpan('inner', {}).traceparent;
  });
  assert.is(spans.length, 0);
  assert.match(childParent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
});

test('concurrent calls keep their own parents', async () => {
  const { spans, tracer } = recorder();
  const call = (name: string) => tracer.inSpan(name, {}, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await tracer.inSpan(`${name} child`, {}, async () => {});
  });
  await Promise.all([call('a'), call('b')]);
  const byName = new Map(spans.map((s) => [s.name, s]));
  for (const name of ['a', 'b']) assert.is(hex(byName.get(`${name} child`)!.parentSpanId), hex(byName.get(name)!.context.spanId));
});

test.run();
