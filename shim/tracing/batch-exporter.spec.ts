import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchExporter, type BatchOptions } from './batch-exporter.ts';
import type { FinishedSpan } from './recording-tracer.ts';

const span = (name: string) => ({ name }) as FinishedSpan;

function exporter(overrides: Partial<BatchOptions> = {}) {
  const batches: string[][] = [];
  const errors: [string, boolean][] = [];
  const batch = new BatchExporter({
    send: async (spans) => void batches.push(spans.map((s) => s.name)),
    onError: (error, first) => void errors.push([error.message, first]),
    maxQueue: 100,
    maxBatch: 3,
    delayMs: 60_000,
    ...overrides,
  });
  return { batch, batches, errors };
}

test('a full batch leaves at once; the rest waits for the timer or a flush', async () => {
  const { batch, batches } = exporter();
  for (const name of ['a', 'b', 'c', 'd']) batch.add(span(name));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(batches, [['a', 'b', 'c']]);
  await batch.flush(1000);
  assert.equal(batches, [['a', 'b', 'c'], ['d']]);
});

test('the queue is bounded: spans past it are dropped and reported', async () => {
  const { batch, batches, errors } = exporter({ maxQueue: 2, maxBatch: 10 });
  for (const name of ['a', 'b', 'c', 'd']) batch.add(span(name));
  await batch.flush(1000);
  assert.equal(batches, [['a', 'b']]);
  assert.equal(errors, [['2 spans dropped: the export queue (2) was full; raise OTEL_BSP_MAX_QUEUE_SIZE if the collector keeps up', true]]);
});

test('failures are reported, the first one marked first, and never thrown', async () => {
  const { batch, errors } = exporter({ send: async () => { throw new Error('connection refused'); }, maxBatch: 1 });
  batch.add(span('a'));
  batch.add(span('b'));
  await batch.flush(1000);
  assert.equal(errors, [['connection refused', true], ['connection refused', false]]);
});

test('a flush gives up on a collector that does not answer', async () => {
  const { batch } = exporter({ send: () => new Promise(() => {}) });
  batch.add(span('a'));
  const started = Date.now();
  await batch.flush(50);
  assert.ok(Date.now() - started < 5000);
});

test('one export at a time', async () => {
  let inFlight = 0;
  let most = 0;
  const { batch } = exporter({
    maxBatch: 1,
    send: async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
    },
  });
  for (const name of ['a', 'b', 'c']) batch.add(span(name));
  await batch.flush(1000);
  assert.is(most, 1);
});

test.run();
