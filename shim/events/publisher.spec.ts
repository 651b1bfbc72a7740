import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary } from '@bufbuild/protobuf';
import { ForwardRequestSchema } from '../protocol/gen/events_service_pb.ts';
import { TaskExitSchema, TaskStartSchema, TaskCreateSchema } from '../protocol/gen/events_pb.ts';
import { createLogger } from '../log.ts';
import { EventPublisher } from './publisher.ts';

const lines: string[] = [];
const log = createLogger((line) => lines.push(line), false);

test('events go out in order, in an envelope with namespace, topic and a containerd.events Any', async () => {
  const sent: Uint8Array[] = [];
  const publisher = new EventPublisher({ namespace: 'k8s.io', log, transport: async (bytes) => void sent.push(bytes) });
  await Promise.all([
    publisher.publish('/tasks/create', TaskCreateSchema, { containerId: 'a' }),
    publisher.publish('/tasks/start', TaskStartSchema, { containerId: 'a', pid: 7 }),
    publisher.publish('/tasks/exit', TaskExitSchema, { containerId: 'a', id: 'a', exitStatus: 3 }),
  ]);
  const envelopes = sent.map((bytes) => fromBinary(ForwardRequestSchema, bytes).envelope!);
  assert.equal(envelopes.map((e) => e.topic), ['/tasks/create', '/tasks/start', '/tasks/exit']);
  assert.equal(envelopes.map((e) => e.event!.typeUrl), ['containerd.events.TaskCreate', 'containerd.events.TaskStart', 'containerd.events.TaskExit']);
  assert.is(envelopes[0]!.namespace, 'k8s.io');
  assert.ok(envelopes[0]!.timestamp!.seconds > 0n);
  assert.is(fromBinary(TaskExitSchema, envelopes[2]!.event!.value).exitStatus, 3);
});

test('a failing transport is retried, and order holds across the retries', async () => {
  const sent: string[] = [];
  let failures = 2;
  const publisher = new EventPublisher({
    namespace: 'n', log, backoffMs: 1,
    transport: async (bytes) => {
      if (failures-- > 0) throw new Error('containerd restarting');
      sent.push(fromBinary(ForwardRequestSchema, bytes).envelope!.topic);
    },
  });
  const first = publisher.publish('/tasks/start', TaskStartSchema, { containerId: 'a' });
  const second = publisher.publish('/tasks/exit', TaskExitSchema, { containerId: 'a' });
  await Promise.all([first, second]);
  assert.equal(sent, ['/tasks/start', '/tasks/exit']);
});

test('after the bounded attempts the event is dropped, logged, and the queue goes on', async () => {
  let calls = 0;
  const publisher = new EventPublisher({ namespace: 'n', log, attempts: 3, backoffMs: 1, transport: async () => { calls++; throw new Error('gone'); } });
  await publisher.publish('/tasks/exit', TaskExitSchema, { containerId: 'a' });
  assert.is(calls, 3);
  assert.match(lines.join(''), 'dropping event');
  await publisher.drain();
});

test.run();
